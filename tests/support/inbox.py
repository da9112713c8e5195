"""Inbox items for store tests: what the inbox keeps of a request, with a known key."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from bot.store.memory import Memory
from bot.store.records import InboxItem

LEASE = timedelta(seconds=30)


def inbox_item(
    key: str, *, received_at: datetime | None = None, team_id: str = "T123"
) -> InboxItem:
    """An event as the inbox keeps it."""
    return InboxItem(
        key=key,
        kind="event",
        team_id=team_id,
        channel_id="C123",
        user_id="U123",
        body=json.dumps({"type": "event_callback", "event_id": key}),
        received_at=received_at or datetime(2026, 1, 1),
    )


def admit(memory: Memory, key: str, *, owner: str = "worker-1") -> bool:
    """Keep an event with this key; True the first time the key is seen."""
    return memory.admit(inbox_item(key), owner=owner, lease=LEASE)
