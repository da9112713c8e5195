"""@mentions, DMs and the Home tab, end to end: signed events in, what reached the mock out."""

from __future__ import annotations

import pytest

from bot.core.answers import Answers
from bot.core.models import Band
from bot.render.actions import OPEN_TOPIC
from tests.support import BOT_ID, BOT_USER_ID, MockSlack, assert_valid_delivery
from tests.support.harness import Harness, start_harness
from tests.support.signed import CHANNEL, PERSON, direct_message, home_opened, mention, next_ts


@pytest.fixture
def slack(mock: MockSlack, answers: Answers) -> Harness:
    return start_harness(mock, answers)


def _texts(blocks: list[dict[str, object]]) -> str:
    return repr(blocks)


def test_mention_in_a_channel_is_answered_in_its_thread(slack: Harness) -> None:
    event = mention("what's the difference between a VM and a container?")
    assert slack.send_event(event).status == 200
    [post] = slack.mock.wait_for("chat.postMessage")
    assert post.body["channel"] == CHANNEL
    assert post.body["thread_ts"] == event["ts"]
    assert post.blocks and post.blocks[0]["type"] == "header"
    assert [block["type"] for a in post.attachments for block in a["blocks"]] == ["table"]
    assert_valid_delivery(post)
    assert not slack.mock.calls_to("chat.postEphemeral")


def test_mention_inside_a_thread_answers_in_that_thread(slack: Harness) -> None:
    parent = next_ts()
    slack.send_event(mention("how big is a docker image?", thread_ts=parent))
    [post] = slack.mock.wait_for("chat.postMessage")
    assert post.body["thread_ts"] == parent
    assert_valid_delivery(post)


def test_off_topic_mention_gets_a_kind_decline_with_how_to_browse(slack: Harness) -> None:
    slack.send_event(mention("what's the best pizza topping?"))
    [post] = slack.mock.wait_for("chat.postMessage")
    assert "not sure" in post.body["text"]
    assert "/vmdocker topics" in post.body["text"]
    assert_valid_delivery(post)


def test_vague_mention_offers_did_you_mean_buttons(slack: Harness, answers: Answers) -> None:
    vague = next(
        q
        for q in ("how big", "how big are they", "size", "how small", "images", "windows")
        if answers.match(q).band is Band.SUGGEST
    )
    slack.send_event(mention(vague))
    [post] = slack.mock.wait_for("chat.postMessage")
    buttons = [
        element
        for block in post.blocks or []
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert buttons and all(b["action_id"].startswith(f"{OPEN_TOPIC}:") for b in buttons)
    assert_valid_delivery(post)


def test_bare_mention_gets_the_usage(slack: Harness) -> None:
    event = mention("")
    slack.send_event(event)
    [post] = slack.mock.wait_for("chat.postMessage")
    assert "/vmdocker help" in post.body["text"]
    assert post.body["thread_ts"] == event["ts"]


def test_direct_message_is_answered_in_the_dm(slack: Harness) -> None:
    slack.send_event(direct_message("how fast does a container start?"))
    [post] = slack.mock.wait_for("chat.postMessage")
    assert post.body["channel"] == "D0PERSON01"
    assert "thread_ts" not in post.body
    assert_valid_delivery(post)


def test_a_dm_answer_with_a_diagram_is_followed_by_its_png_in_the_dm(
    slack: Harness, answers: Answers
) -> None:
    entry = next(e for e in answers.knowledge.entries.values() if e.diagram and e.comparison)
    assert entry.diagram is not None
    slack.send_event(direct_message(entry.questions[0]))
    [complete] = slack.mock.wait_for("files.completeUploadExternal")
    [post] = slack.mock.calls_to("chat.postMessage")
    assert slack.mock.calls.index(post) < slack.mock.calls.index(complete)  # the card first
    assert complete.body["channel_id"] == post.body["channel"] == "D0PERSON01"
    assert "thread_ts" not in complete.body and "thread_ts" not in post.body
    assert complete.body["files"][0]["title"] == answers.knowledge.diagrams[entry.diagram].title
    assert "```" not in repr(post.blocks)  # shown once: by the file share
    assert_valid_delivery(post)


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"user": BOT_USER_ID, "bot_id": BOT_ID}, id="own-message"),
        pytest.param({"user": "U0OTHERBOT", "bot_id": "B0OTHERBOT"}, id="other-bot"),
        pytest.param({"subtype": "bot_message", "bot_id": "B0OTHERBOT"}, id="bot-message"),
        pytest.param({"subtype": "message_changed"}, id="edit"),
        pytest.param({"subtype": "message_deleted"}, id="deletion"),
        pytest.param({"channel": "not a channel id"}, id="malformed"),
    ],
)
def test_messages_not_typed_by_a_person_are_ignored(slack: Harness, extra: dict[str, str]) -> None:
    response = slack.send_event(direct_message("what is a vm?", **extra))
    assert response.status == 200  # acknowledged, so Slack does not retry
    assert slack.mock.sent() == []
    # The app still answers people afterwards.
    slack.send_event(direct_message("what is a vm?"))
    assert len(slack.mock.wait_for("chat.postMessage")) == 1


def test_home_tab_lists_every_topic(slack: Harness, answers: Answers) -> None:
    slack.send_event(home_opened())
    [publish] = slack.mock.wait_for("views.publish")
    assert publish.body["user_id"] == PERSON
    assert_valid_delivery(publish)
    blocks = publish.body["view"]["blocks"]
    opened = {
        element["value"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if element["action_id"].startswith(OPEN_TOPIC)
    }
    assert opened == set(answers.knowledge.entries)
    assert "/vmdocker" in _texts(blocks)


def test_opening_the_messages_tab_publishes_nothing(slack: Harness) -> None:
    event = {**home_opened(), "tab": "messages"}
    assert slack.send_event(event).status == 200
    slack.send_event(home_opened())
    assert len(slack.mock.wait_for("views.publish")) == 1
