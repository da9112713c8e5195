"""Concurrent writers: Bolt's worker threads, and several app processes on one database."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import datetime

from bot.core.models import Band
from bot.store.database import GroupCommit, Store
from bot.store.records import AskedQuestion
from bot.store.schema import MIGRATIONS
from tests.conftest import ROOT
from tests.support.harness import wait_until
from tests.support.inbox import admit

THREADS = 8
PER_THREAD = 40
LONG_AGO = datetime(2000, 1, 1)


def run_together(work: Callable[[int], None], threads: int = THREADS) -> None:
    """Start `threads` threads at the same moment, each running `work(index)`; re-raise errors."""
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        barrier.wait()
        try:
            work(index)
        except BaseException as error:  # collected so the test fails with it
            errors.append(error)

    pool = [threading.Thread(target=worker, args=(index,)) for index in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    assert errors == []


def test_many_threads_recording_at_once_lose_nothing(database_url: str) -> None:
    store = Store.from_url(database_url)

    def record(index: int) -> None:
        for n in range(PER_THREAD):
            band = Band.ANSWER if n % 2 else Band.NONE
            store.record_question(AskedQuestion(
                surface=f"s{index % 2}", user_id=f"U{index}", channel_id="C1",
                question=f"question {index}-{n}", band=band, entry_id=None, score=50.0,
            ))  # fmt: skip
            store.record_feedback(entry_id=f"e{n % 4}", user_id=f"U{index}", vote=1 - 2 * (n % 2))
            store.save_progress(user_id=f"U{index}", kind="quiz", state={"answered": n})

    run_together(record)
    counts = {(row.surface, row.band): row.count for row in store.question_counts(since=LONG_AGO)}
    half = THREADS * PER_THREAD // 4
    assert counts == {(s, b): half for s in ("s0", "s1") for b in (Band.ANSWER, Band.NONE)}
    votes = {row.entry_id: (row.up, row.down) for row in store.entry_votes(since=LONG_AGO)}
    assert votes == {"e0": (THREADS, 0), "e1": (0, THREADS), "e2": (THREADS, 0), "e3": (0, THREADS)}
    for index in range(THREADS):
        assert store.load_progress(user_id=f"U{index}", kind="quiz") == {"answered": PER_THREAD - 1}
    store.close()


def test_two_stores_racing_claim_each_event_and_greeting_once(database_url: str) -> None:
    stores = [Store.from_url(database_url), Store.from_url(database_url)]
    won: list[str] = []
    lock = threading.Lock()

    def claim(index: int) -> None:
        store = stores[index % 2]
        for n in range(PER_THREAD):
            mine = []
            if admit(store, f"Ev{n}"):
                mine.append(f"Ev{n}")
            if store.mark_greeted(channel_id="C1", user_id=f"U{n}"):
                mine.append(f"U{n}")
            with lock:
                won.extend(mine)

    run_together(claim)
    assert sorted(won) == sorted(
        [f"Ev{n}" for n in range(PER_THREAD)] + [f"U{n}" for n in range(PER_THREAD)]
    )
    for store in stores:
        store.close()


CLAIMER = """
import sys
from bot.store.database import Store
from tests.support.inbox import admit
store = Store.from_url(sys.argv[1])
print(sum(admit(store, f"Ev{n}") for n in range(int(sys.argv[2]))))
store.close()
"""


def test_separate_processes_claim_each_event_once(database_url: str) -> None:
    Store.from_url(database_url).close()  # created once, as the first process to start would
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, database_url, str(PER_THREAD)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    claimed = [int(process.communicate(timeout=60)[0]) for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0]
    assert sum(claimed) == PER_THREAD


def test_processes_starting_together_on_a_new_database_all_come_up(database_url: str) -> None:
    starter = (
        "import sys; from bot.store.database import Store; "
        "print(Store.from_url(sys.argv[1]).schema_version())"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", starter, database_url],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    versions = [process.communicate(timeout=60)[0].strip() for process in processes]
    latest = str(MIGRATIONS[-1].version)
    assert versions == [latest] * 3
    assert [process.returncode for process in processes] == [0, 0, 0]


def test_writes_arriving_during_a_transaction_share_the_next_one() -> None:
    """Group commit: callers that come while a batch is being written go together in the
    next; each gets its own result, or its batch's error."""
    first_may_finish = threading.Event()
    batches: list[list[str]] = []

    def write(values: list[str]) -> list[str]:
        batches.append(values)
        if values == ["a"]:
            first_may_finish.wait(timeout=10)
        if "boom" in values:
            raise ValueError("the batch failed")
        return [value.upper() for value in values]

    grouped = GroupCommit(write)
    results: dict[str, str] = {}

    def call(value: str) -> None:
        try:
            results[value] = grouped(value)
        except ValueError as error:
            results[value] = str(error)

    leader = threading.Thread(target=call, args=("a",))
    leader.start()
    wait_until(lambda: batches == [["a"]])
    followers = [threading.Thread(target=call, args=(value,)) for value in ("b", "c", "d")]
    for thread in followers:
        thread.start()
    wait_until(lambda: grouped.waiting() == 3)
    first_may_finish.set()
    for thread in [leader, *followers]:
        thread.join()
    assert sorted(map(sorted, batches)) == [["a"], ["b", "c", "d"]]
    assert results == {"a": "A", "b": "B", "c": "C", "d": "D"}

    failing = [threading.Thread(target=call, args=(value,)) for value in ("boom", "e")]
    for thread in failing:
        thread.start()
    for thread in failing:
        thread.join()
    assert results["boom"] == "the batch failed"
    assert results["e"] in ("E", "the batch failed")  # alone, or in the failed batch
    assert grouped("f") == "F"  # a failed batch leaves nothing behind
