"""The store on SQLAlchemy 2: one engine per process, a connection per call, any supported DB."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    Executable,
    Table,
    bindparam,
    case,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.pool import StaticPool
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from bot.store.errors import StoreError
from bot.store.records import (
    ANSWERED,
    SINGLE_WORKSPACE,
    Admission,
    AskedQuestion,
    DraftEntry,
    EntryVotes,
    ExpertQuestion,
    InboxItem,
    LearnedPhrasing,
    Miss,
    MissStatus,
    NewDraft,
    NewExpertQuestion,
    ProgressKind,
    SurfaceBandCount,
    Usage,
    utcnow,
)
from bot.store.schema import (
    MIGRATIONS,
    WORKSPACE_TABLES,
    answered_threads,
    drafts,
    expert_questions,
    feedback,
    greetings,
    inbox,
    learned,
    misses,
    progress,
    questions,
    review_reminders,
    schema_version,
    uploaded_files,
)

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite

log = logging.getLogger(__name__)

V = TypeVar("V")
R = TypeVar("R")

SUPPORTED_BACKENDS = ("sqlite", "postgresql")
# Every request is kept in the inbox before it is acked, so a busy or lost database must fail
# fast; the caller then answers anyway (ResilientStore).
SQLITE_BUSY_TIMEOUT_MS = 1500  # a writer waits this long for the lock, then the call fails
POSTGRES_CONNECT_TIMEOUT_S = 2  # libpq's minimum: a server that is down fails fast
POSTGRES_LOCK_TIMEOUT_MS = 1000
POSTGRES_STATEMENT_TIMEOUT_MS = 5000
EVENT_MEMORY = timedelta(days=2)  # Slack retries within minutes; older done items are useless
_MIGRATION_LOCK_ID = 0x766D646B  # "vmdk": PostgreSQL advisory lock held while upgrading


def describe_error(error: BaseException) -> str:
    """One line: the driver's own error when SQLAlchemy wraps one (no SQL, no parameters)."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0]}" if lines else type(cause).__name__


@contextmanager
def driver_errors_as_store_errors() -> Iterator[None]:
    """Turn any SQLAlchemy or driver error raised inside into a `StoreError`; SQLite's too when
    it comes from the BEGIN `_sqlite_on_begin` runs on the driver's connection, which
    SQLAlchemy does not wrap (a database locked by another process)."""
    try:
        yield
    except (SQLAlchemyError, sqlite3.Error) as error:
        raise StoreError(describe_error(error)) from error


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
    # On the driver's connection: through SQLAlchemy's execution path, a BEGIN costs as much CPU
    # as the statement that follows it, and every request writes the store several times.
    mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
    driver = connection.connection.driver_connection
    assert driver is not None  # only a checked-out connection begins
    driver.execute(f"BEGIN {mode}")


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


def check_schema(engine: Engine) -> None:
    """Raise StoreError unless the database has the schema version this vmdocker writes: a
    look that changes nothing reads only a database the bot has already set up or upgraded."""
    latest = MIGRATIONS[-1].version
    with engine.connect() as connection:
        current = (
            connection.scalar(select(func.max(schema_version.c.version)))
            if engine.dialect.has_table(connection, schema_version.name)
            else None
        ) or 0
    if current == 0:
        raise StoreError("no vmdocker tables there yet: nothing was taught or recorded")
    if current != latest:
        raise StoreError(
            f"the database has schema version {current}, not {latest}: start the bot "
            "(`vmdocker serve` or `vmdocker run`) once to upgrade it"
        )


def _inbox_row(admission: Admission, now: datetime) -> dict[str, object]:
    """The inbox row of an item kept at `now`, leased to its owner."""
    return {
        **admission.item.model_dump(),
        "owner": admission.owner,
        "lease_until": now + admission.lease,
    }


