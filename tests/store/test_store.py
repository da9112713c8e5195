"""The store on SQLite: every behaviour the bot relies on, one database file per test."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, inspect, select, text

from bot.core.models import Band
from bot.store import peek
from bot.store import schema as store_schema
from bot.store.database import SQLITE_BUSY_TIMEOUT_MS, Store, upgrade_schema
from bot.store.errors import StoreError
from bot.store.records import AskedQuestion
from bot.store.schema import Migration
from tests.support.inbox import admit
from tests.support.store_databases import Clock

LONG_AGO = datetime(2000, 1, 1)


@pytest.fixture
def url(database_url: str) -> str:
    return database_url


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 28, 9, 0))


@pytest.fixture
def store(url: str, clock: Clock) -> Iterator[Store]:
    opened = Store.from_url(url, clock=clock)
    yield opened
    opened.close()


def ask(store: Store, question: str | None, band: str, *, surface: str = "mention") -> None:
    store.record_question(
        AskedQuestion(
            surface=surface,
            user_id="U100",
            channel_id="C100",
            question=question,
            band=band,
            entry_id="vm-vs-docker" if band == "answer" else None,
            score=80.0 if band == "answer" else 30.0,
        )
    )


def test_first_start_creates_every_table_and_stamps_the_version(store: Store) -> None:
    tables = set(inspect(store.engine).get_table_names())
    assert tables == set(store_schema.METADATA.tables)
    assert store.schema_version() == store_schema.MIGRATIONS[-1].version


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(store: Store) -> None:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS


def test_a_write_on_a_database_another_process_locked_raises_a_store_error(store: Store) -> None:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    assert store.engine.url.database is not None
    holder = sqlite3.connect(store.engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with pytest.raises(StoreError, match="database is locked"):
            admit(store, "Ev1")
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_writes_on_sqlites_driver_store_what_sqlalchemy_would(store: Store, clock: Clock) -> None:
    """The store writes on SQLite's driver connection: its rows read as SQLAlchemy's own."""
    if store.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    ask(store, "what is a vm", "answer")
    row = {"team_id": "", "asked_at": clock(), "surface": "mention", "user_id": "U100"}
    row |= {"channel_id": "C100", "question": "what is a vm", "band": "answer", "score": 80.0}
    with store.engine.begin() as connection:
        connection.execute(store_schema.questions.insert().values(entry_id="vm-vs-docker", **row))
        stored = connection.exec_driver_sql(
            "SELECT team_id, asked_at, surface, user_id, channel_id, question, band, entry_id,"
            " score FROM vmdocker_questions ORDER BY id"
        ).all()
    assert stored[0] == stored[1]
    assert stored[0].asked_at == "2026-11-28 09:00:00.000000"


def test_after_a_failed_write_the_next_ones_commit(store: Store) -> None:
    """On SQLite a process writes through one connection: a write that failed does not spoil
    the ones after it."""
    if store.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    assert admit(store, "Ev1")
    assert store.engine.url.database is not None
    holder = sqlite3.connect(store.engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreError, match="database is locked"):
        admit(store, "Ev2")
    holder.execute("ROLLBACK")
    assert admit(store, "Ev2") is True
    assert admit(store, "Ev1") is False
    kept = holder.execute("SELECT key FROM vmdocker_inbox ORDER BY key").fetchall()
    holder.close()
    assert kept == [("Ev1",), ("Ev2",)]


def test_admit_is_true_only_the_first_time(store: Store) -> None:
    assert admit(store, "Ev1") is True
    assert admit(store, "Ev1") is False
    assert admit(store, "Ev2") is True


def test_claimed_events_survive_a_restart(url: str, store: Store) -> None:
    assert admit(store, "Ev1")
    store.close()
    again = Store.from_url(url)
    assert admit(again, "Ev1") is False
    again.close()


def test_record_question_counts_by_surface_and_band(store: Store) -> None:
    ask(store, "vm or docker?", "answer")
    ask(store, "what is a pod", "none")
    ask(store, "docker vs vm speed", "suggest", surface="dm")
    counts = {(row.surface, row.band): row.count for row in store.question_counts(since=LONG_AGO)}
    assert counts == {
        ("mention", Band.ANSWER): 1,
        ("mention", Band.NONE): 1,
        ("dm", Band.SUGGEST): 1,
    }
    assert store.unanswered_questions(since=LONG_AGO) == ["docker vs vm speed", "what is a pod"]


def test_record_question_rejects_an_unknown_band(store: Store) -> None:
    with pytest.raises(ValueError):
        ask(store, "hi", "maybe")


def test_question_text_is_not_kept_when_disabled(url: str) -> None:
    private = Store.from_url(url, store_question_text=False)
    ask(private, "what is a pod", "none")
    with private.engine.connect() as connection:
        stored = connection.execute(text("SELECT question, band FROM vmdocker_questions")).all()
    assert stored == [(None, "none")]
    assert private.unanswered_questions(since=LONG_AGO) == []
    private.close()


def test_a_second_vote_replaces_the_first(store: Store) -> None:
    store.record_feedback(entry_id="vm-vs-docker", user_id="U1", vote=-1)
    store.record_feedback(entry_id="vm-vs-docker", user_id="U1", vote=1)
    store.record_feedback(entry_id="vm-vs-docker", user_id="U2", vote=-1)
    store.record_feedback(entry_id="boot-time", user_id="U1", vote=-1)
    votes = {row.entry_id: (row.up, row.down) for row in store.entry_votes(since=LONG_AGO)}
    assert votes == {"vm-vs-docker": (1, 1), "boot-time": (0, 1)}


@pytest.mark.parametrize("vote", [0, 2, -5])
def test_a_vote_is_plus_or_minus_one(store: Store, vote: int) -> None:
    with pytest.raises(ValueError):
        store.record_feedback(entry_id="vm-vs-docker", user_id="U1", vote=vote)


def test_a_user_is_greeted_once_per_channel(store: Store) -> None:
    assert store.mark_greeted(channel_id="C1", user_id="U1") is True
    assert store.mark_greeted(channel_id="C1", user_id="U1") is False
    assert store.mark_greeted(channel_id="C2", user_id="U1") is True
    assert store.mark_greeted(channel_id="C1", user_id="U2") is True


def test_progress_is_saved_replaced_and_kept_per_kind(store: Store) -> None:
    assert store.load_progress(user_id="U1", kind="tour") is None
    store.save_progress(user_id="U1", kind="tour", state={"step": 2})
    store.save_progress(user_id="U1", kind="tour", state={"step": 3, "done": False})
    store.save_progress(user_id="U1", kind="quiz", state={"order": ["a", "b"], "score": 1})
    assert store.load_progress(user_id="U1", kind="tour") == {"step": 3, "done": False}
    assert store.load_progress(user_id="U1", kind="quiz") == {"order": ["a", "b"], "score": 1}
    assert store.load_progress(user_id="U2", kind="tour") is None


def test_purge_deletes_only_rows_older_than_the_retention(store: Store, clock: Clock) -> None:
    ask(store, "old question", "none")
    store.record_feedback(entry_id="vm-vs-docker", user_id="U1", vote=-1)
    store.save_progress(user_id="U1", kind="tour", state={"step": 1})
    store.mark_greeted(channel_id="C1", user_id="U1")
    admit(store, "EvOld")
    store.finish("EvOld", outcome="done")
    admit(store, "EvOpen")  # never finished: kept whatever its age
    clock.now += timedelta(days=31)
    ask(store, "new question", "none")
    admit(store, "EvNew")
    store.finish("EvNew", outcome="done")

    assert store.purge(older_than_days=30) == 4  # question, vote, progress, old done item
    assert store.inbox_depth() == 1
    assert store.unanswered_questions(since=LONG_AGO) == ["new question"]
    assert store.entry_votes(since=LONG_AGO) == []
    assert store.load_progress(user_id="U1", kind="tour") is None
    assert store.mark_greeted(channel_id="C1", user_id="U1") is False  # greetings are kept
    assert admit(store, "EvNew") is False
    assert store.purge(older_than_days=30) == 0


def test_done_inbox_items_are_forgotten_after_two_days_whatever_the_retention(
    store: Store, clock: Clock
) -> None:
    admit(store, "Ev1")
    store.finish("Ev1", outcome="done")
    clock.now += timedelta(days=3)
    assert store.purge(older_than_days=365) == 1
    assert admit(store, "Ev1") is True


def test_unsupported_or_malformed_urls_are_store_errors() -> None:
    with pytest.raises(StoreError, match="not supported"):
        Store.from_url("mysql://localhost/db")
    with pytest.raises(StoreError, match="not a database URL"):
        Store.from_url("no url at all")


def test_a_database_newer_than_the_code_is_refused(url: str, store: Store) -> None:
    with store.engine.begin() as connection:
        connection.execute(
            store_schema.schema_version.insert().values(
                version=99, description="from the future", applied_at=LONG_AGO
            )
        )
    with pytest.raises(StoreError, match="schema version 99"):
        Store.from_url(url)


def test_a_read_only_look_never_creates_or_upgrades_the_schema(url: str, clock: Clock) -> None:
    for _ in range(2):  # the first look created nothing
        with pytest.raises(StoreError, match="no vmdocker tables"):
            Store.from_url(url, read_only=True)
    upgraded = Store.from_url(url, clock=clock)
    upgraded.learn(
        team_id="", question="why is my laptop hot", entry_id="vm-vs-docker", taught_by="cli"
    )
    with upgraded.engine.begin() as connection:
        connection.execute(
            store_schema.schema_version.insert().values(
                version=99, description="from the future", applied_at=LONG_AGO
            )
        )
    with pytest.raises(StoreError, match="schema version 99, not"):
        Store.from_url(url, read_only=True)
    with upgraded.engine.begin() as connection:
        connection.execute(
            store_schema.schema_version.delete().where(store_schema.schema_version.c.version == 99)
        )
    looked = Store.from_url(url, read_only=True)
    assert [row.question for row in looked.learned()] == ["why is my laptop hot"]
    looked.close()
    upgraded.close()


def test_an_old_database_runs_only_the_steps_it_lacks(
    url: str, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    applied: list[int] = []
    shipped = store_schema.MIGRATIONS[-1].version
    step = shipped + 1

    def add_locale_column(connection: Connection) -> None:
        applied.append(step)
        connection.exec_driver_sql("ALTER TABLE vmdocker_questions ADD COLUMN locale VARCHAR(8)")

    steps = [*store_schema.MIGRATIONS, Migration(step, "questions.locale", add_locale_column)]
    monkeypatch.setattr(store_schema, "MIGRATIONS", steps)
    monkeypatch.setattr("bot.store.database.MIGRATIONS", steps)

    assert upgrade_schema(store.engine) == step
    assert upgrade_schema(store.engine) == step  # a second start changes nothing
    assert applied == [step]
    columns = {column["name"] for column in inspect(store.engine).get_columns("vmdocker_questions")}
    assert "locale" in columns
    with store.engine.connect() as connection:
        versions = connection.scalars(select(store_schema.schema_version.c.version)).all()
    assert sorted(versions) == [migration.version for migration in steps]


def test_a_table_locked_elsewhere_fails_the_call_within_the_lock_timeout(
    url: str, store: Store
) -> None:
    """PostgreSQL: a lock held by another session (a migration, a manual query) costs a call
    about a second and a StoreError, not a stall as long as the lock (ResilientStore then
    answers without the store)."""
    if not url.startswith("postgresql"):
        pytest.skip("SQLite's busy timeout is covered above")
    with store.engine.connect() as holder:
        holder.begin()
        holder.exec_driver_sql("LOCK TABLE vmdocker_questions IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(StoreError, match="lock timeout"):
            ask(store, "blocked?", "none")
        holder.rollback()
    ask(store, "free again", "none")


def test_an_uploaded_file_is_remembered_per_workspace_name_and_version(store: Store) -> None:
    store.remember_uploaded_file(team_id="T1", name="layers", version="v1", file_id="F1")
    assert store.uploaded_file(team_id="T1", name="layers", version="v1") == "F1"
    assert store.uploaded_file(team_id="T2", name="layers", version="v1") is None
    assert store.uploaded_file(team_id="T1", name="layers", version="v2") is None
    assert store.uploaded_file(team_id="T1", name="boot", version="v1") is None
    store.remember_uploaded_file(team_id="T1", name="layers", version="v1", file_id="F2")
    assert store.uploaded_file(team_id="T1", name="layers", version="v1") == "F2"  # re-uploaded


def test_a_peek_at_a_sqlite_file_reads_the_taught_wordings_as_the_store_does(
    tmp_path: Path, clock: Clock
) -> None:
    path = tmp_path / "store.sqlite3"
    url = f"sqlite:///{path}"
    assert peek.sqlite_file(url) == path and peek.sqlite_file("sqlite://") is None
    assert peek.sqlite_file("postgresql+psycopg://u@h/db") is None
    assert peek.nothing_kept(url) and peek.nothing_kept("sqlite://")
    assert not peek.nothing_kept("postgresql+psycopg://u@h/db")
    assert store_schema.learned.name == peek.LEARNED_TABLE
    store = Store.from_url(url, clock=clock)
    store.learn(
        team_id="", question="why is my laptop hot", entry_id="vm-vs-docker", taught_by="U1"
    )
    store.learn(team_id="T1", question="off topic", entry_id=None, taught_by="cli")
    store.mark_exported([store.learned()[0].id])
    assert not peek.nothing_kept(url)
    before = path.stat().st_mtime_ns
    assert peek.taught_in_file(path) == store.learned()
    assert path.stat().st_mtime_ns == before  # read only
    store.close()

    other = tmp_path / "other.sqlite3"
    other.write_bytes(b"not a database at all")
    with pytest.raises(StoreError, match="DatabaseError"):
        peek.taught_in_file(other)
    with pytest.raises(StoreError):
        peek.taught_in_file(tmp_path / "missing.sqlite3")
    assert not (tmp_path / "missing.sqlite3").exists()
