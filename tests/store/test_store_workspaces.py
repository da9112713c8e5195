"""Every row carries its workspace: one workspace's questions, votes, greetings, progress and
threads are invisible to another, deleted with it, and kept by the upgrade to version 4."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    create_engine,
    insert,
    inspect,
)

from bot.store import schema as store_schema
from bot.store.database import Store, upgrade_schema
from bot.store.memory import InProcessMemory, WorkspaceMemory
from bot.store.records import AskedQuestion
from bot.store.resilient import ResilientStore
from tests.support.inbox import LEASE, inbox_item
from tests.support.store_databases import Clock

LONG_AGO = datetime(2000, 1, 1)
NOW = datetime(2026, 11, 28, 9, 0)
ACME, GLOBEX = "T0ACME0001", "T0GLOBEX01"


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.from_url(database_url, clock=Clock(NOW))
    yield opened
    opened.close()


def asked(question: str, band: str = "none") -> AskedQuestion:
    return AskedQuestion(
        surface="mention",
        user_id="W0SHARED01",  # an Enterprise Grid user: the same id in every workspace
        channel_id="C100",
        question=question,
        band=band,  # type: ignore[arg-type]
        entry_id="vm-vs-docker" if band == "answer" else None,
        score=80.0,
    )


def test_insights_count_only_the_workspace_asked_for(store: Store) -> None:
    store.record_question(asked("acme miss"), team_id=ACME)
    store.record_question(asked("acme hit", "answer"), team_id=ACME)
    store.record_question(asked("globex miss"), team_id=GLOBEX)
    store.record_feedback(entry_id="vm-vs-docker", user_id="W0SHARED01", vote=1, team_id=ACME)
    store.record_feedback(entry_id="vm-vs-docker", user_id="W0SHARED01", vote=-1, team_id=GLOBEX)

    acme = store.usage(since=LONG_AGO, team_id=ACME)
    globex = store.usage(since=LONG_AGO, team_id=GLOBEX)

    assert acme.unanswered == ["acme miss"]
    assert sum(count.count for count in acme.counts) == 2
    assert [(v.up, v.down) for v in acme.votes] == [(1, 0)]
    assert globex.unanswered == ["globex miss"]
    assert [(v.up, v.down) for v in globex.votes] == [(0, 1)]
    assert store.usage(since=LONG_AGO).counts == []  # the bot-token workspace saw nothing


def test_greetings_progress_and_threads_are_per_workspace(store: Store) -> None:
    assert store.mark_greeted(channel_id="C1", user_id="W1", team_id=ACME) is True
    assert store.mark_greeted(channel_id="C1", user_id="W1", team_id=GLOBEX) is True
    assert store.mark_greeted(channel_id="C1", user_id="W1", team_id=ACME) is False

    store.save_progress(user_id="W1", kind="tour", state={"step": 3}, team_id=ACME)
    assert store.load_progress(user_id="W1", kind="tour", team_id=ACME) == {"step": 3}
    assert store.load_progress(user_id="W1", kind="tour", team_id=GLOBEX) is None

    store.mark_thread(channel_id="C1", thread_ts="1.1", team_id=ACME)
    day = timedelta(days=1)
    assert store.answered_thread(channel_id="C1", thread_ts="1.1", within=day, team_id=ACME)
    assert not store.answered_thread(channel_id="C1", thread_ts="1.1", within=day, team_id=GLOBEX)


def test_deleting_a_workspace_deletes_its_rows_only(store: Store) -> None:
    for team in (ACME, GLOBEX):
        store.admit(inbox_item(f"Ev{team}", team_id=team), owner="worker-1", lease=LEASE)
        store.record_question(asked(f"{team} miss"), team_id=team)
        store.record_feedback(entry_id="vm-vs-docker", user_id="W1", vote=1, team_id=team)
        store.mark_greeted(channel_id="C1", user_id="W1", team_id=team)
        store.save_progress(user_id="W1", kind="quiz", state={"n": 1}, team_id=team)
        store.mark_thread(channel_id="C1", thread_ts="1.1", team_id=team)

    assert store.delete_workspace(ACME) == 6

    assert store.usage(since=LONG_AGO, team_id=ACME).unanswered == []
    assert store.load_progress(user_id="W1", kind="quiz", team_id=ACME) is None
    assert store.mark_greeted(channel_id="C1", user_id="W1", team_id=ACME) is True
    assert store.usage(since=LONG_AGO, team_id=GLOBEX).unanswered == [f"{GLOBEX} miss"]
    assert store.load_progress(user_id="W1", kind="quiz", team_id=GLOBEX) == {"n": 1}
    assert store.mark_greeted(channel_id="C1", user_id="W1", team_id=GLOBEX) is False


def test_a_workspace_memory_reads_and_writes_its_own_workspace(database_url: str) -> None:
    shared = ResilientStore(lambda: Store.from_url(database_url, clock=Clock(NOW)))
    acme, globex = WorkspaceMemory(shared, ACME), WorkspaceMemory(shared, GLOBEX)
    acme.record_question(asked("acme miss"))
    acme.save_progress(user_id="W1", kind="tour", state={"step": 1})

    acme_usage, globex_usage = acme.usage(since=LONG_AGO), globex.usage(since=LONG_AGO)
    assert acme_usage is not None and acme_usage.unanswered == ["acme miss"]
    assert globex_usage is not None and globex_usage.unanswered == []
    assert globex.load_progress(user_id="W1", kind="tour") is None
    assert shared.delete_workspace(ACME) == 2
    assert acme.load_progress(user_id="W1", kind="tour") is None
    shared.close()


def test_in_process_memory_keeps_workspaces_apart() -> None:
    memory = InProcessMemory()
    acme, globex = WorkspaceMemory(memory, ACME), WorkspaceMemory(memory, GLOBEX)
    assert acme.mark_greeted(channel_id="C1", user_id="W1") is True
    assert globex.mark_greeted(channel_id="C1", user_id="W1") is True
    acme.mark_thread(channel_id="C1", thread_ts="1.1")
    assert not globex.answered_thread(channel_id="C1", thread_ts="1.1", within=timedelta(1))
    assert memory.delete_workspace(ACME) == 2
    assert acme.mark_greeted(channel_id="C1", user_id="W1") is True


# --- the upgrade from version 2 ------------------------------------------------------------

V2 = MetaData()  # the tables as version 2 left them (schema.py at b04eed4)
Table(
    "vmdocker_schema_version",
    V2,
    Column("version", Integer, primary_key=True),
    Column("description", String(200), nullable=False),
    Column("applied_at", DateTime, nullable=False),
)
Table(
    "vmdocker_processed_events",
    V2,
    Column("event_id", String(255), primary_key=True),
    Column("seen_at", DateTime, nullable=False, index=True),
)
Table(
    "vmdocker_questions",
    V2,
    Column("id", Integer, primary_key=True),
    Column("asked_at", DateTime, nullable=False),
    Column("surface", String(32), nullable=False),
    Column("user_id", String(32), nullable=False),
    Column("channel_id", String(32)),
    Column("question", Text),
    Column("band", String(16), nullable=False),
    Column("entry_id", String(60)),
    Column("score", Float, nullable=False),
)
Table(
    "vmdocker_feedback",
    V2,
    Column("entry_id", String(60), primary_key=True),
    Column("user_id", String(32), primary_key=True),
    Column("vote", SmallInteger, nullable=False),
    Column("voted_at", DateTime, nullable=False, index=True),
)
Table(
    "vmdocker_greetings",
    V2,
    Column("channel_id", String(32), primary_key=True),
    Column("user_id", String(32), primary_key=True),
    Column("greeted_at", DateTime, nullable=False),
)
Table(
    "vmdocker_progress",
    V2,
    Column("user_id", String(32), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("state", JSON, nullable=False),
    Column("updated_at", DateTime, nullable=False, index=True),
)
Table(
    "vmdocker_answered_threads",
    V2,
    Column("channel_id", String(32), primary_key=True),
    Column("thread_ts", String(32), primary_key=True),
    Column("replied_at", DateTime, nullable=False, index=True),
)


def test_version_2_is_upgraded_keeping_its_rows_as_the_bot_token_workspace(
    database_url: str,
) -> None:
    engine = create_engine(database_url)
    tables = V2.tables
    with engine.begin() as connection:
        V2.create_all(connection)
        for version in (1, 2):
            connection.execute(
                insert(tables["vmdocker_schema_version"]).values(
                    version=version, description="old", applied_at=LONG_AGO
                )
            )
        connection.execute(
            insert(tables["vmdocker_processed_events"]).values(event_id="Ev1", seen_at=NOW)
        )
        connection.execute(
            insert(tables["vmdocker_questions"]).values(
                asked_at=NOW,
                surface="dm",
                user_id="U1",
                channel_id="D1",
                question="old miss",
                band="none",
                entry_id=None,
                score=10.0,
            )
        )
        connection.execute(
            insert(tables["vmdocker_feedback"]).values(
                entry_id="vm-vs-docker", user_id="U1", vote=-1, voted_at=NOW
            )
        )
        connection.execute(
            insert(tables["vmdocker_greetings"]).values(
                channel_id="C1", user_id="U1", greeted_at=NOW
            )
        )
        connection.execute(
            insert(tables["vmdocker_progress"]).values(
                user_id="U1", kind="tour", state={"step": 2}, updated_at=NOW
            )
        )
        connection.execute(
            insert(tables["vmdocker_answered_threads"]).values(
                channel_id="C1", thread_ts="1.1", replied_at=NOW
            )
        )

    assert upgrade_schema(engine) == store_schema.MIGRATIONS[-1].version
    assert set(store_schema.METADATA.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()

    store = Store.from_url(database_url, clock=Clock(NOW))
    usage = store.usage(since=LONG_AGO)
    assert usage.unanswered == ["old miss"]
    assert [(v.entry_id, v.down) for v in usage.votes] == [("vm-vs-docker", 1)]
    assert store.load_progress(user_id="U1", kind="tour") == {"step": 2}
    assert store.mark_greeted(channel_id="C1", user_id="U1") is False
    assert store.inbox_depth() == 0  # the handled event ids made way for the inbox
    assert store.answered_thread(channel_id="C1", thread_ts="1.1", within=timedelta(days=1))
    # the new keys: the same person's vote in another workspace is a row of its own
    store.record_feedback(entry_id="vm-vs-docker", user_id="U1", vote=1, team_id=ACME)
    assert [(v.up, v.down) for v in store.usage(since=LONG_AGO, team_id=ACME).votes] == [(1, 0)]
    assert [(v.up, v.down) for v in store.usage(since=LONG_AGO).votes] == [(0, 1)]
    store.close()