class GroupCommit(Generic[V, R]):
    """Writes that arrive while one is being written wait, then go together in the next
    transaction (group commit): under a burst of requests, each kept before its ack, most
    share a BEGIN and a COMMIT and wait for one transaction instead of queueing one by one.
    Each caller still returns only once its own row is committed, or raises its batch's error.
    """

    def __init__(self, write: Callable[[list[V]], list[R]]) -> None:
        self._write = write  # one transaction for all the values, a result for each
        self._lock = threading.Condition()
        self._waiting: list[_Slot[V, R]] = []
        self._busy = False

    def __call__(self, value: V) -> R:
        slot = _Slot[V, R](value)
        with self._lock:
            self._waiting.append(slot)
            while not slot.done and self._busy:
                self._lock.wait()
            if slot.done:  # written in a batch another caller led
                return slot.outcome()
            self._busy = True
            batch, self._waiting = self._waiting, []
        try:
            results = self._write([waiting.value for waiting in batch])
            for waiting, result in zip(batch, results, strict=True):
                waiting.result = result
        except BaseException as error:
            for waiting in batch:
                waiting.error = error
            raise
        finally:
            with self._lock:
                for waiting in batch:
                    waiting.done = True
                self._busy = False
                self._lock.notify_all()
        return slot.outcome()

    def waiting(self) -> int:
        """How many callers wait for the next transaction."""
        with self._lock:
            return len(self._waiting)


@dataclass
class _Slot(Generic[V, R]):
    value: V
    done: bool = False
    result: R | None = None
    error: BaseException | None = None

    def outcome(self) -> R:
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


class _DriverStatement:
    """A write statement as SQLAlchemy compiles it for SQLite with a given set of values: its
    SQL, and how each positional parameter comes from a call's values (through the type's bind
    processor, as SQLAlchemy would: a DateTime becomes SQLite's text)."""

    def __init__(self, statement: Executable, keys: Sequence[str], dialect: Dialect) -> None:
        assert isinstance(statement, ClauseElement)  # an insert or an update
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        self._compiled = compiled
        self._processors = [
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in compiled.positiontup or []
        ]

    def parameters(self, values: dict[str, object]) -> tuple[object, ...]:
        every = self._compiled.construct_params(values)
        return tuple(
            every[name] if process is None else process(every[name])
            for name, process in self._processors
        )


