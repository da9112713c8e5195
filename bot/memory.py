"""What the app remembers: handled events, questions and votes, behind the store's interface.

`bot.store.ResilientStore` implements `Memory` with a database shared by every worker;
`InProcessMemory` is the fallback when no store is given: it dedupes Slack's retries that reach
this process and logs the rest.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Protocol

log = logging.getLogger(__name__)


class Memory(Protocol):
    """The store as the listeners see it."""

    def claim_event(self, event_id: str) -> bool:
        """True the first time `event_id` is seen: only then is the event answered."""
        ...

    def record_question(
        self,
        *,
        surface: str,
        user_id: str,
        channel_id: str | None,
        question: str | None,
        band: str,
        entry_id: str | None,
        score: float,
    ) -> None: ...

    def record_feedback(self, *, entry_id: str, user_id: str, vote: int) -> None: ...


class InProcessMemory:
    """Bounded, per process: remembers the last `size` event ids; logs questions and votes."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._events: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def claim_event(self, event_id: str) -> bool:
        with self._lock:
            if event_id in self._events:
                return False
            self._events[event_id] = None
            if len(self._events) > self._size:
                self._events.popitem(last=False)
            return True

    def record_question(
        self,
        *,
        surface: str,
        user_id: str,
        channel_id: str | None,
        question: str | None,
        band: str,
        entry_id: str | None,
        score: float,
    ) -> None:
        log.debug("question on %s: band=%s entry=%s score=%.0f", surface, band, entry_id, score)

    def record_feedback(self, *, entry_id: str, user_id: str, vote: int) -> None:
        log.info("feedback on %s: %+d", entry_id, vote)
