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
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
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

uploaded_files = Table(
    "vmdocker_uploaded_files",
    METADATA,
    Column("team_id", String(SLACK_ID), primary_key=True),
    Column("name", String(ENTRY_ID), primary_key=True),
    Column("version", String(64), primary_key=True),  # which content: a new one, a new file
    Column("file_id", String(SLACK_ID), nullable=False),
    Column("uploaded_at", DateTime, nullable=False),
)


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


def _uploaded_files(connection: Connection) -> None:
    uploaded_files.create(connection, checkfirst=True)


MIGRATIONS: list[Migration] = [
    Migration(1, "questions, feedback, greetings, progress, processed events", _baseline),
    Migration(2, "threads the bot answered in, for follow-up questions", _answered_threads),
    Migration(6, "files uploaded once per workspace and reused", _uploaded_files),
]