class Store:
    """Everything vmdocker remembers. Every method commits before it returns; none keeps data
    from one call to the next."""

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
        # instead of racing for the file lock and timing out under a burst, and write through
        # one connection (`_writing`). PostgreSQL handles concurrent writers itself.
        self._sqlite = engine.dialect.name == "sqlite"
        self._write_lock: AbstractContextManager[object] = (
            threading.Lock() if self._sqlite else nullcontext()
        )
        self._writer: Connection | None = None
        self._statements: dict[tuple[str, str], Executable] = {}
        self._driver_statements: dict[tuple[Executable, tuple[str, ...]], _DriverStatement] = {}
        url = engine.url
        self._sqlite_file = (
            url.database
            if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
            else None
        )
        self._insert_question = insert(questions)
        self._admit = GroupCommit(self._admit_all)
        # The writes each answer makes (its question, its thread, its item done), from listener
        # threads at the same moment, share transactions too.
        self._write = GroupCommit(self._execute_all)
        # Built once: every request finishes its inbox item, and building it costs as much as
        # running it on SQLite.
        self._finish = (
            update(inbox)
            .where(inbox.c.key == bindparam("finished_key"))
            .values(done_at=bindparam("finished_at"), outcome=bindparam("finished_as"), owner=None)
        )

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        store_question_text: bool = True,
        clock: Callable[[], datetime] = utcnow,
        read_only: bool = False,
    ) -> Store:
        """Connect, creating the tables or upgrading the schema on first start; `read_only`
        (for a look that writes nothing) only checks that the schema is up to date."""
        engine = create_store_engine(url)
        try:
            with driver_errors_as_store_errors():
                if read_only:
                    check_schema(engine)
                else:
                    upgrade_schema(engine, clock=clock)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, store_question_text=store_question_text, clock=clock)

    @property
    def engine(self) -> Engine:
        return self._engine

    def file_is_gone(self) -> bool:
        """True when this is a SQLite file that was deleted under us: writes would go nowhere.
        Asked before every call: one stat of a path worked out once."""
        return self._sqlite_file is not None and not os.path.exists(self._sqlite_file)

    @property
    def stores_question_text(self) -> bool:
        return self._store_question_text

    def schema_version(self) -> int:
        with self._reading() as connection:
            return int(connection.scalar(select(func.max(schema_version.c.version))) or 0)

    # --- writes ---------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction. On SQLite it begins IMMEDIATE, and this process's writers take
        turns on one connection kept open: taking one from the pool and giving it back cost as
        much CPU as a one-row write. A write that fails closes it; the next one opens another."""
        with driver_errors_as_store_errors(), self._write_lock:
            if not self._sqlite:
                with self._engine.connect() as connection, connection.begin():
                    yield connection
                return
            if self._writer is None:
                self._writer = self._engine.connect().execution_options(sqlite_begin="IMMEDIATE")
            try:
                with self._writer.begin():
                    yield self._writer
            except BaseException:
                self._writer.close()
                self._writer = None
                raise

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        with driver_errors_as_store_errors(), self._engine.connect() as connection:
            yield connection

    def _insert(self, table: Table) -> sqlite.Insert | postgresql.Insert:
        """An INSERT that knows ON CONFLICT, in the dialect of this database (imported here:
        the PostgreSQL dialect and its drivers' modules take a few hundredths of a second)."""
        if self._engine.dialect.name == "sqlite":
            from sqlalchemy.dialects import sqlite

            return sqlite.insert(table)
        from sqlalchemy.dialects import postgresql

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

    def _run(
        self, connection: Connection, statement: Executable, values: dict[str, object]
    ) -> bool:
        """Run a write statement built once (never one built per call: each is compiled once
        and kept); True when it returned a row (an insert-once that inserted). On SQLite it runs
        on the driver's connection, compiled by SQLAlchemy: SQLAlchemy's execution path cost
        more CPU than the write it ran."""
        if not self._sqlite:
            result = connection.execute(statement, values)
            return result.returns_rows and result.first() is not None
        keys = tuple(values)
        prepared = self._driver_statements.get((statement, keys))
        if prepared is None:
            prepared = _DriverStatement(statement, keys, self._engine.dialect)
            self._driver_statements[(statement, keys)] = prepared
        driver = connection.connection.driver_connection
        assert driver is not None  # in a transaction: checked out
        return driver.execute(prepared.sql, prepared.parameters(values)).fetchone() is not None

    def _insert_once(self, table: Table, **values: object) -> bool:
        """Insert a row unless its key exists; True when this call inserted it (atomic)."""
        with self._writing() as connection:
            return self._run(connection, self._prepared("once", table), values)

    def _upsert(self, table: Table, **values: object) -> None:
        """Insert a row (every column), or update the one with the same primary key."""
        with self._writing() as connection:
            self._run(connection, self._prepared("upsert", table), values)

    # --- the inbox ----------------------------------------------------------------

    def admit(self, item: InboxItem, *, owner: str, lease: timedelta) -> bool:
        """Keep `item`, leased to `owner`; False when its key was already kept (Slack's retry of
        an event, across workers): only the first delivery is worked on. Committed before it
        returns, in one transaction with the items kept at the same moment (`GroupCommit`)."""
        return self._admit(_inbox_row(Admission(item, owner, lease), self._clock()))

    def admit_all(self, admissions: Sequence[Admission]) -> list[bool]:
        """`admit` for items that arrived together (one turn of a web worker's event loop), in
        one transaction, without waiting for other threads' admits."""
        now = self._clock()
        return self._admit_all([_inbox_row(admitted, now) for admitted in admissions])

    def _admit_all(self, rows: list[dict[str, object]]) -> list[bool]:
        statement = self._prepared("once", inbox)
        with self._writing() as connection:
            return [self._run(connection, statement, row) for row in rows]

    def _execute_all(self, writes: list[tuple[Executable, dict[str, object]]]) -> list[bool]:
        """Run independent writes in one transaction (one failing fails them all)."""
        with self._writing() as connection:
            for statement, values in writes:
                self._run(connection, statement, values)
        return [True] * len(writes)

    def finish(self, key: str, *, outcome: str) -> None:
        """Mark an item done: it is never worked on again."""
        values = {"finished_key": key, "finished_at": self._clock(), "finished_as": outcome}
        self._write((self._finish, values))

    def renew(self, *, owner: str, lease: timedelta) -> int:
        """Extend the lease of every open item `owner` holds; return how many."""
        statement = (
            update(inbox)
            .where(inbox.c.owner == owner, inbox.c.done_at.is_(None))
            .values(lease_until=self._clock() + lease)
        )
        with self._writing() as connection:
            return int(connection.execute(statement).rowcount)

    def release(self, keys: list[str], *, after: timedelta = timedelta(0)) -> int:
        """Give open items back: any worker may take them once `after` has passed."""
        if not keys:
            return 0
        statement = (
            update(inbox)
            .where(inbox.c.key.in_(keys), inbox.c.done_at.is_(None))
            .values(owner=None, lease_until=self._clock() + after)
        )
        with self._writing() as connection:
            return int(connection.execute(statement).rowcount)

    def claim_open(self, *, owner: str, lease: timedelta, limit: int) -> list[InboxItem]:
        """Take up to `limit` open items whose lease ran out (a worker stopped, or they were
        released), oldest first; each is taken by one caller only, across processes."""
        now = self._clock()
        candidates = (
            select(inbox.c.key)
            .where(inbox.c.done_at.is_(None), inbox.c.lease_until < now)
            .order_by(inbox.c.received_at)
            .limit(limit)
        )
        fields = [inbox.c[name] for name in InboxItem.model_fields]
        taken: list[InboxItem] = []
        with self._writing() as connection:
            for key in connection.scalars(candidates).all():
                claim = (
                    update(inbox)
                    .where(inbox.c.key == key, inbox.c.done_at.is_(None), inbox.c.lease_until < now)
                    .values(owner=owner, lease_until=now + lease, attempts=inbox.c.attempts + 1)
                )
                if connection.execute(claim).rowcount:
                    row = connection.execute(select(*fields).where(inbox.c.key == key)).one()
                    taken.append(InboxItem.model_validate(row._asdict()))
        return taken

    def inbox_depth(self) -> int:
        """Items acked and not yet done."""
        query = select(func.count()).select_from(inbox).where(inbox.c.done_at.is_(None))
        with self._reading() as connection:
            return int(connection.scalar(query) or 0)

    def record_question(self, asked: AskedQuestion, *, team_id: str = SINGLE_WORKSPACE) -> None:
        """Remember one question and how it was answered (its text only if STORE_QUESTION_TEXT)."""
        question = asked.question if self._store_question_text else None
        row = {
            **asked.model_dump(),
            "team_id": team_id,
            "asked_at": self._clock(),
            "question": question or None,
        }
        self._write((self._insert_question, row))

    def record_feedback(
        self, *, entry_id: str, user_id: str, vote: int, team_id: str = SINGLE_WORKSPACE
    ) -> None:
        """Remember a 👍 (+1) or 👎 (-1); a user's second vote on an entry replaces the first."""
        if vote not in (1, -1):
            raise ValueError(f"vote must be +1 or -1, not {vote!r}")
        self._upsert(
            feedback,
            team_id=team_id,
            entry_id=entry_id,
            user_id=user_id,
            vote=vote,
            voted_at=self._clock(),
        )

    def mark_thread(
        self, *, channel_id: str, thread_ts: str, team_id: str = SINGLE_WORKSPACE
    ) -> None:
        """Remember that the bot replied in this thread just now."""
        values = {
            "team_id": team_id,
            "channel_id": channel_id,
            "thread_ts": thread_ts,
            "replied_at": self._clock(),
        }
        self._write((self._prepared("upsert", answered_threads), values))

    def answered_thread(
        self,
        *,
        channel_id: str,
        thread_ts: str,
        within: timedelta,
        team_id: str = SINGLE_WORKSPACE,
    ) -> bool:
        """True when the bot replied in this thread within the last `within`."""
        query = select(answered_threads.c.replied_at).where(
            answered_threads.c.team_id == team_id,
            answered_threads.c.channel_id == channel_id,
            answered_threads.c.thread_ts == thread_ts,
        )
        with self._reading() as connection:
            replied_at = connection.scalar(query)
        return replied_at is not None and self._clock() - replied_at <= within

    def mark_greeted(
        self, *, channel_id: str, user_id: str, team_id: str = SINGLE_WORKSPACE
    ) -> bool:
        """True when this is the first greeting of that user in that channel (atomic)."""
        return self._insert_once(
            greetings,
            team_id=team_id,
            channel_id=channel_id,
            user_id=user_id,
            greeted_at=self._clock(),
        )

    def claim_review_reminder(self, *, team_id: str, entry_id: str, due_on: date) -> bool:
        """True only the first time an entry's reminder for that due date is claimed, across
        workers: only then is the owner sent it."""
        return self._insert_once(
            review_reminders,
            team_id=team_id,
            entry_id=entry_id,
            due_on=due_on,
            sent_at=self._clock(),
        )

    def release_review_reminder(self, *, team_id: str, entry_id: str, due_on: date) -> None:
        """Forget a claimed reminder that could not be sent, so a later run sends it."""
        with self._writing() as connection:
            connection.execute(
                delete(review_reminders).where(
                    review_reminders.c.team_id == team_id,
                    review_reminders.c.entry_id == entry_id,
                    review_reminders.c.due_on == due_on,
                )
            )

    def record_miss(
        self,
        *,
        team_id: str,
        user_id: str,
        channel_id: str,
        thread_ts: str | None,
        question: str,
    ) -> int | None:
        """Remember a question the bot did not answer outright, and where its asker can be
        answered; its id, or None when question text is not stored (nothing to teach)."""
        if not self._store_question_text or not question:
            return None
        values = {
            "team_id": team_id,
            "asked_at": self._clock(),
            "user_id": user_id,
            "channel_id": channel_id,
            "thread_ts": thread_ts,
            "question": question,
            "status": "open",
        }
        statement = insert(misses).values(**values).returning(misses.c.id)
        with self._writing() as connection:
            return int(connection.execute(statement).scalar_one())

    def miss(self, miss_id: int) -> Miss | None:
        with self._reading() as connection:
            row = connection.execute(select(misses).where(misses.c.id == miss_id)).first()
        return Miss.model_validate(row._asdict()) if row else None

    def open_misses(self, *, team_id: str | None = None, limit: int = 20) -> list[Miss]:
        """The latest questions nobody has taught or set aside yet (of one workspace, or all)."""
        query = (
            select(misses)
            .where(misses.c.status == "open")
            .order_by(misses.c.asked_at.desc(), misses.c.id.desc())
            .limit(limit)
        )
        if team_id is not None:
            query = query.where(misses.c.team_id == team_id)
        with self._reading() as connection:
            return [Miss.model_validate(row._asdict()) for row in connection.execute(query)]

    def set_miss_post(self, miss_id: int, *, channel: str, ts: str) -> None:
        """Remember the message that offers Teach for this miss."""
        statement = (
            update(misses).where(misses.c.id == miss_id).values(post_channel=channel, post_ts=ts)
        )
        with self._writing() as connection:
            connection.execute(statement)

    def resolve_miss(self, miss_id: int, *, status: MissStatus, by: str) -> bool:
        """Close an open miss; True only for the call that closed it (its asker is answered
        once, whoever else clicks)."""
        statement = (
            update(misses)
            .where(misses.c.id == miss_id, misses.c.status == "open")
            .values(status=status, resolved_by=by, resolved_at=self._clock())
        )
        with self._writing() as connection:
            return bool(connection.execute(statement).rowcount)

    def learn(self, *, team_id: str, question: str, entry_id: str | None, taught_by: str) -> None:
        """Keep a taught wording (a second teaching of the same words replaces the first and
        must be exported again)."""
        now = self._clock()
        taught = {"entry_id": entry_id, "taught_by": taught_by, "taught_at": now}
        changes = {**taught, "updated_at": now, "exported_at": None}
        statement = (
            self._insert(learned)
            .values(team_id=team_id, question=question, **changes)
            .on_conflict_do_update(index_elements=["team_id", "question"], set_=changes)
        )
        with self._writing() as connection:
            connection.execute(statement)

    def learned(self) -> list[LearnedPhrasing]:
        """Every taught wording, oldest first."""
        query = select(learned).order_by(learned.c.id)
        with self._reading() as connection:
            return [
                LearnedPhrasing.model_validate(row._asdict()) for row in connection.execute(query)
            ]

    def learned_stamp(self) -> tuple[int, datetime | None]:
        """How many wordings were taught and the last change: equal stamps, nothing new."""
        query = select(func.count(), func.max(learned.c.updated_at))
        with self._reading() as connection:
            count, last = connection.execute(query).one()
        return int(count), last

    def mark_exported(self, ids: list[int]) -> None:
        """Note that these wordings were written into the knowledge files."""
        if not ids:
            return
        now = self._clock()
        statement = (
            update(learned).where(learned.c.id.in_(ids)).values(exported_at=now, updated_at=now)
        )
        with self._writing() as connection:
            connection.execute(statement)

    def save_draft(self, draft: NewDraft) -> int:
        """Keep an answer saved from Slack as a draft entry; its id."""
        values = {**draft.model_dump(), "saved_at": self._clock()}
        statement = insert(drafts).values(**values).returning(drafts.c.id)
        with self._writing() as connection:
            return int(connection.execute(statement).scalar_one())

    def drafts(
        self, *, pending_only: bool = False, team_id: str | None = None, limit: int | None = None
    ) -> list[DraftEntry]:
        """Drafts, newest first (of one workspace, or all); `pending_only`: not exported yet."""
        query = select(drafts).order_by(drafts.c.saved_at.desc(), drafts.c.id.desc())
        if team_id is not None:
            query = query.where(drafts.c.team_id == team_id)
        if pending_only:
            query = query.where(drafts.c.exported_at.is_(None))
        if limit is not None:
            query = query.limit(limit)
        with self._reading() as connection:
            return [DraftEntry.model_validate(row._asdict()) for row in connection.execute(query)]

    def mark_drafts_exported(self, ids: list[int]) -> None:
        if not ids:
            return
        statement = update(drafts).where(drafts.c.id.in_(ids)).values(exported_at=self._clock())
        with self._writing() as connection:
            connection.execute(statement)

    def record_expert_question(self, question: NewExpertQuestion) -> None:
        """Remember a question posted to the experts, to bring the first reply back."""
        values = {**question.model_dump(), "asked_at": self._clock()}
        with self._writing() as connection:
            connection.execute(insert(expert_questions).values(**values))

    def expert_question(self, question_id: int) -> ExpertQuestion | None:
        query = select(expert_questions).where(expert_questions.c.id == question_id)
        with self._reading() as connection:
            row = connection.execute(query).first()
        return ExpertQuestion.model_validate(row._asdict()) if row else None

    def claim_expert_reply(
        self, *, experts_channel: str, experts_ts: str, expert_id: str, answer: str, answer_ts: str
    ) -> ExpertQuestion | None:
        """The question of that experts' thread, for the first reply only (atomic across
        workers), which is kept; None for later replies and threads that are no expert
        question."""
        where = (
            expert_questions.c.experts_channel == experts_channel,
            expert_questions.c.experts_ts == experts_ts,
        )
        statement = (
            update(expert_questions)
            .where(*where, expert_questions.c.answered_at.is_(None))
            .values(
                answered_by=expert_id,
                answered_at=self._clock(),
                answer=answer,
                answer_ts=answer_ts,
            )
        )
        with self._writing() as connection:
            if not connection.execute(statement).rowcount:
                return None
            row = connection.execute(select(expert_questions).where(*where)).one()
        return ExpertQuestion.model_validate(row._asdict())

    def save_progress(
        self,
        *,
        user_id: str,
        kind: ProgressKind,
        state: dict[str, Any],
        team_id: str = SINGLE_WORKSPACE,
    ) -> None:
        """Replace a user's tour or quiz progress with `state` (JSON-serialisable)."""
        self._upsert(
            progress,
            team_id=team_id,
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
        """Delete questions, votes, progress and done inbox items older than that; return rows
        deleted.

        Greetings are kept: they are what stops a newcomer being greeted twice, and hold IDs only.
        Inbox items done more than two days ago are always dropped: Slack stops retrying long
        before. Open ones are kept whatever their age.
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
                    (inbox, inbox.c.done_at, event_cutoff),
                )
            )
        if deleted:
            log.info(
                "store retention: deleted %d rows older than %d days", deleted, older_than_days
            )
        return deleted

    def delete_workspace(self, team_id: str) -> int:
        """Delete every row of one workspace (or org-wide install); return rows deleted."""
        with self._writing() as connection:
            deleted = sum(
                connection.execute(delete(table).where(table.c.team_id == team_id)).rowcount
                for table in WORKSPACE_TABLES
            )
        log.info("store: deleted %d rows of workspace %s", deleted, team_id)
        return deleted

    # --- reads ----------------------------------------------------------------

    def load_progress(
        self, *, user_id: str, kind: ProgressKind, team_id: str = SINGLE_WORKSPACE
    ) -> dict[str, Any] | None:
        query = select(progress.c.state).where(
            progress.c.team_id == team_id, progress.c.user_id == user_id, progress.c.kind == kind
        )
        with self._reading() as connection:
            state = connection.scalar(query)
        return dict(state) if state is not None else None

    def question_counts(
        self, *, since: datetime, team_id: str = SINGLE_WORKSPACE
    ) -> list[SurfaceBandCount]:
        """Questions asked since then, per surface and band."""
        query = (
            select(questions.c.surface, questions.c.band, func.count())
            .where(questions.c.team_id == team_id, questions.c.asked_at >= since)
            .group_by(questions.c.surface, questions.c.band)
        )
        with self._reading() as connection:
            rows = connection.execute(query).all()
        return [SurfaceBandCount(surface=s, band=b, count=n) for s, b, n in rows]

    def unanswered_questions(
        self, *, since: datetime, limit: int = 2000, team_id: str = SINGLE_WORKSPACE
    ) -> list[str]:
        """The text of the latest questions not answered outright (declined or suggestions)."""
        query = (
            select(questions.c.question)
            .where(
                questions.c.team_id == team_id,
                questions.c.asked_at >= since,
                questions.c.band != ANSWERED,
                questions.c.question.is_not(None),
            )
            .order_by(questions.c.asked_at.desc(), questions.c.id.desc())
            .limit(limit)
        )
        with self._reading() as connection:
            return [text for text in connection.scalars(query) if text]

    def entry_votes(self, *, since: datetime, team_id: str = SINGLE_WORKSPACE) -> list[EntryVotes]:
        """Each voted entry's 👍/👎 tally, from votes cast or changed since then."""
        up = func.sum(case((feedback.c.vote > 0, 1), else_=0))
        down = func.sum(case((feedback.c.vote < 0, 1), else_=0))
        query = (
            select(feedback.c.entry_id, up, down)
            .where(feedback.c.team_id == team_id, feedback.c.voted_at >= since)
            .group_by(feedback.c.entry_id)
        )
        with self._reading() as connection:
            rows = connection.execute(query).all()
        return [EntryVotes(entry_id=entry, up=int(u), down=int(d)) for entry, u, d in rows]

    def usage(
        self, *, since: datetime, limit: int = 2000, team_id: str = SINGLE_WORKSPACE
    ) -> Usage:
        """What one workspace recorded from `since` until now, for insights."""
        return Usage(
            since=since,
            until=self._clock(),
            counts=self.question_counts(since=since, team_id=team_id),
            unanswered=self.unanswered_questions(since=since, limit=limit, team_id=team_id),
            votes=self.entry_votes(since=since, team_id=team_id),
            question_text_stored=self._store_question_text,
        )

    def close(self) -> None:
        """Close every connection (after the write in progress, if any); every write was
        already committed by its call."""
        with self._write_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        self._engine.dispose()
