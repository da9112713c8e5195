"""Persistence behind a small interface: questions, votes, greetings, progress, event ids."""

from __future__ import annotations

from bot.config import Settings
from bot.store.database import (
    Store,
    StoreError,
    create_store_engine,
    describe_url,
    upgrade_schema,
    utcnow,
)
from bot.store.resilient import ResilientStore

__all__ = [
    "ResilientStore",
    "Store",
    "StoreError",
    "create_store_engine",
    "describe_url",
    "open_store",
    "upgrade_schema",
    "utcnow",
]


def open_store(settings: Settings) -> ResilientStore:
    """The bot's store from the settings; opens now if it can, else on a later call."""

    def opener() -> Store:
        return Store.from_url(
            settings.database_url, store_question_text=settings.store_question_text
        )

    store = ResilientStore(opener, retention_days=settings.retention_days)
    store.open()
    return store
