"""Verified answers: owner, verified and review_every in front matter, and which are stale."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.core.knowledge import KnowledgeError, load_knowledge
from bot.core.reviews import stale_entries
from tests.support.knowledge import knowledge_copy

OWNED = "owner: U0OWNER001\nverified: 2026-01-10\nreview_every: 90"


def test_an_entry_may_say_who_verified_it_and_how_often(tmp_path: Path) -> None:
    knowledge = load_knowledge(knowledge_copy(tmp_path, {"image-size": OWNED}))
    entry = knowledge.entries["image-size"]
    assert (entry.owner, entry.verified, entry.review_every) == (
        "U0OWNER001",
        date(2026, 1, 10),
        90,
    )
    assert entry.review_due == date(2026, 4, 10)
    assert not entry.is_stale(date(2026, 4, 9))
    assert entry.is_stale(date(2026, 4, 10))
    assert knowledge.entries["start-time"].review_due is None


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        ("review_every: 30", "review_every: Value error, needs a verified date"),
        ("owner: pat", "owner: String should match pattern"),
        ("verified: yesterday", "verified: Input should be a valid date"),
        ("verified: 2026-01-10\nreview_every: 0", "review_every: Input should be greater"),
    ],
)
def test_bad_review_fields_name_the_file_and_field(
    tmp_path: Path, lines: str, problem: str
) -> None:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(knowledge_copy(tmp_path, {"image-size": lines}))
    assert f"image-size.md: {problem}" in str(caught.value)


def test_stale_entries_are_listed_longest_overdue_first(tmp_path: Path) -> None:
    knowledge = load_knowledge(
        knowledge_copy(
            tmp_path,
            {
                "image-size": OWNED,
                "start-time": "verified: 2025-12-01\nreview_every: 30",
                "hypervisors": "verified: 2026-03-01\nreview_every: 365",
            },
        )
    )
    stale = stale_entries(knowledge, date(2026, 5, 1))
    assert [entry.id for entry in stale] == ["start-time", "image-size"]
