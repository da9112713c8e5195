"""`/vmdocker` end to end: a signed form-encoded command in, an ephemeral response_url post out."""

from __future__ import annotations

import pytest

from bot.core.answers import Answers
from bot.core.commands import parse_command
from bot.core.models import Subcommand
from bot.render.actions import OPEN_TOPIC, SHARE, SHARE_COMPARISON, SHARE_DIAGRAM
from tests.support import RESPONSE_URL, Call, MockSlack, assert_valid_delivery
from tests.support.harness import Harness, start_harness


@pytest.fixture
def slack(mock: MockSlack, answers: Answers) -> Harness:
    return start_harness(mock, answers)


def _respond(slack: Harness, text: str) -> Call:
    """Send `/vmdocker text`; the single ephemeral message that reached the response_url."""
    response = slack.send_command(text)
    assert response.status == 200  # the ack: nothing shown, nothing echoed in the channel
    assert response.body == ""
    [call] = slack.mock.wait_for(RESPONSE_URL)
    assert call.body["response_type"] == "ephemeral"
    assert_valid_delivery(call)
    assert not slack.mock.calls_to("chat.postMessage")
    return call


def _buttons(call: Call) -> list[dict[str, str]]:
    return [
        element
        for block in call.blocks or []
        if block["type"] == "actions"
        for element in block["elements"]
    ]


@pytest.mark.parametrize("text", ["", "help", "  HELP  "])
def test_help_and_empty_show_the_usage(slack: Harness, text: str) -> None:
    call = _respond(slack, text)
    for subcommand in ("topics", "compare", "diagram", "help"):
        assert f"/vmdocker {subcommand}" in call.body["text"]


def test_topics_are_buttons(slack: Harness, answers: Answers) -> None:
    call = _respond(slack, "topics")
    values = {b["value"] for b in _buttons(call) if b["action_id"].startswith(OPEN_TOPIC)}
    assert values == set(answers.knowledge.entries)


def test_compare_shows_the_whole_matrix_with_share(slack: Harness, answers: Answers) -> None:
    call = _respond(slack, "compare")
    assert not any(block["type"] == "table" for block in call.blocks or [])
    [[table]] = [attachment["blocks"] for attachment in call.attachments]  # where Slack takes it
    assert table["type"] == "table"
    assert len(table["rows"]) == len(answers.knowledge.matrix) + 1  # plus the header row
    assert {"action_id": SHARE, "value": SHARE_COMPARISON}.items() <= _buttons(call)[-1].items()


def test_diagram_by_name_is_drawn_with_share(slack: Harness, answers: Answers) -> None:
    name = next(iter(answers.knowledge.diagrams))
    call = _respond(slack, f"diagram {name}")
    assert "```" in repr(call.blocks)
    assert _buttons(call)[-1]["value"] == SHARE_DIAGRAM + name


@pytest.mark.parametrize("text", ["diagram", "diagram no-such-thing"])
def test_diagram_without_a_known_name_lists_the_names(
    slack: Harness, answers: Answers, text: str
) -> None:
    call = _respond(slack, text)
    for name in answers.knowledge.diagrams:
        assert name in call.body["text"]


def test_anything_else_is_a_question_answered_privately_with_share(slack: Harness) -> None:
    call = _respond(slack, "how big is a docker image compared to a vm?")
    assert call.blocks and call.blocks[0]["type"] == "header"
    assert any(b["action_id"] == SHARE for b in _buttons(call))
    tables = [block for a in call.attachments for block in a["blocks"]]
    assert [block["type"] for block in tables] == ["table"]


def test_command_parsing_keeps_questions_that_start_with_a_subcommand_word() -> None:
    assert parse_command("compare").subcommand is Subcommand.COMPARE
    assert parse_command("compare vm and container boot").subcommand is Subcommand.ASK
    assert parse_command("topics").subcommand is Subcommand.TOPICS
    assert parse_command("Diagram os-layers") == parse_command("diagram os-layers")
    assert parse_command("diagram os-layers").argument == "os-layers"
    assert parse_command("what is a vm").argument == "what is a vm"
