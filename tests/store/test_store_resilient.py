"""ResilientStore: a failing database never reaches the user; failures are logged once a minute."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy.exc import OperationalError

from bot.store.database import Store
from bot.store.records import AskedQuestion
from bot.store.resilient import PURGE_EVERY, ResilientStore
from tests.support.inbox import admit

DAY = PURGE_EVERY.total_seconds()


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Switchable:
    """A real store that can be made to fail every call, as a locked or lost database does."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.down = False
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.store, name)
        if not callable(target):
            return target

        def call(*args: object, **kwargs: object) -> Any:
            self.calls.append(name)
            if self.down:
                raise OperationalError(name, None, Exception("database is locked"))
            return target(*args, **kwargs)

        return call


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def backend(tmp_path: Path) -> Switchable:
    return Switchable(Store.from_url(f"sqlite:///{tmp_path / 'store.sqlite3'}"))


def resilient(backend: Switchable, ticker: Ticker, **options: Any) -> ResilientStore:
    return ResilientStore(lambda: cast(Store, backend), monotonic=ticker, **options)


def store_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.store.resilient"]


def test_a_working_store_is_used_as_is(backend: Switchable, ticker: Ticker) -> None:
    store = resilient(backend, ticker)
    assert store.open() is True
    assert admit(store, "Ev1") is True and admit(store, "Ev1") is False
    assert store.mark_greeted(channel_id="C1", user_id="U1") is True
    assert store.mark_greeted(channel_id="C1", user_id="U1") is False
    store.save_progress(user_id="U1", kind="quiz", state={"answered": 1, "score": 1, "of": 8})
    assert store.load_progress(user_id="U1", kind="quiz") == {"answered": 1, "score": 1, "of": 8}
    store.record_question(AskedQuestion(
        surface="dm", user_id="U1", channel_id=None, question="q", band="none",
        entry_id=None, score=1.0,
    ))  # fmt: skip
    store.record_feedback(entry_id="e", user_id="U1", vote=1)
    usage = store.usage(since=datetime(2000, 1, 1))
    assert usage is not None and [count.count for count in usage.counts] == [1]


