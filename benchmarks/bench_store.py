"""Benchmark the store: writes per second from many threads, and insights over a busy week.

Per database and thread count: record_question and inbox admit calls per second (each one a
committed transaction, as the bot makes them), with every call's latency p50/p99. Then the time
`compute_insights` takes over N stored misses (what an admin's Home tab waits for).

    .venv/bin/python benchmarks/bench_store.py [--threads 1,4,8,16] [--calls 2000]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test] [--misses 500,2000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine

from bot.config import DEFAULT_KNOWLEDGE_DIR
from bot.core.answers import Answers
from bot.core.insights import compute_insights
from bot.store.database import Store
from bot.store.records import AskedQuestion, InboxItem

LEASE = timedelta(seconds=30)

WORDS = (
    "how do i share files volumes network ports between containers run windows mac gpu cuda "
    "kubernetes pod backup database postgres restore snapshot migrate license cost cloud"
).split()


@contextmanager
def database(kind: str, postgres: str | None) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        return
    assert postgres
    schema = f"vmdocker_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{postgres}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def hammer(store: Store, threads: int, calls: int, op: Callable[[Store, int, int], object]) -> str:
    latencies: list[list[float]] = [[] for _ in range(threads)]
    barrier = threading.Barrier(threads + 1)

    def worker(index: int) -> None:
        barrier.wait()
        for n in range(calls // threads):
            start = time.perf_counter()
            op(store, index, n)
            latencies[index].append(time.perf_counter() - start)

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - start
    flat = sorted(value for chunk in latencies for value in chunk)
    p99 = flat[min(len(flat) - 1, int(len(flat) * 0.99))]
    return (
        f"{len(flat) / elapsed:8.0f}/s  p50 {statistics.median(flat) * 1000:6.2f} ms"
        f"  p99 {p99 * 1000:6.2f} ms"
    )


def record(store: Store, index: int, n: int) -> None:
    store.record_question(AskedQuestion(
        surface="dm", user_id=f"U{index}", channel_id="C1", question=f"q {index} {n}",
        band="none", entry_id=None, score=10.0,
    ))  # fmt: skip


def admit(store: Store, index: int, n: int) -> None:
    item = InboxItem(key=f"event:Ev{n}", kind="event", body="{}", received_at=datetime(2026, 1, 1))
    store.admit(item, owner=f"worker-{index}", lease=LEASE)  # every thread races for the same ids


def bench_writes(kind: str, url: str, thread_counts: list[int], calls: int) -> None:
    store = Store.from_url(url)
    for threads in thread_counts:
        for name, op in (("record_question", record), ("inbox admit    ", admit)):
            print(f"{kind:10} {threads:3} threads  {name} {hammer(store, threads, calls, op)}")
        store.purge(older_than_days=0)
    store.close()


def bench_insights(url: str, misses: int) -> None:
    store = Store.from_url(url)
    rng = random.Random(7)
    for _ in range(misses):
        question = " ".join(rng.sample(WORDS, rng.randint(3, 7)))
        store.record_question(AskedQuestion(
            surface="dm", user_id="U1", channel_id=None, question=question, band="none",
            entry_id=None, score=10.0,
        ))  # fmt: skip
    tokenize = Answers.load(DEFAULT_KNOWLEDGE_DIR).matcher.normalizer.tokenize
    start = time.perf_counter()
    insights = compute_insights(store.usage(since=datetime(2000, 1, 1)), tokenize)
    elapsed = time.perf_counter() - start
    print(
        f"insights over {misses:5} misses: {elapsed * 1000:7.1f} ms "
        f"({len(insights.misses)} groups shown of the top 10)"
    )
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,4,8,16")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--postgres", help="also benchmark this PostgreSQL (a schema of its own)")
    parser.add_argument("--misses", default="500,2000")
    args = parser.parse_args()
    thread_counts = [int(part) for part in args.threads.split(",")]
    kinds = ["sqlite", *(["postgresql"] if args.postgres else [])]
    for kind in kinds:
        with database(kind, args.postgres) as url:
            bench_writes(kind, url, thread_counts, args.calls)
    for misses in (int(part) for part in args.misses.split(",")):
        with database("sqlite", None) as url:
            bench_insights(url, misses)


if __name__ == "__main__":
    main()
