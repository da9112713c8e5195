"""Answer cards say who verified the answer and when, and that it is due for review."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.core.answers import Answers, entry_reply
from bot.render.answers import answer_message
from bot.render.text import render_text
from tests.support import message_problems
from tests.support.knowledge import knowledge_copy

OWNED = "owner: U0OWNER001\nverified: 2026-01-10\nreview_every: 90"


def test_the_card_says_who_verified_it_and_when_it_is_due(tmp_path: Path) -> None:
    answers = Answers.load(knowledge_copy(tmp_path, {"image-size": OWNED}))
    entry = answers.knowledge.entries["image-size"]
    current = answer_message(entry_reply(entry, answers.knowledge, today=date(2026, 2, 1)))
    due = answer_message(entry_reply(entry, answers.knowledge, today=date(2026, 5, 1)))
    texts = [str(block) for block in current.blocks]
    assert any("Verified 2026-01-10 by <@U0OWNER001>" in text for text in texts)
    assert not any("due for review" in text for text in texts)
    assert any("due for review since 2026-04-10" in str(block) for block in due.blocks)
    assert message_problems(due.blocks, due.attachments) == []
    plain = render_text(entry_reply(entry, answers.knowledge, today=date(2026, 5, 1)))
    assert "Verified 2026-01-10 by U0OWNER001; due for review since 2026-04-10" in plain
