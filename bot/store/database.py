"""The store on SQLAlchemy 2: one engine per process, a connection per call, any supported DB."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import (
    Connection,
    Engine,
    Executable,
    Table,
    case,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from bot.store.records import (
    ANSWERED,
    AskedQuestion,
    EntryVotes,
    ProgressKind,
    SurfaceBandCount,
    Usage,
)
from bot.store.schema import (
    MIGRATIONS,
    answered_threads,
    feedback,
    greetings,
    processed_events,
    progress,
    questions,
    schema_version,
    uploaded_files,
)

log = logging.getLogger(__name__)

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
# A listener claims its event id before it replies, so a busy or lost database must fail fast;
# the caller then answers anyway (ResilientStore).
SQLITE_BUSY_TIMEOUT_MS = 1500  # a writer waits this long for the lock, then the call fails
POSTGRES_CONNECT_TIMEOUT_S = 2  # libpq's minimum: a server that is down fails fast
POSTGRES_LOCK_TIMEOUT_MS = 1000
POSTGRES_STATEMENT_TIMEOUT_MS = 5000
EVENT_MEMORY = timedelta(days=2)  # Slack retries within minutes; older event ids are useless
_MIGRATION_LOCK_ID = 0x766D646B  # "vmdk": PostgreSQL advisory lock held while upgrading


class StoreError(Exception):
    """The store failed: a bad URL, an unsupported database, a newer schema, or a database
    error (the driver's own message, on one line, without SQL or parameters)."""


def describe_error(error: BaseException) -> str:
    """One line: the driver's own error when SQLAlchemy wraps one (no SQL, no parameters)."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0]}" if lines else type(cause).__name__


@contextmanager
def driver_errors_as_store_errors() -> Iterator[None]:
    """Turn any SQLAlchemy or driver error raised inside into a `StoreError`."""
    try:
        yield
    except SQLAlchemyError as error:
        raise StoreError(describe_error(error)) from error


def utcnow() -> datetime:
    """Naive UTC: the same on SQLite (no time zones) and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" hook issue BEGIN itself (pysqlite's own handling is unreliable).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")  # readers never block the writer
    cursor.execute("PRAGMA synchronous = NORMAL")  # durable across crashes of the app in WAL
    cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    # Writers take the lock up front (IMMEDIATE) so busy_timeout applies and no deadlock can occur.
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


def describe_url(url: str) -> str:
    """The URL as it may be shown in logs and errors: the password hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "an unreadable DATABASE_URL"


def create_store_engine(url: str) -> Engine:
    """An engine set up for concurrent use from Bolt's worker threads and several processes."""
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise StoreError(f"DATABASE_URL is not a database URL: {error}") from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise StoreError(f"DATABASE_URL: {backend!r} is not supported (use sqlite or postgresql)")
    try:
        if backend == "sqlite":
            in_memory = parsed.database in (None, "", ":memory:")
            engine = create_engine(
                parsed,
                connect_args={"check_same_thread": False},
                # An in-memory database lives in one connection: share it (tests, one thread).
                **({"poolclass": StaticPool} if in_memory else {}),
            )
            event.listen(engine, "connect", _sqlite_on_connect)
            event.listen(engine, "begin", _sqlite_on_begin)
            return engine
        return create_engine(
            parsed,
            pool_pre_ping=True,
            connect_args={
                "connect_timeout": POSTGRES_CONNECT_TIMEOUT_S,
                # A lock held elsewhere (a migration, a manual query) fails the call in a
                # second instead of stalling the answer waiting for it.
                "options": " ".join(
                    [
                        str(parsed.query.get("options", "")),  # the URL's own, kept
                        f"-c lock_timeout={POSTGRES_LOCK_TIMEOUT_MS}",
                        f"-c statement_timeout={POSTGRES_STATEMENT_TIMEOUT_MS}",
                    ]
                ).strip(),
            },
        )
    except NoSuchModuleError as error:
        raise StoreError(f"DATABASE_URL: {error}") from None


