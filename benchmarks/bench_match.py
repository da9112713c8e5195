"""Benchmark the matcher on synthetic knowledge bases of 100 to 100,000 entry files.

Prints, per size: load time (files -> validated models -> matcher), peak memory, p50/p99
latency per question, and a plain `rapidfuzz.process.extractOne(WRatio)` baseline over the
same phrases with the ratio ours/baseline. Each size runs in its own process so that peak
memory is that size's alone.

    .venv/bin/python benchmarks/bench_match.py [--sizes 100,1000,10000,100000] [--questions 200]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.core.knowledge import load_knowledge
from bot.core.matching import Matcher
from bot.core.normalize import Normalizer

DOMAIN = "vm docker container kernel hypervisor image host guest os linux windows start".split()
ENTRY = """---
id: {id}
title: {title}
questions:
{questions}
keywords: [{keywords}]
sources: [https://docs.docker.com/]
---
Synthetic answer for {id}.
"""


def _vocabulary(rng: random.Random, size: int) -> list[str]:
    letters = "abcdefghiklmnoprstuvwy"
    words = {"".join(rng.choices(letters, k=rng.randint(4, 9))) for _ in range(size)}
    return DOMAIN + sorted(words)


def _phrase(rng: random.Random, words: list[str], weights: list[float], length: int) -> str:
    return " ".join(rng.choices(words, cum_weights=weights, k=length))


def write_knowledge(folder: Path, entries: int, seed: int = 7) -> list[tuple[str, str]]:
    """Write `entries` entry files; return (question, entry id) pairs: reworded, with a typo."""
    rng = random.Random(seed)
    words = _vocabulary(rng, max(2000, entries // 2))
    # Zipf's law: the word of rank r is used in proportion to 1/r; the domain words rank first.
    weights = list(itertools.accumulate(1 / rank for rank in range(1, len(words) + 1)))
    (folder / "entries").mkdir(parents=True)
    probes = []
    for index in range(entries):
        questions = [_phrase(rng, words, weights, rng.randint(4, 8)) for _ in range(5)]
        keywords = [_phrase(rng, words, weights, rng.randint(1, 2)) for _ in range(3)]
        text = ENTRY.format(
            id=f"entry-{index}",
            title=_phrase(rng, words, weights, 4),
            questions="\n".join(f"  - {q}" for q in questions),
            keywords=", ".join(json.dumps(k) for k in keywords),  # "true" is YAML for True
        )
        (folder / "entries" / f"entry-{index}.md").write_text(text)
        if rng.random() < 0.05 or index < 50:
            probe = rng.choice(questions).split()
            rng.shuffle(probe)
            word = rng.randrange(len(probe))
            if len(probe[word]) > 4:  # one typo: swap two letters
                w = probe[word]
                probe[word] = w[0] + w[2] + w[1] + w[3:]
            probes.append((" ".join(probe), f"entry-{index}"))
    return probes


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(int(fraction * len(ordered)), len(ordered) - 1)]


def measure(entries: int, questions: int) -> str:
    """One size, in this process: returns a table row."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        probes = write_knowledge(folder, entries)
        rng = random.Random(11)
        probes = [rng.choice(probes) for _ in range(questions)]
        start = time.perf_counter()
        knowledge = load_knowledge(folder)
        loaded = time.perf_counter() - start
        matcher = Matcher(knowledge)  # the default thresholds
        built = time.perf_counter() - start

    ours, hits = [], 0
    for question, expected in probes:
        Normalizer._tokens.cache_clear()  # every question cold, as a new one would be
        tick = time.perf_counter()
        match = matcher.match(question)
        ours.append((time.perf_counter() - tick) * 1000)
        hits += match.entry is not None and match.entry.id == expected

    choices = matcher.phrase_source
    base = []
    for question, _ in probes:
        tick = time.perf_counter()
        process.extractOne(question, choices, scorer=fuzz.WRatio)
        base.append((time.perf_counter() - tick) * 1000)

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    p50, p99, b50 = _percentile(ours, 0.5), _percentile(ours, 0.99), _percentile(base, 0.5)
    return (
        f"| {entries:>7,} | {len(choices):>7,} | {loaded:7.2f} s | {built:7.2f} s "
        f"| {peak_mb:7.0f} MB "
        f"| {p50:8.3f} ms | {p99:8.3f} ms | {b50:8.3f} ms | {_percentile(base, 0.99):8.3f} ms "
        f"| {p50 / b50:5.2f} | {hits / len(probes):6.1%} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000,100000")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(measure(args.one, args.questions), flush=True)
        return
    print(
        "| entries | phrases | load files | + matcher | peak RSS "
        "| p50 ours | p99 ours | p50 WRatio | p99 WRatio | ratio p50 | top-1 ours |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in (int(s) for s in args.sizes.split(",")):
        subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--questions", str(args.questions)],
            check=True,
        )


if __name__ == "__main__":
    main()
