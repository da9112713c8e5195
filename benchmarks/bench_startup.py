"""How long `vmdocker ask` takes as a whole process, side by side with the yardstick: a Python
that only imports rapidfuzz, pydantic, yaml and numpy. The two run in turn, pair by pair, so a
machine that slows down mid-run slows both; the ratio is taken per pair. Measured with the
prepared answers kept in VMDOCKER_CACHE_DIR, as every start after the first has them (warm):
without a store, and with a SQLite store holding a taught wording, which `ask` reads; then cold:
after an edit (the answers made anew and kept, the English word table already kept), and with
nothing kept at all (VMDOCKER_CACHE_DIR empty: wordfreq is imported too). vmdocker's
modules are byte-compiled first, as pip compiles the yardstick's libraries: where
PYTHONDONTWRITEBYTECODE is set, they would otherwise be compiled from source on every run. Last,
the floor under any start that validates pydantic models: the yardstick, then one small model
defined and validated (pydantic builds its schema machinery on the first model).

Then how long `vmdocker serve` takes from its launch to `/readyz` answering 200 (knowledge
loaded, store open, Slack's `auth.test` answered, by the mock Web API of tests/support), polled
every 10 ms; the goal is under 2 s.

    .venv/bin/python -m benchmarks.bench_startup [--runs 20] [--question "what is a vm"]
        [--serve-runs 5] [--workers 2]
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tests.support import SIGNING_SECRET, MockSlack
from tests.support.serve_process import (
    READY_TIMEOUT,
    free_port,
    process_cpu_seconds,
    serve_env,
)

BIN = Path(sys.executable).parent
PACKAGE = Path(__file__).resolve().parent.parent / "bot"
YARDSTICK = [sys.executable, "-c", "import rapidfuzz, pydantic, yaml, numpy"]
ONE_MODEL = (
    "import rapidfuzz, pydantic, yaml, numpy\n"
    "class Question(pydantic.BaseModel):\n    text: str\n"
    "Question(text='what is a vm')"
)
GOAL = 1.5  # ours / yardstick
TAUGHT, TAUGHT_ENTRY = "why does my laptop fan spin with docker", "docker-desktop-memory"
READY_GOAL_S = 2.0
POLL_S = 0.01


def wall(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def side_by_side(
    label: str,
    ours: list[str],
    runs: int,
    env: dict[str, str] | None = None,
    before: Callable[[], object] = lambda: None,
) -> None:
    """`ours` and the yardstick in turn, `runs` pairs, after one unmeasured run of each;
    `before` runs untimed ahead of each run of `ours`."""

    def timed_ours() -> float:
        before()
        return wall(ours, env)

    timed_ours(), wall(YARDSTICK)  # warm the page cache (and vmdocker's prepared answers)
    pairs = [(timed_ours(), wall(YARDSTICK)) for _ in range(runs)]
    a = statistics.median(pair[0] for pair in pairs)
    b = statistics.median(pair[1] for pair in pairs)
    ratio = statistics.median(pair[0] / pair[1] for pair in pairs)
    verdict = "meets" if ratio <= GOAL else "misses"
    print(f"  {label:40} {a:.3f}")
    print(f"  import rapidfuzz, pydantic, yaml, numpy  {b:.3f}")
    print(f"  ratio (median of pairs)                  {ratio:.2f}  ({verdict} the goal of {GOAL})")


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.HTTPError):
        return False


def seconds_to_ready(env: dict[str, str], workers: int, cwd: Path) -> tuple[float, float]:
    """From launching `vmdocker serve` to its first 200 on /readyz, and the CPU seconds its
    critical path used by then (the parent's, plus its busiest worker's, which run side by
    side): a figure that a machine busy with other work changes less. Then it is stopped."""
    port = free_port()
    command = [str(BIN / "vmdocker"), "serve", "--port", str(port), "--workers", str(workers)]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        while not ready(f"http://127.0.0.1:{port}/readyz"):
            if process.poll() is not None or time.perf_counter() - started > READY_TIMEOUT:
                raise RuntimeError(f"vmdocker serve never got ready (exit {process.returncode})")
            time.sleep(POLL_S)
        wall = time.perf_counter() - started
        used = process_cpu_seconds(process.pid)
        parent = used.pop(process.pid)
        return wall, parent + max(used.values(), default=0.0)
    finally:
        process.terminate()
        process.wait(timeout=30)


def time_to_ready(runs: int, workers: int) -> None:
    with MockSlack() as mock, tempfile.TemporaryDirectory() as scratch:
        env = serve_env(
            mock.api_url, SIGNING_SECRET, f"sqlite:///{scratch}/store.sqlite3", LOG_LEVEL="ERROR"
        )
        runs_done = [seconds_to_ready(env, workers, Path(scratch)) for _ in range(runs)]
    times = [wall for wall, _ in runs_done]
    cpu = statistics.median(cpu for _, cpu in runs_done)
    median = statistics.median(times)
    verdict = "meets" if median < READY_GOAL_S else "misses"
    print(f"vmdocker serve --workers {workers}, launch to /readyz 200, {runs} runs; seconds")
    print(
        f"  median {median:.2f}  min {min(times):.2f}  max {max(times):.2f}  "
        f"({verdict} the goal of under {READY_GOAL_S:g} s; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    print(f"  CPU on the critical path (parent + busiest worker), median: {cpu:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--question", default="what is a vm")
    parser.add_argument("--serve-runs", type=int, default=5, help="0: skip time to ready")
    parser.add_argument("--workers", type=int, default=2, help="`vmdocker serve --workers`")
    args = parser.parse_args()
    ours = [str(BIN / "vmdocker"), "ask", args.question]
    compileall.compile_dir(PACKAGE, quiet=1)
    print(f"{args.runs} runs each, alternating; wall seconds, median")
    print("warm: the prepared answers kept in VMDOCKER_CACHE_DIR (every start after the first):")
    side_by_side(f"vmdocker ask {args.question!r}", ours, args.runs)
    with tempfile.TemporaryDirectory() as scratch:
        # As the bot's users have it once an editor taught a wording: a SQLite store to read.
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{scratch}/store.sqlite3",
            "LOG_LEVEL": "ERROR",
        }
        teach = [str(BIN / "vmdocker"), "teach", TAUGHT, TAUGHT_ENTRY]
        subprocess.run(teach, check=True, stdout=subprocess.DEVNULL, env=env)
        print("warm, with a SQLite store holding one taught wording (DATABASE_URL):")
        side_by_side(f"vmdocker ask {args.question!r}", ours, args.runs, env)
    with tempfile.TemporaryDirectory() as scratch:
        cache = Path(scratch)

        def forget_answers() -> None:
            for kept in cache.glob("answers-*.pickle"):
                kept.unlink()

        print("cold, after an edit: the answers made anew (the English word table kept):")
        env = {**os.environ, "VMDOCKER_CACHE_DIR": scratch}
        side_by_side(f"vmdocker ask {args.question!r}", ours, args.runs, env, forget_answers)
    print("cold, nothing kept (VMDOCKER_CACHE_DIR empty), as on a first start:")
    env = {**os.environ, "VMDOCKER_CACHE_DIR": ""}
    side_by_side(f"vmdocker ask {args.question!r}", ours, args.runs, env)
    print("the floor: the yardstick, then one pydantic model defined and validated:")
    side_by_side("import ..., one pydantic model", [sys.executable, "-c", ONE_MODEL], args.runs)
    if args.serve_runs:
        time_to_ready(args.serve_runs, args.workers)


if __name__ == "__main__":
    main()
