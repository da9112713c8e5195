"""The store's version 5 tables: what the bot learns in Slack, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest

from bot.store.database import Store
from tests.support.store_databases import Clock

TEAM = "T0TEAM0001"


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.from_url(database_url, clock=Clock(datetime(2026, 11, 28, 9, 0)))
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
