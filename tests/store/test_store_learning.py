"""The store's version 5 tables: what the bot learns in Slack, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest

from bot.store.database import Store
from tests.support.store_databases import Clock

TEAM = "T0TEAM0001"


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 28, 9, 0))


@pytest.fixture
def store(database_url: str, clock: Clock) -> Iterator[Store]:
    opened = Store.from_url(database_url, clock=clock)
    yield opened
    opened.close()


def test_a_review_reminder_is_claimed_once_per_due_date(store: Store) -> None:
    due = date(2026, 4, 10)
    assert store.claim_review_reminder(team_id=TEAM, entry_id="image-size", due_on=due)
    assert not store.claim_review_reminder(team_id=TEAM, entry_id="image-size", due_on=due)
    later = date(2026, 7, 9)
    assert store.claim_review_reminder(team_id=TEAM, entry_id="image-size", due_on=later)
    store.release_review_reminder(team_id=TEAM, entry_id="image-size", due_on=due)
    assert store.claim_review_reminder(team_id=TEAM, entry_id="image-size", due_on=due)


def test_misses_are_kept_with_where_to_answer_and_closed_once(store: Store) -> None:
    first = store.record_miss(
        team_id=TEAM, user_id="U1", channel_id="C1", thread_ts="1.2", question="what is a jail"
    )
    second = store.record_miss(
        team_id=TEAM, user_id="U2", channel_id="U2", thread_ts=None, question="blorp"
    )
    assert first is not None and second is not None
    assert [miss.question for miss in store.open_misses()] == ["blorp", "what is a jail"]
    miss = store.miss(first)
    assert miss is not None
    assert (miss.team_id, miss.channel_id, miss.thread_ts, miss.status) == (
        TEAM,
        "C1",
        "1.2",
        "open",
    )
    assert store.resolve_miss(first, status="taught", by="U9")
    assert not store.resolve_miss(first, status="out_of_scope", by="U8")  # closed once
    assert [miss.question for miss in store.open_misses()] == ["blorp"]
    assert store.miss(999) is None


def test_no_miss_is_kept_without_question_text(database_url: str) -> None:
    quiet = Store.from_url(database_url, store_question_text=False)
    try:
        kept = quiet.record_miss(
            team_id=TEAM, user_id="U1", channel_id="C1", thread_ts=None, question="secret"
        )
        assert kept is None and quiet.open_misses() == []
    finally:
        quiet.close()


def test_a_wording_taught_twice_is_kept_once_and_exports_again(store: Store, clock: Clock) -> None:
    assert store.learned_stamp() == (0, None)
    store.learn(team_id=TEAM, question="fan spins", entry_id="image-size", taught_by="U1")
    [row] = store.learned()
    store.mark_exported([row.id])
    [exported] = store.learned()
    assert exported.exported_at is not None
    stamp = store.learned_stamp()
    clock.now += timedelta(seconds=1)
    store.learn(team_id=TEAM, question="fan spins", entry_id="start-time", taught_by="U2")
    [retaught] = store.learned()
    assert (retaught.entry_id, retaught.taught_by, retaught.exported_at) == (
        "start-time",
        "U2",
        None,
    )
    assert store.learned_stamp() != stamp
