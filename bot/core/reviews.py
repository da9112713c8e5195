"""Verified answers: which entries are past their review date, for `check --stale`, the admin
Home tab and the owners' reminders."""

from __future__ import annotations

from datetime import date

from bot.core.models import Entry, KnowledgeBase


def stale_entries(knowledge: KnowledgeBase, today: date) -> list[Entry]:
    """Entries whose review date has come, the longest overdue first."""
    stale = [entry for entry in knowledge.entries.values() if entry.is_stale(today)]
    return sorted(stale, key=lambda entry: (entry.review_due or today, entry.id))