def test_failures_give_safe_answers_and_are_logged_once_a_minute(
    backend: Switchable, ticker: Ticker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.store")
    store = resilient(backend, ticker, retry_after=0.0)
    backend.down = True

    calls: list[Callable[[], object]] = [
        lambda: store.record_question(AskedQuestion(
            surface="dm", user_id="U1", channel_id=None, question="q", band="none",
            entry_id=None, score=1.0,
        )),
        lambda: store.record_feedback(entry_id="e", user_id="U1", vote=-1),
        lambda: store.purge(older_than_days=1),
        lambda: store.usage(since=datetime(2000, 1, 1)),
        lambda: store.load_progress(user_id="U9", kind="tour"),
    ]  # fmt: skip
    assert [call() for call in calls] == [None, None, 0, None, None]
    assert store_errors(caplog) == [
        "store unavailable (record_question): Exception: database is locked; "
        "the bot answers without it"
    ]

    ticker.now += 59
    store.record_feedback(entry_id="e", user_id="U1", vote=-1)
    assert len(store_errors(caplog)) == 1
    ticker.now += 2
    store.record_feedback(entry_id="e", user_id="U1", vote=-1)
    errors = store_errors(caplog)
    assert len(errors) == 2 and "(5 more failures in the last minute)" in errors[1]


def test_during_an_outage_this_process_still_answers_each_event_once(
    backend: Switchable, ticker: Ticker
) -> None:
    store = resilient(backend, ticker)
    backend.down = True
    assert admit(store, "Ev1") is True  # answer rather than stay silent
    assert admit(store, "Ev1") is False  # a retry reaching this process is still dropped
    assert store.mark_greeted(channel_id="C1", user_id="U1") is True  # a newcomer is greeted
    assert store.mark_greeted(channel_id="C1", user_id="U1") is False
    store.save_progress(user_id="U1", kind="tour", state={"step": 2, "of": 7})
    assert store.load_progress(user_id="U1", kind="tour") == {"step": 2, "of": 7}


def test_after_a_failure_the_database_rests_then_is_tried_again(
    backend: Switchable, ticker: Ticker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.store")
    store = resilient(backend, ticker, retry_after=5.0)
    backend.down = True
    admit(store, "Ev1")
    tried = len(backend.calls)
    admit(store, "Ev2")
    assert len(backend.calls) == tried  # resting: no call, no wait on a lock timeout
    backend.down = False
    ticker.now += 6
    assert admit(store, "Ev3") is True
    assert len(backend.calls) > tried
    assert store_errors(caplog)[-1].startswith("store: working again")


def test_records_lost_while_down_are_counted_when_it_works_again(
    backend: Switchable, ticker: Ticker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.store")
    store = resilient(backend, ticker, retry_after=0.0)
    backend.down = True
    for vote in (1, -1, 1):
        store.record_feedback(entry_id="e", user_id="U1", vote=vote)
    backend.down = False
    store.record_feedback(entry_id="e", user_id="U1", vote=1)
    assert store_errors(caplog)[-1] == (
        "store: working again; 3 record(s) could not be written meanwhile"
    )


def test_a_deleted_sqlite_file_is_created_again_and_written_to(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite3"
    url = f"sqlite:///{path}"
    store = ResilientStore(lambda: Store.from_url(url))
    store.record_feedback(entry_id="e", user_id="U1", vote=1)
    path.unlink()
    store.record_feedback(entry_id="e", user_id="U2", vote=-1)
    fresh = Store.from_url(url)
    assert [(v.entry_id, v.up, v.down) for v in fresh.entry_votes(since=datetime(2000, 1, 1))] == [
        ("e", 0, 1)
    ]
    fresh.close()
    store.close()


def test_after_a_failure_the_store_is_reopened_not_reused(
    backend: Switchable, ticker: Ticker
) -> None:
    opened: list[Switchable] = []

    def opener() -> Store:
        opened.append(backend)
        return cast(Store, backend)

    store = ResilientStore(opener, retry_after=0.0, monotonic=ticker)
    admit(store, "Ev1")
    backend.down = True
    admit(store, "Ev2")
    backend.down = False
    admit(store, "Ev3")
    assert len(opened) == 2  # opened, failed, opened again: fresh connections


def test_a_database_that_cannot_be_opened_is_retried_later(
    tmp_path: Path, ticker: Ticker, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.store")
    attempts: list[int] = []
    url = f"sqlite:///{tmp_path / 'later.sqlite3'}"

    def opener() -> Store:
        attempts.append(1)
        if len(attempts) == 1:
            raise OperationalError("connect", None, Exception("connection refused"))
        return Store.from_url(url)

    store = ResilientStore(opener, monotonic=ticker, retry_after=5.0)
    assert store.open() is False
    assert admit(store, "Ev1") is True  # resting, answered from memory
    assert len(attempts) == 1
    ticker.now += 6
    assert store.open() is True
    assert admit(store, "Ev1") is True  # first time the database sees it
    assert admit(store, "Ev1") is False
    assert "connection refused" in store_errors(caplog)[0]
    store.close()


def test_retention_purge_runs_on_open_and_then_once_a_day(
    backend: Switchable, ticker: Ticker
) -> None:
    store = resilient(backend, ticker, retention_days=30)
    store.open()
    assert backend.calls.count("purge") == 1
    admit(store, "Ev1")
    ticker.now += DAY - 1
    admit(store, "Ev2")
    assert backend.calls.count("purge") == 1
    ticker.now += 2
    admit(store, "Ev3")
    assert backend.calls.count("purge") == 2


def test_retention_zero_never_purges(backend: Switchable, ticker: Ticker) -> None:
    store = resilient(backend, ticker, retention_days=0)
    store.open()
    ticker.now += 10 * DAY
    admit(store, "Ev1")
    assert "purge" not in backend.calls


def test_close_closes_the_store_and_tolerates_a_failure(
    backend: Switchable, ticker: Ticker
) -> None:
    store = resilient(backend, ticker)
    store.open()
    backend.down = True
    store.close()  # logged, not raised
    assert "close" in backend.calls
    store.close()  # closing twice is harmless


def test_a_database_locked_by_another_writer_does_not_stop_the_bot(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.store")
    url = f"sqlite:///{tmp_path / 'locked.sqlite3'}"
    store = ResilientStore(lambda: Store.from_url(url))
    assert store.open()
    holder = sqlite3.connect(tmp_path / "locked.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        assert admit(store, "Ev1") is True  # after the busy timeout: answered anyway
        assert store.mark_greeted(channel_id="C1", user_id="U1") is True
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert any("database is locked" in message for message in store_errors(caplog))
    store.close()


def test_threads_waiting_on_a_failing_open_do_not_each_try_again() -> None:
    attempts: list[int] = []

    def slow_failing_opener() -> Store:
        attempts.append(1)
        time.sleep(0.2)  # a connect timeout, shortened
        raise OperationalError("connect", None, Exception("connection refused"))

    store = ResilientStore(slow_failing_opener, retry_after=60.0)
    answers: list[bool] = []
    threads = [
        threading.Thread(target=lambda n=n: answers.append(admit(store, f"Ev{n}")))
        for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [True] * 8
    assert len(attempts) == 1
