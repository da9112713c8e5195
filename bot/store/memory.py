"""What the app remembers: handled events, questions, votes, greetings and onboarding progress.

`bot.store.resilient.ResilientStore` implements `Memory` with a database shared by every worker;
`InProcessMemory` is the fallback when no store is given: it dedupes Slack's retries that reach
this process and logs the rest.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.store.records import AskedQuestion, ProgressKind, Usage

log = logging.getLogger(__name__)


class Memory(Protocol):
    """The store as the listeners see it."""

    def claim_event(self, event_id: str) -> bool:
        """True the first time `event_id` is seen: only then is the event answered."""
        ...

    def record_question(self, asked: AskedQuestion) -> None:
        """Remember one question and how it was answered."""
        ...

    def record_feedback(self, *, entry_id: str, user_id: str, vote: int) -> None: ...

    def load_progress(self, *, user_id: str, kind: ProgressKind) -> dict[str, Any] | None:
        """A person's saved place in the tour or quiz, for the Home tab (None: nothing kept)."""
        ...

    def usage(self, *, since: datetime) -> Usage | None:
        """What was recorded since then, for admins' insights (None: nothing recorded)."""
        ...

    def mark_greeted(self, *, channel_id: str, user_id: str) -> bool:
        """True the first time `user_id` is greeted in `channel_id`: only then is it sent."""
        ...

    def mark_thread(self, *, channel_id: str, thread_ts: str) -> None:
        """Remember that the bot replied in this thread just now."""
        ...

    def answered_thread(self, *, channel_id: str, thread_ts: str, within: timedelta) -> bool:
        """True when the bot replied in this thread within the last `within`."""
        ...

    def save_progress(self, *, user_id: str, kind: ProgressKind, state: dict[str, Any]) -> None:
        """Keep a person's place in the tour or quiz (for the Home tab)."""
        ...

    def remember_uploaded_file(
        self, *, team_id: str, name: str, version: str, file_id: str
    ) -> None:
        """Keep the id of a file uploaded to a workspace, for every worker to reuse."""
        ...

    def uploaded_file(self, *, team_id: str, name: str, version: str) -> str | None:
        """The id of a file uploaded to that workspace for `name` at `version` (None: none)."""
        ...


class InProcessMemory:
    """Bounded, per process: remembers the last `size` event ids; logs questions and votes."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._events: OrderedDict[str, None] = OrderedDict()
        self._greeted: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._threads: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._monotonic = time.monotonic
        self._lock = threading.Lock()

    def _first_time(self, seen: OrderedDict[Any, None], key: object) -> bool:
        with self._lock:
            if key in seen:
                return False
            seen[key] = None
            if len(seen) > self._size:
                seen.popitem(last=False)
            return True

    def claim_event(self, event_id: str) -> bool:
        return self._first_time(self._events, event_id)

    def mark_greeted(self, *, channel_id: str, user_id: str) -> bool:
        return self._first_time(self._greeted, (channel_id, user_id))

    def save_progress(self, *, user_id: str, kind: ProgressKind, state: dict[str, Any]) -> None:
        log.debug("%s progress of %s: %s", kind, user_id, state)

    def mark_thread(self, *, channel_id: str, thread_ts: str) -> None:
        with self._lock:
            self._threads[(channel_id, thread_ts)] = self._monotonic()
            self._threads.move_to_end((channel_id, thread_ts))
            if len(self._threads) > self._size:
                self._threads.popitem(last=False)

    def answered_thread(self, *, channel_id: str, thread_ts: str, within: timedelta) -> bool:
        with self._lock:
            replied = self._threads.get((channel_id, thread_ts))
        return replied is not None and self._monotonic() - replied <= within.total_seconds()

    def record_question(self, asked: AskedQuestion) -> None:
        log.debug(
            "question on %s: band=%s entry=%s score=%.0f",
            asked.surface,
            asked.band,
            asked.entry_id,
            asked.score,
        )

    def record_feedback(self, *, entry_id: str, user_id: str, vote: int) -> None:
        log.info("feedback on %s: %+d", entry_id, vote)

    def load_progress(self, *, user_id: str, kind: ProgressKind) -> dict[str, Any] | None:
        return None  # progress is kept by the store only

    def usage(self, *, since: datetime) -> Usage | None:
        return None  # without the store, questions are only logged

    def remember_uploaded_file(
        self, *, team_id: str, name: str, version: str, file_id: str
    ) -> None:
        """Nothing to do: the app keeps uploaded file ids in-process on its own."""

    def uploaded_file(self, *, team_id: str, name: str, version: str) -> str | None:
        return None
