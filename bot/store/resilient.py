"""The store as the bot uses it: a database failure is logged, never raised to a Slack user.

While the database is down or locked, each call falls back to a safe answer and this process's
own memory, so the bot keeps answering:

- `admit` (keep an acked request in the inbox) -> True unless this process already saw its key:
  it is worked on at once, without a durable copy (counted as not written);
- `finish` -> remembered, and written by the next `renew` once the database works again;
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
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from bot.store.database import Store, describe_error
from bot.store.memory import InProcessMemory
from bot.store.records import (
    SINGLE_WORKSPACE,
    Admission,
    AskedQuestion,
    DraftEntry,
    ExpertQuestion,
    InboxItem,
    LearnedPhrasing,
    Miss,
    MissStatus,
    NewDraft,
    NewExpertQuestion,
    ProgressKind,
    Usage,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

LOG_INTERVAL_S = 60.0
RETRY_AFTER_S = 5.0
PURGE_EVERY = timedelta(days=1)
LOCAL_MEMORY = 10_000  # inbox keys and greetings remembered in-process during an outage


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
        self._unfinished: dict[str, str] = {}  # inbox keys done while the database was down
        self._greeted = _LocalMemory(LOCAL_MEMORY)
        self._progress: dict[tuple[str, str, str], dict[str, Any]] = {}
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

    def admit(self, item: InboxItem, *, owner: str, lease: timedelta) -> bool:
        first_here = self._events.add(item.key)
        return self.attempt(
            "admit", lambda s: s.admit(item, owner=owner, lease=lease), first_here, record=True
        )

    def admit_all(self, admissions: Sequence[Admission]) -> list[bool]:
        first_here = [self._events.add(admitted.item.key) for admitted in admissions]
        return self.attempt("admit", lambda s: s.admit_all(admissions), first_here, record=True)

    def finish(self, key: str, *, outcome: str) -> None:
        def finish_now(store: Store) -> None:
            store.finish(key, outcome=outcome)
            self._unfinished.pop(key, None)

        self._unfinished[key] = outcome
        self.attempt("finish", finish_now, None)

    def renew(self, *, owner: str, lease: timedelta) -> int:
        """Also writes the `finish`es the database missed, first: an item done while it was down
        must not look abandoned once it is back."""

        def renew_now(store: Store) -> int:
            for key, outcome in list(self._unfinished.items()):
                store.finish(key, outcome=outcome)
                self._unfinished.pop(key, None)
            return store.renew(owner=owner, lease=lease)

        return self.attempt("renew", renew_now, 0)

    def release(self, keys: list[str], *, after: timedelta = timedelta(0)) -> int:
        return self.attempt("release", lambda s: s.release(keys, after=after), 0)

    def claim_open(self, *, owner: str, lease: timedelta, limit: int) -> list[InboxItem]:
        return self.attempt(
            "claim_open", lambda s: s.claim_open(owner=owner, lease=lease, limit=limit), []
        )

    def inbox_depth(self) -> int | None:
        """Items acked and not yet done, or None while the database is unavailable."""
        return self.attempt("inbox_depth", lambda s: s.inbox_depth(), None)

    def record_question(self, asked: AskedQuestion, *, team_id: str = SINGLE_WORKSPACE) -> None:
        self.attempt(
            "record_question",
            lambda s: s.record_question(asked, team_id=team_id),
            None,
            record=True,
        )

    def record_feedback(
        self, *, entry_id: str, user_id: str, vote: int, team_id: str = SINGLE_WORKSPACE
    ) -> None:
        self.attempt(
            "record_feedback",
            lambda s: s.record_feedback(
                entry_id=entry_id, user_id=user_id, vote=vote, team_id=team_id
            ),
            None,
            record=True,
        )

    def mark_greeted(
        self, *, channel_id: str, user_id: str, team_id: str = SINGLE_WORKSPACE
    ) -> bool:
        first_here = self._greeted.add((team_id, channel_id, user_id))
        return self.attempt(
            "mark_greeted",
            lambda s: s.mark_greeted(channel_id=channel_id, user_id=user_id, team_id=team_id),
            first_here,
        )

    def mark_thread(
        self, *, channel_id: str, thread_ts: str, team_id: str = SINGLE_WORKSPACE
    ) -> None:
        self._threads.mark_thread(channel_id=channel_id, thread_ts=thread_ts, team_id=team_id)
        self.attempt(
            "mark_thread",
            lambda s: s.mark_thread(channel_id=channel_id, thread_ts=thread_ts, team_id=team_id),
            None,
        )

    def answered_thread(
        self,
        *,
        channel_id: str,
        thread_ts: str,
        within: timedelta,
        team_id: str = SINGLE_WORKSPACE,
    ) -> bool:
        here = self._threads.answered_thread(
            channel_id=channel_id, thread_ts=thread_ts, within=within, team_id=team_id
        )
        return self.attempt(
            "answered_thread",
            lambda s: s.answered_thread(
                channel_id=channel_id, thread_ts=thread_ts, within=within, team_id=team_id
            ),
            here,
        )

    def claim_review_reminder(self, *, team_id: str, entry_id: str, due_on: date) -> bool:
        """False while the database is down: a reminder waits rather than goes out twice."""
        return self.attempt(
            "claim_review_reminder",
            lambda s: s.claim_review_reminder(team_id=team_id, entry_id=entry_id, due_on=due_on),
            False,
        )

    def release_review_reminder(self, *, team_id: str, entry_id: str, due_on: date) -> None:
        self.attempt(
            "release_review_reminder",
            lambda s: s.release_review_reminder(team_id=team_id, entry_id=entry_id, due_on=due_on),
            None,
        )

    # --- learning: without the database there is nothing to teach from -----------

    def record_miss(
        self,
        *,
        team_id: str,
        user_id: str,
        channel_id: str,
        thread_ts: str | None,
        question: str,
    ) -> int | None:
        return self.attempt(
            "record_miss",
            lambda s: s.record_miss(
                team_id=team_id,
                user_id=user_id,
                channel_id=channel_id,
                thread_ts=thread_ts,
                question=question,
            ),
            None,
            record=True,
        )

    def miss(self, miss_id: int) -> Miss | None:
        return self.attempt("miss", lambda s: s.miss(miss_id), None)

    def open_misses(self, *, team_id: str, limit: int = 20) -> list[Miss] | None:
        """One workspace's; None while the database is unavailable."""
        return self.attempt(
            "open_misses", lambda s: s.open_misses(team_id=team_id, limit=limit), None
        )

    def set_miss_post(self, miss_id: int, *, channel: str, ts: str) -> None:
        self.attempt(
            "set_miss_post", lambda s: s.set_miss_post(miss_id, channel=channel, ts=ts), None
        )

    def resolve_miss(self, miss_id: int, *, status: MissStatus, by: str) -> bool:
        return self.attempt(
            "resolve_miss", lambda s: s.resolve_miss(miss_id, status=status, by=by), False
        )

    def learn(self, *, team_id: str, question: str, entry_id: str | None, taught_by: str) -> bool:
        """True once the wording is stored (the editor is told when it could not be)."""

        def learn(store: Store) -> bool:
            store.learn(team_id=team_id, question=question, entry_id=entry_id, taught_by=taught_by)
            return True

        return self.attempt("learn", learn, False)

    def learned(self) -> list[LearnedPhrasing] | None:
        """None while the database is unavailable (keep what was learned before)."""
        return self.attempt("learned", lambda s: s.learned(), None)

    def learned_stamp(self) -> tuple[int, datetime | None] | None:
        return self.attempt("learned_stamp", lambda s: s.learned_stamp(), None)

    def save_draft(self, draft: NewDraft) -> int | None:
        """The draft's id, or None when it could not be stored (the editor is told)."""
        return self.attempt("save_draft", lambda s: s.save_draft(draft), None)

    def drafts(self, *, team_id: str, limit: int | None = None) -> list[DraftEntry] | None:
        """One workspace's drafts not exported yet; None while the database is unavailable."""
        return self.attempt(
            "drafts", lambda s: s.drafts(pending_only=True, team_id=team_id, limit=limit), None
        )

    def record_expert_question(self, question: NewExpertQuestion) -> bool:
        """True once stored: only then can the experts' reply find its way back."""

        def record(store: Store) -> bool:
            store.record_expert_question(question)
            return True

        return self.attempt("record_expert_question", record, False)

    def expert_question(self, question_id: int) -> ExpertQuestion | None:
        return self.attempt("expert_question", lambda s: s.expert_question(question_id), None)

    def claim_expert_reply(
        self, *, experts_channel: str, experts_ts: str, expert_id: str, answer: str, answer_ts: str
    ) -> ExpertQuestion | None:
        """None while the database is down: a reply is brought back only when it is known to
        be the first."""
        return self.attempt(
            "claim_expert_reply",
            lambda s: s.claim_expert_reply(
                experts_channel=experts_channel,
                experts_ts=experts_ts,
                expert_id=expert_id,
                answer=answer,
                answer_ts=answer_ts,
            ),
            None,
        )

    def save_progress(
        self,
        *,
        user_id: str,
        kind: ProgressKind,
        state: dict[str, Any],
        team_id: str = SINGLE_WORKSPACE,
    ) -> None:
        self._progress[(team_id, user_id, kind)] = state
        self.attempt(
            "save_progress",
            lambda s: s.save_progress(user_id=user_id, kind=kind, state=state, team_id=team_id),
            None,
            record=True,
        )

    def load_progress(
        self, *, user_id: str, kind: ProgressKind, team_id: str = SINGLE_WORKSPACE
    ) -> dict[str, Any] | None:
        return self.attempt(
            "load_progress",
            lambda s: s.load_progress(user_id=user_id, kind=kind, team_id=team_id),
            self._progress.get((team_id, user_id, kind)),
        )

    def delete_workspace(self, team_id: str) -> int:
        """Delete one workspace's rows; 0 while the database is unavailable (logged)."""
        for key in [key for key in list(self._progress) if key[0] == team_id]:
            del self._progress[key]
        return self.attempt("delete_workspace", lambda s: s.delete_workspace(team_id), 0)

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

    def usage(self, *, since: datetime, team_id: str = SINGLE_WORKSPACE) -> Usage | None:
        """What one workspace recorded since then, or None while the database is unavailable."""
        return self.attempt("usage", lambda s: s.usage(since=since, team_id=team_id), None)

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
