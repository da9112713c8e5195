"""What the app remembers: the inbox of acked requests, questions, votes, greetings and
onboarding progress.

`bot.store.resilient.ResilientStore` implements `SharedMemory` and `InboxStore` with a database
shared by every worker; `InProcessMemory` is the fallback when no store is given: it dedupes
Slack's retries that reach this process, keeps nothing durable (a restart loses what was in
progress) and logs the rest. Both keep each workspace apart (`team_id`); a listener sees one
workspace's `Memory` (`WorkspaceMemory`), or the one workspace of a bot-token install.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol

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


class Memory(Protocol):
    """The store as the listeners see it."""

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

    def claim_review_reminder(self, *, team_id: str, entry_id: str, due_on: date) -> bool:
        """True the first time an entry's reminder for that due date is claimed: send it then."""
        ...

    def release_review_reminder(self, *, team_id: str, entry_id: str, due_on: date) -> None:
        """Forget a claim whose reminder could not be sent."""
        ...

    def remember_uploaded_file(
        self, *, team_id: str, name: str, version: str, file_id: str
    ) -> None:
        """Keep the id of a file uploaded to a workspace, for every worker to reuse."""
        ...

    def uploaded_file(self, *, team_id: str, name: str, version: str) -> str | None:
        """The id of a file uploaded to that workspace for `name` at `version` (None: none)."""
        ...


class Learning(Protocol):
    """What the bot learns in Slack, kept only in the database (`ResilientStore`): misses to
    teach and taught wordings. Reads give None while the database is unavailable."""

    def record_miss(
        self, *, team_id: str, user_id: str, channel_id: str, thread_ts: str | None, question: str
    ) -> int | None: ...

    def miss(self, miss_id: int) -> Miss | None: ...

    def open_misses(self, *, team_id: str, limit: int = 20) -> list[Miss] | None: ...

    def set_miss_post(self, miss_id: int, *, channel: str, ts: str) -> None: ...

    def resolve_miss(self, miss_id: int, *, status: MissStatus, by: str) -> bool: ...

    def learn(
        self, *, team_id: str, question: str, entry_id: str | None, taught_by: str
    ) -> bool: ...

    def learned(self) -> list[LearnedPhrasing] | None: ...

    def learned_stamp(self) -> tuple[int, datetime | None] | None: ...

    def save_draft(self, draft: NewDraft) -> int | None: ...

    def drafts(self, *, team_id: str, limit: int | None = None) -> list[DraftEntry] | None: ...

    def record_expert_question(self, question: NewExpertQuestion) -> bool: ...

    def expert_question(self, question_id: int) -> ExpertQuestion | None: ...

    def claim_expert_reply(
        self, *, experts_channel: str, experts_ts: str, expert_id: str, answer: str, answer_ts: str
    ) -> ExpertQuestion | None: ...


class InboxStore(Protocol):
    """Where the inbox keeps acked requests until they are done (`bot.slack.inbox`)."""

    def admit(self, item: InboxItem, *, owner: str, lease: timedelta) -> bool:
        """Keep an acked request until it is done; True the first time its key is seen: only
        then is it worked on. `owner` holds it for `lease`, renewed while it lives."""
        ...

    def admit_all(self, admissions: Sequence[Admission]) -> list[bool]:
        """`admit` for requests that arrived together, in one transaction."""
        ...

    def finish(self, key: str, *, outcome: str) -> None:
        """The request's work is done (or given up): never work on it again."""
        ...

    def renew(self, *, owner: str, lease: timedelta) -> int:
        """Extend the leases `owner` holds on open items; return how many."""
        ...

    def release(self, keys: list[str], *, after: timedelta = timedelta(0)) -> int:
        """Let any worker take these open items once `after` has passed."""
        ...

    def claim_open(self, *, owner: str, lease: timedelta, limit: int) -> list[InboxItem]:
        """Open items whose lease ran out, now leased to `owner`: left by a stopped worker."""
        ...

    def inbox_depth(self) -> int | None:
        """Items acked and not yet done (None: not known)."""
        ...


