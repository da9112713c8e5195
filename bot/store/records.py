"""What the store keeps and hands back, as plain models: it knows no domain and no settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

ProgressKind = Literal["tour", "quiz"]
InboxKind = Literal["event", "command", "action"]
BandName = Literal["answer", "suggest", "none"]  # how a question was answered
ANSWERED: BandName = "answer"  # answered outright; the other bands are misses
# Whose record it is: the workspace's team id (T…), or the enterprise id (E…) of an org-wide
# install on Enterprise Grid; "" for the one workspace of a bot-token install.
SINGLE_WORKSPACE = ""


def utcnow() -> datetime:
    """Naive UTC, as every stored time is: the same on SQLite (no time zones) and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


class Record(BaseModel):
    model_config = ConfigDict(frozen=True)


class AskedQuestion(Record):
    """One question as the store records it: where and how it was answered, Slack IDs only."""

    surface: str
    user_id: str
    channel_id: str | None
    question: str | None
    band: BandName
    entry_id: str | None
    score: float


class SurfaceBandCount(Record):
    """How many questions one surface (mention, DM, command...) got in one band."""

    surface: str
    band: BandName
    count: int = Field(ge=0)


class EntryVotes(Record):
    """The current 👍/👎 tally of one entry (each user counts once, with their latest vote)."""

    entry_id: str
    title: str | None = None
    up: int = Field(ge=0)
    down: int = Field(ge=0)


class Usage(Record):
    """Everything recorded in a time window that insights are computed from."""

    since: datetime
    until: datetime
    counts: list[SurfaceBandCount]
    unanswered: list[str]
    votes: list[EntryVotes]
    question_text_stored: bool


class InboxItem(Record):
    """One acked request kept until its work is done: what it was, and its payload as JSON."""

    key: str
    kind: InboxKind
    team_id: str | None = None
    channel_id: str | None = None
    user_id: str | None = None
    body: str
    received_at: datetime
    attempts: int = Field(default=1, ge=1)


class Admission(NamedTuple):
    """An item to keep, leased to `owner` for `lease`."""

    item: InboxItem
    owner: str
    lease: timedelta


MissStatus = Literal["open", "taught", "out_of_scope"]


class Miss(Record):
    """A question the bot declined or was unsure of, and where to answer its asker later:
    `channel_id` is the conversation (a user id for a private reply), `thread_ts` its thread."""

    id: int
    team_id: str
    asked_at: datetime
    user_id: str
    channel_id: str
    thread_ts: str | None
    question: str
    status: MissStatus = "open"
    post_channel: str | None = None  # where it was posted with Teach, to update once handled
    post_ts: str | None = None


class LearnedPhrasing(Record):
    """A wording an editor taught: an example question of `entry_id` (None: out of scope)."""

    id: int
    team_id: str
    question: str
    entry_id: str | None
    taught_by: str
    taught_at: datetime
    exported_at: datetime | None = None


class NewDraft(Record):
    """An answer saved from a Slack message, to become an entry file once exported."""

    team_id: str
    title: str
    question: str
    answer: str
    tags: list[str] = []
    related: list[str] = []
    source_url: str  # the Slack message it was saved from
    saved_by: str


class DraftEntry(NewDraft):
    """A stored draft; it answers nobody until exported and committed."""

    id: int
    saved_at: datetime
    exported_at: datetime | None = None


class NewExpertQuestion(Record):
    """A question the asker sent to the experts' channel, and where to bring the answer back."""

    team_id: str
    asker_id: str
    asker_channel: str
    asker_thread_ts: str | None
    question: str
    experts_channel: str
    experts_ts: str  # the experts' thread


class ExpertQuestion(NewExpertQuestion):
    id: int
    asked_at: datetime
    answered_by: str | None = None
    answered_at: datetime | None = None
    answer: str | None = None
    answer_ts: str | None = None
