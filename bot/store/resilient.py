"""The store as the bot uses it: a database failure is logged, never raised to a Slack user.

While the database is down or locked, each call falls back to a safe answer and this process's
own memory, so the bot keeps answering:

- `claim_event` -> True unless this process already saw the id (answer; at worst a retry twice);
- `mark_greeted` -> True unless this process already greeted that user there: a newcomer missing
  their only greeting is worse than a rare second one after an outage;
- `save_progress`/`load_progress` -> kept in memory, so a tour or quiz carries on;
- writes of questions and votes -> dropped (counted in the log line); reads -> None or 0.

Failures are logged at most once a minute with a count of the ones held back. After a failure
the database is left alone for a few seconds (each call would otherwise wait for a timeout).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.store.database import Store, describe_error
from bot.store.memory import InProcessMemory
from bot.store.records import AskedQuestion, ProgressKind, Usage

log = logging.getLogger(__name__)

T = TypeVar("T")

LOG_INTERVAL_S = 60.0
RETRY_AFTER_S = 5.0
PURGE_EVERY = timedelta(days=1)
LOCAL_MEMORY = 10_000  # event ids and greetings remembered in-process during an outage


class _Resting(Exception):
    """The database failed a moment ago: skip it rather than wait on another timeout."""


class _LocalMemory:
    """A bounded set: the oldest keys are forgotten first."""

    def __init__(self, size: int) -> None:
        self._keys: OrderedDict[object, None] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def add(self, key: object) -> bool:
        """True when the key was new."""
        with self._lock:
            if key in self._keys:
                return False
            self._keys[key] = None
            if len(self._keys) > self._size:
                self._keys.popitem(last=False)
            return True


class ResilientStore:
    """Wraps a `Store` opener; opens lazily, reopens after failures, never raises."""

    def __init__(
        self,
        opener: Callable[[], Store],
        *,
        retention_days: int = 0,
        retry_after: float = RETRY_AFTER_S,
        monotonic: Callable[[], float] = time.monotonic,
        on_failure: Callable[[str], None] | None = None,
    ) -> None:
        self._opener = opener
        self._on_failure = on_failure
        self._retention_days = retention_days
        self._retry_after = retry_after
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._store: Store | None = None
        self._retry_at = 0.0
        self._logged_at: float | None = None
        self._held_back = 0
        self._failing = False
        self._unwritten = 0
        self._purged_at: float | None = None
        self._events = _LocalMemory(LOCAL_MEMORY)
        self._greeted = _LocalMemory(LOCAL_MEMORY)
        self._progress: dict[tuple[str, str], dict[str, Any]] = {}
        self._threads = InProcessMemory(LOCAL_MEMORY)  # threads answered, while the store is down

    # --- the guard ------------------------------------------------------------

    def attempt(
        self, what: str, operation: Callable[[Store], T], default: T, *, record: bool = False
    ) -> T:
        """Run `operation` on the store, or return `default` if the store fails or is resting.
        A `record` that could not be written is counted, and the count logged on recovery."""
        now = self._monotonic()
        try:
            store = self._open(now)
            result = operation(store)
        except _Resting:
            self._failed(what, None, now, record=record)
            return default
        except Exception as error:
            self._failed(what, error, now, record=record)
            return default
        if self._failing:
            with self._lock:
                self._failing, unwritten, self._unwritten = False, self._unwritten, 0
            log.warning(
                "store: working again; %d record(s) could not be written meanwhile", unwritten
            )
        self._purge_if_due(store, now)
        return result

    def _open(self, now: float) -> Store:
        with self._lock:  # one opener at a time; the others then see it open, or resting
            if now < self._retry_at:
                raise _Resting
            if self._store is not None and self._store.file_is_gone():
                log.error("store: its SQLite file was deleted; creating a new one")
                self._close_quietly(self._store)
                self._store = None
            if self._store is None:
                try:
                    self._store = self._opener()
                except Exception:
                    # Rest before the lock is let go: a thread waiting on it must not try too.
                    self._retry_at = now + self._retry_after
                    raise
            return self._store

    def _failed(
        self, what: str, error: Exception | None, now: float, *, record: bool = False
    ) -> None:
        if self._on_failure is not None:
            self._on_failure(what)
        with self._lock:
            self._failing = True
            self._unwritten += record
            if error is not None:
                self._retry_at = now + self._retry_after
                # Reopen next time: a file made read-only and then writable again, or a
                # database that restarted, needs new connections, not the pooled ones.
                if self._store is not None:
                    self._close_quietly(self._store)
                    self._store = None
            if self._logged_at is not None and now - self._logged_at < LOG_INTERVAL_S:
                self._held_back += 1
                return
            held_back, self._held_back, self._logged_at = self._held_back, 0, now
        log.error(
            "store unavailable (%s): %s; the bot answers without it%s",
            what,
            describe_error(error) if error is not None else "resting after an earlier failure",
            f" ({held_back} more failures in the last minute)" if held_back else "",
        )

    def _purge_if_due(self, store: Store, now: float) -> None:
        if self._retention_days <= 0:
            return
        with self._lock:
            due = self._purged_at is None or now - self._purged_at >= PURGE_EVERY.total_seconds()
            if due:
                self._purged_at = now
        if due:
            try:
                store.purge(older_than_days=self._retention_days)
            except Exception as error:
                self._failed("purge", error, now)

    # --- the Store interface ----------------------------------------------------

    def open(self) -> bool:
        """Open (creating or upgrading the schema) now rather than on first use; True on success."""
        return self.attempt("open", lambda s: True, False)

    def claim_event(self, event_id: str) -> bool:
        first_here = self._events.add(event_id)
        return self.attempt("claim_event", lambda s: s.claim_event(event_id), first_here)

    def record_question(self, asked: AskedQuestion) -> None:
        self.attempt("record_question", lambda s: s.record_question(asked), None, record=True)

    def record_feedback(self, *, entry_id: str, user_id: str, vote: int) -> None:
        self.attempt(
            "record_feedback",
            lambda s: s.record_feedback(entry_id=entry_id, user_id=user_id, vote=vote),
            None,
            record=True,
        )

    def mark_greeted(self, *, channel_id: str, user_id: str) -> bool:
        first_here = self._greeted.add((channel_id, user_id))
        return self.attempt(
            "mark_greeted",
            lambda s: s.mark_greeted(channel_id=channel_id, user_id=user_id),
            first_here,
        )

    def mark_thread(self, *, channel_id: str, thread_ts: str) -> None:
        self._threads.mark_thread(channel_id=channel_id, thread_ts=thread_ts)
        self.attempt(
            "mark_thread",
            lambda s: s.mark_thread(channel_id=channel_id, thread_ts=thread_ts),
            None,
        )

    def answered_thread(self, *, channel_id: str, thread_ts: str, within: timedelta) -> bool:
        here = self._threads.answered_thread(
            channel_id=channel_id, thread_ts=thread_ts, within=within
        )
        return self.attempt(
            "answered_thread",
            lambda s: s.answered_thread(channel_id=channel_id, thread_ts=thread_ts, within=within),
            here,
        )

    def save_progress(self, *, user_id: str, kind: ProgressKind, state: dict[str, Any]) -> None:
        self._progress[(user_id, kind)] = state
        self.attempt(
            "save_progress",
            lambda s: s.save_progress(user_id=user_id, kind=kind, state=state),
            None,
            record=True,
        )

    def load_progress(self, *, user_id: str, kind: ProgressKind) -> dict[str, Any] | None:
        return self.attempt(
            "load_progress",
            lambda s: s.load_progress(user_id=user_id, kind=kind),
            self._progress.get((user_id, kind)),
        )

    def remember_uploaded_file(
        self, *, team_id: str, name: str, version: str, file_id: str
    ) -> None:
        self.attempt(
            "remember_uploaded_file",
            lambda s: s.remember_uploaded_file(
                team_id=team_id, name=name, version=version, file_id=file_id
            ),
            None,
        )

    def uploaded_file(self, *, team_id: str, name: str, version: str) -> str | None:
        return self.attempt(
            "uploaded_file",
            lambda s: s.uploaded_file(team_id=team_id, name=name, version=version),
            None,
        )

    def ping(self) -> bool:
        """True when the database answers now (for readiness probes)."""
        return self.attempt("ping", lambda s: s.schema_version() > 0, False)

    def purge(self, *, older_than_days: int) -> int:
        return self.attempt("purge", lambda s: s.purge(older_than_days=older_than_days), 0)

    def usage(self, *, since: datetime) -> Usage | None:
        """What was recorded since then, or None while the database is unavailable."""
        return self.attempt("usage", lambda s: s.usage(since=since), None)

    def close(self) -> None:
        with self._lock:
            store, self._store = self._store, None
        if store is not None:
            self._close_quietly(store)

    @staticmethod
    def _close_quietly(store: Store) -> None:
        try:
            store.close()
        except Exception as error:
            log.debug("store: closing failed: %s", describe_error(error))


def open_store(
    url: str,
    *,
    store_question_text: bool = True,
    retention_days: int = 0,
    on_failure: Callable[[str], None] | None = None,
) -> ResilientStore:
    """The bot's store at `url`; opens now if it can, else on a later call. `on_failure` hears
    of every failed operation (for metrics)."""

    def opener() -> Store:
        return Store.from_url(url, store_question_text=store_question_text)

    store = ResilientStore(opener, retention_days=retention_days, on_failure=on_failure)
    store.open()
    return store
