"""The store's tables and the ordered upgrade steps that bring an older database up to date.

A fresh database gets every table from `METADATA` and is stamped with the latest version. An
existing one runs, in order, the `MIGRATIONS` newer than its recorded version. When the schema
changes: edit the tables here, then append a step that makes the same change to an old database;
never edit a step that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

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
    inspect,
)

from bot.store.records import SINGLE_WORKSPACE

SLACK_ID = 32  # Slack IDs (U…, W…, C…, D…, G…) are short; room to spare
ENTRY_ID = 60  # matches the Slug limit of knowledge entry ids

METADATA = MetaData()
# Each row's `team_id` says whose it is (`SINGLE_WORKSPACE` for the bot-token workspace).

schema_version = Table(
    "vmdocker_schema_version",
    METADATA,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", String(200), nullable=False),
    Column("applied_at", DateTime, nullable=False),
)

inbox = Table(
    "vmdocker_inbox",
    METADATA,
    Column("key", String(255), primary_key=True),  # event_id, or a command's/click's trigger_id
    Column("kind", String(16), nullable=False),
    Column("team_id", String(SLACK_ID)),
    Column("channel_id", String(SLACK_ID)),
    Column("user_id", String(SLACK_ID)),
    Column("body", Text, nullable=False),  # the payload as Bolt parsed it, as JSON
    Column("received_at", DateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("owner", String(80)),  # the worker process working on it
    Column("lease_until", DateTime, nullable=False),  # another worker may take it after this
    Column("done_at", DateTime),
    Column("outcome", String(16)),
    Index("ix_vmdocker_inbox_open", "done_at", "lease_until"),
)

questions = Table(
    "vmdocker_questions",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("team_id", String(SLACK_ID), nullable=False, server_default=SINGLE_WORKSPACE),
    Column("asked_at", DateTime, nullable=False),
    Column("surface", String(32), nullable=False),
    Column("user_id", String(SLACK_ID), nullable=False),
    Column("channel_id", String(SLACK_ID)),
    Column("question", Text),  # NULL when STORE_QUESTION_TEXT=false
    Column("band", String(16), nullable=False),
    Column("entry_id", String(ENTRY_ID)),
    Column("score", Float, nullable=False),
    Index("ix_vmdocker_questions_asked_at_band", "asked_at", "band"),
    Index("ix_vmdocker_questions_team_asked_at", "team_id", "asked_at"),
)

feedback = Table(
    "vmdocker_feedback",
    METADATA,
    Column("team_id", String(SLACK_ID), primary_key=True, server_default=SINGLE_WORKSPACE),
    Column("entry_id", String(ENTRY_ID), primary_key=True),
    Column("user_id", String(SLACK_ID), primary_key=True),
    Column("vote", SmallInteger, nullable=False),
    Column("voted_at", DateTime, nullable=False, index=True),
)

greetings = Table(
    "vmdocker_greetings",
    METADATA,
    Column("team_id", String(SLACK_ID), primary_key=True, server_default=SINGLE_WORKSPACE),
    Column("channel_id", String(SLACK_ID), primary_key=True),
    Column("user_id", String(SLACK_ID), primary_key=True),
    Column("greeted_at", DateTime, nullable=False),
)

progress = Table(
    "vmdocker_progress",
    METADATA,
    Column("team_id", String(SLACK_ID), primary_key=True, server_default=SINGLE_WORKSPACE),
    Column("user_id", String(SLACK_ID), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("state", JSON, nullable=False),
    Column("updated_at", DateTime, nullable=False, index=True),
)


answered_threads = Table(
    "vmdocker_answered_threads",
    METADATA,
    Column("team_id", String(SLACK_ID), primary_key=True, server_default=SINGLE_WORKSPACE),
    Column("channel_id", String(SLACK_ID), primary_key=True),
    Column("thread_ts", String(32), primary_key=True),
    Column("replied_at", DateTime, nullable=False, index=True),
)

# Installs through OAuth (one row per install, the bot's token and refresh token) and the
# OAuth state of installs in progress: slack_sdk's own tables, named as ours. They join METADATA
# when first needed (`slack_tables`): slack_sdk's SQLAlchemy stores import SQLAlchemy's ORM, a
# tenth of a second or more that a worker serving one workspace's bot token never needs.
SLACK_INSTALLATIONS = "vmdocker_slack_installations"
SLACK_BOTS = "vmdocker_slack_bots"
SLACK_OAUTH_STATES = "vmdocker_slack_oauth_states"


@cache
def slack_tables() -> tuple[Table, Table, Table]:
    """The OAuth tables: installations, bots and states, in METADATA from the first call on."""
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    return (
        SQLAlchemyInstallationStore.build_installations_table(METADATA, SLACK_INSTALLATIONS),
        SQLAlchemyInstallationStore.build_bots_table(METADATA, SLACK_BOTS),
        SQLAlchemyOAuthStateStore.build_oauth_states_table(METADATA, SLACK_OAUTH_STATES),
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
uploaded_files = Table(
    "vmdocker_uploaded_files",
    METADATA,
    Column("team_id", String(SLACK_ID), primary_key=True),
    Column("name", String(ENTRY_ID), primary_key=True),
    Column("version", String(64), primary_key=True),  # which content: a new one, a new file
    Column("file_id", String(SLACK_ID), nullable=False),
    Column("uploaded_at", DateTime, nullable=False),
)

# The tables whose rows belong to one workspace, deleted with it on request.
WORKSPACE_TABLES = (
    inbox,
    questions,
    feedback,
    greetings,
    progress,
    answered_threads,
    *LEARNING_TABLES,
    uploaded_files,
)


@dataclass(frozen=True)
class Migration:
    """One upgrade step: `apply` runs inside the upgrade transaction, then `version` is recorded."""

    version: int
    description: str
    apply: Callable[[Connection], None]


def _baseline(connection: Connection) -> None:
    slack_tables()
    METADATA.create_all(connection)


def _answered_threads(connection: Connection) -> None:
    answered_threads.create(connection, checkfirst=True)


def _inbox(connection: Connection) -> None:
    inbox.create(connection, checkfirst=True)
    connection.exec_driver_sql("DROP TABLE IF EXISTS vmdocker_processed_events")  # now the inbox


def _add_team_column(connection: Connection, table: Table) -> None:
    """Add `team_id` to `table`, "" (the one workspace of a bot-token install) on every row."""
    kind = table.c.team_id.type.compile(dialect=connection.dialect)
    connection.exec_driver_sql(
        f"ALTER TABLE {table.name} ADD COLUMN team_id {kind} NOT NULL DEFAULT ''"
    )


def _rebuild_with_team_key(connection: Connection, table: Table) -> None:
    """Recreate `table` with `team_id` in its primary key, keeping its rows (SQLite cannot alter a
    primary key). The copy goes through a plain table so that no index or constraint name is
    held by the old one when the new one is created."""
    copy = f"{table.name}_before_teams"
    connection.exec_driver_sql(f"CREATE TABLE {copy} AS SELECT * FROM {table.name}")
    kept = [column["name"] for column in inspect(connection).get_columns(copy)]
    table.drop(connection)
    table.create(connection)
    names = ", ".join(name for name in kept if name in table.c)
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({names}) SELECT {names} FROM {copy}")
    connection.exec_driver_sql(f"DROP TABLE {copy}")


def _teams(connection: Connection) -> None:
    _add_team_column(connection, questions)
    for index in questions.indexes:
        if index.name == "ix_vmdocker_questions_team_asked_at":
            index.create(connection)
    for table in (feedback, greetings, progress, answered_threads):
        _rebuild_with_team_key(connection, table)
    for table in slack_tables():
        table.create(connection, checkfirst=True)


def _learning(connection: Connection) -> None:
    for table in LEARNING_TABLES:
        table.create(connection, checkfirst=True)


def _uploaded_files(connection: Connection) -> None:
    uploaded_files.create(connection, checkfirst=True)


MIGRATIONS: list[Migration] = [
    Migration(1, "questions, feedback, greetings, progress, processed events", _baseline),
    Migration(2, "threads the bot answered in, for follow-up questions", _answered_threads),
    Migration(3, "a durable inbox of acked events, commands and clicks", _inbox),
    Migration(4, "every row carries its workspace; OAuth installs and state", _teams),
    Migration(
        5, "learning in Slack: reminders, misses, taught wordings, drafts, experts", _learning
    ),
    Migration(6, "files uploaded once per workspace and reused", _uploaded_files),
]