def upgrade_schema(engine: Engine, *, clock: Callable[[], datetime] = utcnow) -> int:
    """Create a fresh database, or run the upgrade steps it lacks; return its schema version."""
    latest = MIGRATIONS[-1].version
    with engine.connect() as connection:
        connection.execution_options(sqlite_begin="IMMEDIATE")  # one upgrader at a time
        with connection.begin():
            if engine.dialect.name == "postgresql":
                connection.execute(select(func.pg_advisory_xact_lock(_MIGRATION_LOCK_ID)))
            schema_version.create(connection, checkfirst=True)
            current = connection.scalar(select(func.max(schema_version.c.version))) or 0
            if current > latest:
                raise StoreError(
                    f"the database has schema version {current}, newer than this vmdocker "
                    f"knows ({latest}): upgrade vmdocker"
                )
            if current == 0:
                MIGRATIONS[0].apply(connection)  # the baseline creates every current table
                pending = MIGRATIONS
            else:
                pending = [step for step in MIGRATIONS if step.version > current]
                for step in pending:
                    step.apply(connection)
            for step in pending:
                log.info("store schema: version %d (%s)", step.version, step.description)
                connection.execute(
                    insert(schema_version).values(
                        version=step.version, description=step.description, applied_at=clock()
                    )
                )
    return latest