class SharedMemory(Memory, InboxStore, Protocol):
    """The memory of every workspace: each method also takes the workspace's `team_id`."""

    def record_question(self, asked: AskedQuestion, *, team_id: str = SINGLE_WORKSPACE) -> None: ...

    def record_feedback(
        self, *, entry_id: str, user_id: str, vote: int, team_id: str = SINGLE_WORKSPACE
    ) -> None: ...

    def load_progress(
        self, *, user_id: str, kind: ProgressKind, team_id: str = SINGLE_WORKSPACE
    ) -> dict[str, Any] | None: ...

    def usage(self, *, since: datetime, team_id: str = SINGLE_WORKSPACE) -> Usage | None: ...

    def mark_greeted(
        self, *, channel_id: str, user_id: str, team_id: str = SINGLE_WORKSPACE
    ) -> bool: ...

    def mark_thread(
        self, *, channel_id: str, thread_ts: str, team_id: str = SINGLE_WORKSPACE
    ) -> None: ...

    def answered_thread(
        self,
        *,
        channel_id: str,
        thread_ts: str,
        within: timedelta,
        team_id: str = SINGLE_WORKSPACE,
    ) -> bool: ...

    def save_progress(
        self,
        *,
        user_id: str,
        kind: ProgressKind,
        state: dict[str, Any],
        team_id: str = SINGLE_WORKSPACE,
    ) -> None: ...

    def delete_workspace(self, team_id: str) -> int:
        """Forget everything one workspace left; the number of records deleted."""
        ...


class WorkspaceMemory:
    """One workspace's `Memory` within a `SharedMemory`: what a listener of that workspace sees."""

    def __init__(self, shared: SharedMemory, team_id: str) -> None:
        self.shared = shared
        self.team_id = team_id

    def record_question(self, asked: AskedQuestion) -> None:
        self.shared.record_question(asked, team_id=self.team_id)

    def record_feedback(self, *, entry_id: str, user_id: str, vote: int) -> None:
        self.shared.record_feedback(
            entry_id=entry_id, user_id=user_id, vote=vote, team_id=self.team_id
        )

    def load_progress(self, *, user_id: str, kind: ProgressKind) -> dict[str, Any] | None:
        return self.shared.load_progress(user_id=user_id, kind=kind, team_id=self.team_id)

    def usage(self, *, since: datetime) -> Usage | None:
        return self.shared.usage(since=since, team_id=self.team_id)

    def mark_greeted(self, *, channel_id: str, user_id: str) -> bool:
        return self.shared.mark_greeted(
            channel_id=channel_id, user_id=user_id, team_id=self.team_id
        )

    def mark_thread(self, *, channel_id: str, thread_ts: str) -> None:
        self.shared.mark_thread(channel_id=channel_id, thread_ts=thread_ts, team_id=self.team_id)

    def answered_thread(self, *, channel_id: str, thread_ts: str, within: timedelta) -> bool:
        return self.shared.answered_thread(
            channel_id=channel_id, thread_ts=thread_ts, within=within, team_id=self.team_id
        )

    def save_progress(self, *, user_id: str, kind: ProgressKind, state: dict[str, Any]) -> None:
        self.shared.save_progress(user_id=user_id, kind=kind, state=state, team_id=self.team_id)

    def claim_review_reminder(self, *, team_id: str, entry_id: str, due_on: date) -> bool:
        return self.shared.claim_review_reminder(team_id=team_id, entry_id=entry_id, due_on=due_on)

    def release_review_reminder(self, *, team_id: str, entry_id: str, due_on: date) -> None:
        self.shared.release_review_reminder(team_id=team_id, entry_id=entry_id, due_on=due_on)

    def remember_uploaded_file(
        self, *, team_id: str, name: str, version: str, file_id: str
    ) -> None:
        self.shared.remember_uploaded_file(
            team_id=team_id, name=name, version=version, file_id=file_id
        )

    def uploaded_file(self, *, team_id: str, name: str, version: str) -> str | None:
        return self.shared.uploaded_file(team_id=team_id, name=name, version=version)


