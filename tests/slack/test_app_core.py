"""The app's pure parts: question text, the in-process memory, and every screen within limits."""

from __future__ import annotations

import pytest

from bot.core.answers import Answers
from bot.render.actions import SHARE_COMPARISON, SHARE_DIAGRAM
from bot.render.blocks import BlockMessage
from bot.render.screens import (
    comparison_message,
    diagram_list_message,
    diagram_message,
    home_view,
    image_failed_message,
    shared_message,
    thanks_message,
    topic_message,
    topics_message,
    unknown_topic_message,
    usage_message,
)
from bot.store.memory import InProcessMemory
from tests.support import block_problems, message_problems
from tests.support.blocks_check import MAX_VIEW_BLOCKS
from tests.support.inbox import admit


def test_in_process_memory_claims_each_event_once_and_stays_bounded() -> None:
    memory = InProcessMemory(size=2)
    assert admit(memory, "Ev1")
    assert not admit(memory, "Ev1")
    assert admit(memory, "Ev2") and admit(memory, "Ev3")
    assert admit(memory, "Ev1")  # forgotten: only the last `size` ids are kept


def _screens(answers: Answers) -> dict[str, BlockMessage | None]:
    knowledge = answers.knowledge
    screens: dict[str, BlockMessage | None] = {
        "usage": usage_message(),
        "topics": topics_message(knowledge),
        "compare": comparison_message(knowledge),
        "compare-ephemeral": comparison_message(knowledge, ephemeral=True),
        "diagram-list": diagram_list_message(knowledge),
        "diagram-unknown": diagram_list_message(knowledge, unknown="<!channel>" * 50),
        "unknown-topic": unknown_topic_message(knowledge),
        "thanks-up": thanks_message(1),
        "thanks-down": thanks_message(-1),
        "image-failed": image_failed_message(),
        "shared-compare": shared_message(answers.knowledge, SHARE_COMPARISON, "U0PAT"),
    }
    for name in knowledge.diagrams:
        screens[f"diagram-{name}"] = diagram_message(knowledge, name, ephemeral=True)
        screens[f"shared-diagram-{name}"] = shared_message(
            answers.knowledge, SHARE_DIAGRAM + name, "U0PAT"
        )
    for entry_id in knowledge.entries:
        screens[f"topic-{entry_id}"] = topic_message(knowledge, entry_id, ephemeral=True)
        screens[f"shared-{entry_id}"] = shared_message(knowledge, entry_id, "U0PAT")
    return screens


def test_every_screen_is_valid_block_kit_within_limits(answers: Answers) -> None:
    for name, message in _screens(answers).items():
        assert message is not None, name
        assert message.text.strip(), name
        assert message_problems(message.blocks, message.attachments) == [], name
        assert "<!channel>" not in repr(message.model_dump()), name


def test_home_view_is_valid(answers: Answers) -> None:
    view = home_view(answers.knowledge)
    assert view["type"] == "home"
    assert "attachments" not in view
    assert block_problems(view["blocks"], limit=MAX_VIEW_BLOCKS) == []


@pytest.mark.parametrize("value", ["", "no-such-entry", ":diagram:nope", ":other"])
def test_sharing_something_unknown_shares_nothing(answers: Answers, value: str) -> None:
    assert shared_message(answers.knowledge, value, "U0PAT") is None