class Store:
    """Everything vmdocker remembers. Every method commits before it returns; none keeps state."""

    def __init__(
        self,
        engine: Engine,
        *,
        store_question_text: bool = True,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._store_question_text = store_question_text
        self._clock = clock
        # SQLite takes one writer at a time: this process's threads queue here, in order,
        # instead of racing for the file lock and timing out under a burst. PostgreSQL
        # handles concurrent writers itself.
        self._write_lock: AbstractContextManager[object] = (
            threading.Lock() if engine.dialect.name == "sqlite" else nullcontext()
        )
        self._statements: dict[tuple[str, str], Executable] = {}
        self._insert_question = insert(questions)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        store_question_text: bool = True,
        clock: Callable[[], datetime] = utcnow,
    ) -> Store:
        """Connect, creating the tables or upgrading the schema on first start."""
        engine = create_store_engine(url)
        try:
            with driver_errors_as_store_errors():
                upgrade_schema(engine, clock=clock)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, store_question_text=store_question_text, clock=clock)

    @property
    def engine(self) -> Engine:
        return self._engine

    def file_is_gone(self) -> bool:
        """True when this is a SQLite file that was deleted under us: writes would go nowhere."""
        url = self._engine.url
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return False
        return not Path(url.database).exists()

    @property
    def stores_question_text(self) -> bool:
        return self._store_question_text

    def schema_version(self) -> int:
        with self._reading() as connection:
            return int(connection.scalar(select(func.max(schema_version.c.version))) or 0)

    # --- writes ---------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        with (
            driver_errors_as_store_errors(),
            self._write_lock,
            self._engine.connect() as connection,
        ):
            connection.execution_options(sqlite_begin="IMMEDIATE")
            with connection.begin():
                yield connection

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        with driver_errors_as_store_errors(), self._engine.connect() as connection:
            yield connection

    def _insert(self, table: Table) -> sqlite.Insert | postgresql.Insert:
        """An INSERT that knows ON CONFLICT, in the dialect of this database."""
        if self._engine.dialect.name == "sqlite":
            return sqlite.insert(table)
        return postgresql.insert(table)

    # The write statements are built once per table and executed with each call's values:
    # building one per call (`.values(**row)`) coerced every value into a new statement, about
    # half the CPU time of a write.

    def _insert_once_statement(self, table: Table) -> Executable:
        key = next(iter(table.primary_key.columns))
        return self._insert(table).on_conflict_do_nothing().returning(key)

    def _upsert_statement(self, table: Table) -> Executable:
        """On a key already there, the other columns take the new row's values."""
        statement = self._insert(table)
        keys = {column.name for column in table.primary_key.columns}
        changes = {
            column.name: statement.excluded[column.name]
            for column in table.columns
            if column.name not in keys
        }
        return statement.on_conflict_do_update(index_elements=sorted(keys), set_=changes)

    def _prepared(self, kind: Literal["once", "upsert"], table: Table) -> Executable:
        statement = self._statements.get((kind, table.name))
        if statement is None:
            build = self._upsert_statement if kind == "upsert" else self._insert_once_statement
            statement = self._statements[(kind, table.name)] = build(table)
        return statement

    def _insert_once(self, table: Table, **values: object) -> bool:
        """Insert a row unless its key exists; True when this call inserted it (atomic)."""
        with self._writing() as connection:
            return connection.execute(self._prepared("once", table), values).first() is not None

    def _upsert(self, table: Table, **values: object) -> None:
        """Insert a row (every column), or update the one with the same primary key."""
        with self._writing() as connection:
            connection.execute(self._prepared("upsert", table), values)

    def claim_event(self, event_id: str) -> bool:
        """True only the first time this Slack event id is seen, across threads and processes."""
        return self._insert_once(processed_events, event_id=event_id, seen_at=self._clock())

    def record_question(self, asked: AskedQuestion) -> None:
        """Remember one question and how it was answered (its text only if STORE_QUESTION_TEXT)."""
        question = asked.question if self._store_question_text else None
        row = {**asked.model_dump(), "asked_at": self._clock(), "question": question or None}
        with self._writing() as connection:
            connection.execute(self._insert_question, row)

    def record_feedback(self, *, entry_id: str, user_id: str, vote: int) -> None:
        """Remember a 👍 (+1) or 👎 (-1); a user's second vote on an entry replaces the first."""
        if vote not in (1, -1):
            raise ValueError(f"vote must be +1 or -1, not {vote!r}")
        self._upsert(
            feedback,
            entry_id=entry_id,
            user_id=user_id,
            vote=vote,
            voted_at=self._clock(),
        )

    def mark_thread(self, *, channel_id: str, thread_ts: str) -> None:
        """Remember that the bot replied in this thread just now."""
        self._upsert(
            answered_threads,
            channel_id=channel_id,
            thread_ts=thread_ts,
            replied_at=self._clock(),
        )

    def answered_thread(self, *, channel_id: str, thread_ts: str, within: timedelta) -> bool:
        """True when the bot replied in this thread within the last `within`."""
        query = select(answered_threads.c.replied_at).where(
            answered_threads.c.channel_id == channel_id,
            answered_threads.c.thread_ts == thread_ts,
        )
        with self._reading() as connection:
            replied_at = connection.scalar(query)
        return replied_at is not None and self._clock() - replied_at <= within

    def mark_greeted(self, *, channel_id: str, user_id: str) -> bool:
        """True when this is the first greeting of that user in that channel (atomic)."""
        return self._insert_once(
            greetings, channel_id=channel_id, user_id=user_id, greeted_at=self._clock()
        )

    def save_progress(self, *, user_id: str, kind: ProgressKind, state: dict[str, Any]) -> None:
        """Replace a user's tour or quiz progress with `state` (JSON-serialisable)."""
        self._upsert(
            progress,
            user_id=user_id,
            kind=kind,
            state=state,
            updated_at=self._clock(),
        )

    def remember_uploaded_file(
        self, *, team_id: str, name: str, version: str, file_id: str
    ) -> None:
        """Remember the id of the file uploaded to workspace `team_id` for `name` at `version`."""
        self._upsert(
            uploaded_files,
            team_id=team_id,
            name=name,
            version=version,
            file_id=file_id,
            uploaded_at=self._clock(),
        )

    def uploaded_file(self, *, team_id: str, name: str, version: str) -> str | None:
        """The id of the file uploaded to that workspace for `name` at `version`, if any."""
        query = select(uploaded_files.c.file_id).where(
            uploaded_files.c.team_id == team_id,
            uploaded_files.c.name == name,
            uploaded_files.c.version == version,
        )
        with self._reading() as connection:
            file_id: str | None = connection.scalar(query)
        return file_id

    def purge(self, *, older_than_days: int) -> int:
        """Delete questions, votes, progress and event ids older than that; return rows deleted.

        Greetings are kept: they are what stops a newcomer being greeted twice, and hold IDs only.
        Event ids older than two days are always dropped: Slack stops retrying long before.
        """
        if older_than_days < 0:
            raise ValueError("older_than_days must not be negative")
        now = self._clock()
        cutoff = now - timedelta(days=older_than_days)
        event_cutoff = max(cutoff, now - EVENT_MEMORY)
        with self._writing() as connection:
            deleted = sum(
                connection.execute(delete(table).where(column < limit)).rowcount
                for table, column, limit in (
                    (questions, questions.c.asked_at, cutoff),
                    (feedback, feedback.c.voted_at, cutoff),
                    (progress, progress.c.updated_at, cutoff),
                    (answered_threads, answered_threads.c.replied_at, event_cutoff),
                    (processed_events, processed_events.c.seen_at, event_cutoff),
                )
            )
        if deleted:
            log.info(
                "store retention: deleted %d rows older than %d days", deleted, older_than_days
            )
        return deleted

    # --- reads ----------------------------------------------------------------

    def load_progress(self, *, user_id: str, kind: ProgressKind) -> dict[str, Any] | None:
        query = select(progress.c.state).where(
            progress.c.user_id == user_id, progress.c.kind == kind
        )
        with self._reading() as connection:
            state = connection.scalar(query)
        return dict(state) if state is not None else None

    def question_counts(self, *, since: datetime) -> list[SurfaceBandCount]:
        """Questions asked since then, per surface and band."""
        query = (
            select(questions.c.surface, questions.c.band, func.count())
            .where(questions.c.asked_at >= since)
            .group_by(questions.c.surface, questions.c.band)
        )
        with self._reading() as connection:
            rows = connection.execute(query).all()
        return [SurfaceBandCount(surface=s, band=b, count=n) for s, b, n in rows]

    def unanswered_questions(self, *, since: datetime, limit: int = 2000) -> list[str]:
        """The text of the latest questions not answered outright (declined or suggestions)."""
        query = (
            select(questions.c.question)
            .where(
                questions.c.asked_at >= since,
                questions.c.band != ANSWERED,
                questions.c.question.is_not(None),
            )
            .order_by(questions.c.asked_at.desc(), questions.c.id.desc())
            .limit(limit)
        )
        with self._reading() as connection:
            return [text for text in connection.scalars(query) if text]

    def entry_votes(self, *, since: datetime) -> list[EntryVotes]:
        """Each voted entry's 👍/👎 tally, from votes cast or changed since then."""
        up = func.sum(case((feedback.c.vote > 0, 1), else_=0))
        down = func.sum(case((feedback.c.vote < 0, 1), else_=0))
        query = (
            select(feedback.c.entry_id, up, down)
            .where(feedback.c.voted_at >= since)
            .group_by(feedback.c.entry_id)
        )
        with self._reading() as connection:
            rows = connection.execute(query).all()
        return [EntryVotes(entry_id=entry, up=int(u), down=int(d)) for entry, u, d in rows]

    def usage(self, *, since: datetime, limit: int = 2000) -> Usage:
        """What was recorded from `since` until now, for insights."""
        return Usage(
            since=since,
            until=self._clock(),
            counts=self.question_counts(since=since),
            unanswered=self.unanswered_questions(since=since, limit=limit),
            votes=self.entry_votes(since=since),
            question_text_stored=self._store_question_text,
        )

    def close(self) -> None:
        """Close every pooled connection; every write was already committed by its call."""
        self._engine.dispose()
