"""Benchmark the reply renderers: Block Kit per reply, and each diagram's PNG cold and cached.

Prints the median time to render every entry's reply as Block Kit and as text, and per
diagram the first (cold) PNG render, a cached call, the PNG's size and its dimensions.

    .venv/bin/python benchmarks/bench_render.py [--repeat 50]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from pathlib import Path

from PIL import Image

from bot.core.answers import Answers
from bot.render.answers import render_blocks, render_fallback
from bot.render.images import render_diagram_png

ROOT = Path(__file__).resolve().parent.parent


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    answers = Answers.load(ROOT / "knowledge")
    replies = [answers.reply_for_entry(entry_id) for entry_id in answers.knowledge.entries]

    timings = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        for reply in replies:
            assert reply is not None
            render_blocks(reply, ephemeral=True)
            render_fallback(reply)
        timings.append((time.perf_counter() - start) / len(replies))
    median = _ms(statistics.median(timings))
    print(f"{len(replies)} replies, Block Kit + fallback text: median {median} per reply")

    for spec in answers.knowledge.diagrams.values():
        start = time.perf_counter()
        png = render_diagram_png(spec)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        render_diagram_png(spec)
        cached = time.perf_counter() - start
        with Image.open(io.BytesIO(png)) as image:
            size = f"{image.width}x{image.height}"
        print(
            f"{spec.id:20} PNG cold {_ms(cold):>10}, cached {_ms(cached):>9}, "
            f"{len(png):>7,} bytes, {size}"
        )


if __name__ == "__main__":
    main()
