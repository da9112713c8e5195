"""The store's one exception, in a module of its own: a reader that needs no SQLAlchemy
(`bot.store.peek`) raises it too."""

from __future__ import annotations


class StoreError(Exception):
    """The store failed: a bad URL, an unsupported database, a newer schema, or a database
    error (the driver's own message, on one line, without SQL or parameters)."""
