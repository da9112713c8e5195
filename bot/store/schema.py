"""The store's tables and the ordered upgrade steps that bring an older database up to date.

A fresh database gets every table from `METADATA` and is stamped with the latest version. An
existing one runs, in order, the `MIGRATIONS` newer than its recorded version. When the schema
changes: edit the tables here, then append a step that makes the same change to an old database;
never edit a step that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

SLACK_ID = 32  # Slack IDs (U…, W…, C…, D…, G…) are short; room to spare
ENTRY_ID = 60  # matches the Slug limit of knowledge entry ids

METADATA = MetaData()

schema_version = Table(
    "vmdocker_schema_version",
    METADATA,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", String(200), nullable=False),
    Column("applied_at", DateTime, nullable=False),
)

processed_events = Table(
    "vmdocker_processed_events",
    METADATA,
    Column("event_id", String(255), primary_key=True),
    Column("seen_at", DateTime, nullable=False, index=True),
)

questions = Table(
    "vmdocker_questions",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("asked_at", DateTime, nullable=False),
    Column("surface", String(32), nullable=False),
    Column("user_id", String(SLACK_ID), nullable=False),
    Column("channel_id", String(SLACK_ID)),
    Column("question", Text),  # NULL when STORE_QUESTION_TEXT=false
    Column("band", String(16), nullable=False),
    Column("entry_id", String(ENTRY_ID)),
    Column("score", Float, nullable=False),
    Index("ix_vmdocker_questions_asked_at_band", "asked_at", "band"),
)

feedback = Table(
    "vmdocker_feedback",
    METADATA,
    Column("entry_id", String(ENTRY_ID), primary_key=True),
    Column("user_id", String(SLACK_ID), primary_key=True),
    Column("vote", SmallInteger, nullable=False),
    Column("voted_at", DateTime, nullable=False, index=True),
)

greetings = Table(
    "vmdocker_greetings",
    METADATA,
    Column("channel_id", String(SLACK_ID), primary_key=True),
    Column("user_id", String(SLACK_ID), primary_key=True),
    Column("greeted_at", DateTime, nullable=False),
)

progress = Table(
    "vmdocker_progress",
    METADATA,
    Column("user_id", String(SLACK_ID), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("state", JSON, nullable=False),
    Column("updated_at", DateTime, nullable=False, index=True),
)


answered_threads = Table(
    "vmdocker_answered_threads",
    METADATA,
    Column("channel_id", String(SLACK_ID), primary_key=True),
    Column("thread_ts", String(32), primary_key=True),
    Column("replied_at", DateTime, nullable=False, index=True),
)

# --- version 5: the bot learns in Slack ----------------------------------------
# Every row names its Slack workspace (`team_id`).

review_reminders = Table(
    "vmdocker_review_reminders",
    METADATA,
    Column("team_id", String(SLACK_ID), primary_key=True),
    Column("entry_id", String(ENTRY_ID), primary_key=True),
    Column("due_on", Date, primary_key=True),
    Column("sent_at", DateTime, nullable=False),
)

misses = Table(
    "vmdocker_misses",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("team_id", String(SLACK_ID), nullable=False),
    Column("asked_at", DateTime, nullable=False, index=True),
    Column("user_id", String(SLACK_ID), nullable=False),
    Column("channel_id", String(SLACK_ID), nullable=False),  # where to answer the asker
    Column("thread_ts", String(32)),
    Column("question", Text, nullable=False),
    Column("status", String(16), nullable=False),  # open, taught, out_of_scope
    Column("resolved_by", String(SLACK_ID)),
    Column("resolved_at", DateTime),
    Column("post_channel", String(SLACK_ID)),  # its post with Teach in MISSES_CHANNEL
    Column("post_ts", String(32)),
)

learned = Table(
    "vmdocker_learned",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("team_id", String(SLACK_ID), nullable=False),
    Column("question", Text, nullable=False),
    Column("entry_id", String(ENTRY_ID)),  # NULL: marked out of scope
    Column("taught_by", String(SLACK_ID), nullable=False),
    Column("taught_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False, index=True),
    Column("exported_at", DateTime),
    UniqueConstraint("team_id", "question", name="uq_vmdocker_learned_question"),
)

drafts = Table(
    "vmdocker_drafts",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("team_id", String(SLACK_ID), nullable=False),
    Column("title", String(200), nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("tags", JSON, nullable=False),
    Column("related", JSON, nullable=False),
    Column("source_url", Text, nullable=False),  # the Slack message it was saved from
    Column("saved_by", String(SLACK_ID), nullable=False),
    Column("saved_at", DateTime, nullable=False, index=True),
    Column("exported_at", DateTime),
)

expert_questions = Table(
    "vmdocker_expert_questions",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("team_id", String(SLACK_ID), nullable=False),
    Column("asker_id", String(SLACK_ID), nullable=False),
    Column("asker_channel", String(SLACK_ID), nullable=False),
    Column("asker_thread_ts", String(32)),
    Column("question", Text, nullable=False),
    Column("experts_channel", String(SLACK_ID), nullable=False),
    Column("experts_ts", String(32), nullable=False),
    Column("asked_at", DateTime, nullable=False, index=True),
    Column("answered_by", String(SLACK_ID)),
    Column("answered_at", DateTime),
    Column("answer", Text),  # the first expert reply, offered to be saved
    Column("answer_ts", String(32)),
    UniqueConstraint("experts_channel", "experts_ts", name="uq_vmdocker_expert_thread"),
)

LEARNING_TABLES = (review_reminders, misses, learned, drafts, expert_questions)


@dataclass(frozen=True)
class Migration:
    """One upgrade step: `apply` runs inside the upgrade transaction, then `version` is recorded."""

    version: int
    description: str
    apply: Callable[[Connection], None]


def _baseline(connection: Connection) -> None:
    METADATA.create_all(connection)


def _answered_threads(connection: Connection) -> None:
    answered_threads.create(connection, checkfirst=True)


def _learning(connection: Connection) -> None:
    for table in LEARNING_TABLES:
        table.create(connection, checkfirst=True)


MIGRATIONS: list[Migration] = [
    Migration(1, "questions, feedback, greetings, progress, processed events", _baseline),
    Migration(2, "threads the bot answered in, for follow-up questions", _answered_threads),
    # 3 and 4 are other changes, merged separately; versions need not be contiguous.
    Migration(
        5, "learning in Slack: reminders, misses, taught wordings, drafts, experts", _learning
    ),
]