class InProcessMemory:
    """Bounded, per process: remembers the last `size` inbox keys; logs questions and votes."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._events: OrderedDict[str, None] = OrderedDict()
        self._greeted: OrderedDict[tuple[str, str, str], None] = OrderedDict()
        self._threads: OrderedDict[tuple[str, str, str], float] = OrderedDict()
        self._reminders: OrderedDict[tuple[str, str, date], None] = OrderedDict()
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

    def admit(self, item: InboxItem, *, owner: str, lease: timedelta) -> bool:
        return self._first_time(self._events, item.key)

    def admit_all(self, admissions: Sequence[Admission]) -> list[bool]:
        return [self._first_time(self._events, admitted.item.key) for admitted in admissions]

    def finish(self, key: str, *, outcome: str) -> None:
        log.debug("inbox item %s: %s", key, outcome)

    def renew(self, *, owner: str, lease: timedelta) -> int:
        return 0  # nothing is kept for another process to take

    def release(self, keys: list[str], *, after: timedelta = timedelta(0)) -> int:
        return 0

    def claim_open(self, *, owner: str, lease: timedelta, limit: int) -> list[InboxItem]:
        return []

    def inbox_depth(self) -> int | None:
        return None

    def mark_greeted(
        self, *, channel_id: str, user_id: str, team_id: str = SINGLE_WORKSPACE
    ) -> bool:
        return self._first_time(self._greeted, (team_id, channel_id, user_id))

    def claim_review_reminder(self, *, team_id: str, entry_id: str, due_on: date) -> bool:
        return self._first_time(self._reminders, (team_id, entry_id, due_on))

    def release_review_reminder(self, *, team_id: str, entry_id: str, due_on: date) -> None:
        with self._lock:
            self._reminders.pop((team_id, entry_id, due_on), None)

    def save_progress(
        self,
        *,
        user_id: str,
        kind: ProgressKind,
        state: dict[str, Any],
        team_id: str = SINGLE_WORKSPACE,
    ) -> None:
        log.debug("%s progress of %s: %s", kind, user_id, state)

    def mark_thread(
        self, *, channel_id: str, thread_ts: str, team_id: str = SINGLE_WORKSPACE
    ) -> None:
        key = (team_id, channel_id, thread_ts)
        with self._lock:
            self._threads[key] = self._monotonic()
            self._threads.move_to_end(key)
            if len(self._threads) > self._size:
                self._threads.popitem(last=False)

    def answered_thread(
        self,
        *,
        channel_id: str,
        thread_ts: str,
        within: timedelta,
        team_id: str = SINGLE_WORKSPACE,
    ) -> bool:
        with self._lock:
            replied = self._threads.get((team_id, channel_id, thread_ts))
        return replied is not None and self._monotonic() - replied <= within.total_seconds()

    def record_question(self, asked: AskedQuestion, *, team_id: str = SINGLE_WORKSPACE) -> None:
        log.debug(
            "question on %s: band=%s entry=%s score=%.0f",
            asked.surface,
            asked.band,
            asked.entry_id,
            asked.score,
        )

    def record_feedback(
        self, *, entry_id: str, user_id: str, vote: int, team_id: str = SINGLE_WORKSPACE
    ) -> None:
        log.info("feedback on %s: %+d", entry_id, vote)

    def load_progress(
        self, *, user_id: str, kind: ProgressKind, team_id: str = SINGLE_WORKSPACE
    ) -> dict[str, Any] | None:
        return None  # progress is kept by the store only

    def usage(self, *, since: datetime, team_id: str = SINGLE_WORKSPACE) -> Usage | None:
        return None  # without the store, questions are only logged

    def delete_workspace(self, team_id: str) -> int:
        with self._lock:
            greeted = [key for key in self._greeted if key[0] == team_id]
            threads = [key for key in self._threads if key[0] == team_id]
            for key in greeted:
                del self._greeted[key]
            for key in threads:
                del self._threads[key]
        return len(greeted) + len(threads)

    def remember_uploaded_file(
        self, *, team_id: str, name: str, version: str, file_id: str
    ) -> None:
        """Nothing to do: the app keeps uploaded file ids in-process on its own."""

    def uploaded_file(self, *, team_id: str, name: str, version: str) -> str | None:
        return None
