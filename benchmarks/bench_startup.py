"""How long `vmdocker ask` takes as a whole process, side by side with the yardstick: a Python
that only imports rapidfuzz, pydantic, yaml and numpy. The two run in turn, pair by pair, so a
machine that slows down mid-run slows both; the ratio is taken per pair.

    .venv/bin/python benchmarks/bench_startup.py [--runs 20] [--question "what is a vm"]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
YARDSTICK = [sys.executable, "-c", "import rapidfuzz, pydantic, yaml, numpy"]
GOAL = 1.5  # ours / yardstick


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--question", default="what is a vm")
    args = parser.parse_args()
    ours = [str(BIN / "vmdocker"), "ask", args.question]
    wall(ours), wall(YARDSTICK)  # warm the page cache
    pairs = [(wall(ours), wall(YARDSTICK)) for _ in range(args.runs)]
    a = statistics.median(pair[0] for pair in pairs)
    b = statistics.median(pair[1] for pair in pairs)
    ratio = statistics.median(pair[0] / pair[1] for pair in pairs)
    print(f"{args.runs} runs each, alternating; wall seconds, median")
    print(f"  vmdocker ask {args.question!r:24} {a:.3f}")
    print(f"  import rapidfuzz, pydantic, yaml, numpy  {b:.3f}")
    verdict = "meets" if ratio <= GOAL else "misses"
    print(f"  ratio (median of pairs)                  {ratio:.2f}  ({verdict} the goal of {GOAL})")


if __name__ == "__main__":
    main()
