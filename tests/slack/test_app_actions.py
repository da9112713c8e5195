"""Buttons end to end: open a topic, share in channel, 👍/👎, from each place a button can be."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from bot.core.answers import Answers
from bot.render.actions import (
    FEEDBACK,
    FEEDBACK_DOWN,
    FEEDBACK_UP,
    OPEN_TOPIC,
    SHARE,
    SHARE_COMPARISON,
    SHOW_DIAGRAM_IMAGE,
)
from bot.store.memory import InProcessMemory
from tests.support import RESPONSE_URL, MockSlack, assert_valid_delivery
from tests.support.harness import Harness, start_harness, wait_until
from tests.support.mock_api import UPLOAD
from tests.support.signed import CHANNEL, PERSON, button_click, in_ephemeral, in_home, in_message


@dataclass
class RecordingMemory(InProcessMemory):
    """The in-process memory, keeping the votes it was given."""

    votes: list[tuple[str, str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def record_feedback(self, *, entry_id: str, user_id: str, vote: int) -> None:
        self.votes.append((entry_id, user_id, vote))


@pytest.fixture
def memory() -> RecordingMemory:
    return RecordingMemory()


@pytest.fixture
def slack(mock: MockSlack, answers: Answers, memory: RecordingMemory) -> Harness:
    return start_harness(mock, answers, memory=memory)


@pytest.fixture
def topic(answers: Answers) -> str:
    return (
        "image-size"
        if "image-size" in answers.knowledge.entries
        else next(iter(answers.knowledge.entries))
    )


def test_topic_from_an_ephemeral_answer_opens_privately(slack: Harness, topic: str) -> None:
    click = button_click(
        f"{OPEN_TOPIC}:{topic}",
        topic,
        response_url=slack.mock.response_url("eph"),
        container=in_ephemeral(),
    )
    assert slack.send_click(click).status == 200
    [call] = slack.mock.wait_for(RESPONSE_URL)
    assert call.body["response_type"] == "ephemeral"
    assert call.body["replace_original"] is False
    assert any(
        element["action_id"] == SHARE
        for block in call.blocks or []
        if block["type"] == "actions"
        for element in block["elements"]
    )
    assert_valid_delivery(call)


def test_topic_from_a_thread_answers_in_that_thread(slack: Harness, topic: str) -> None:
    container, message = in_message(thread_ts="1700000000.000001")
    click = button_click(
        f"{OPEN_TOPIC}:{topic}",
        topic,
        response_url=slack.mock.response_url("msg"),
        container=container,
        message=message,
    )
    slack.send_click(click)
    [post] = slack.mock.wait_for("chat.postMessage")
    assert post.body["channel"] == CHANNEL
    assert post.body["thread_ts"] == "1700000000.000001"
    assert_valid_delivery(post)


def test_suggestion_under_a_top_level_card_starts_a_thread_on_it(
    slack: Harness, topic: str
) -> None:
    container, message = in_message()
    click = button_click(
        f"{OPEN_TOPIC}:{topic}",
        topic,
        response_url=slack.mock.response_url(),
        container=container,
        message=message,
    )
    slack.send_click(click)
    [post] = slack.mock.wait_for("chat.postMessage")
    assert post.body["thread_ts"] == message["ts"]


def test_topic_from_the_home_tab_goes_to_the_dm(slack: Harness, topic: str) -> None:
    click = button_click(
        f"{OPEN_TOPIC}:{topic}", topic, response_url=None, container=in_home(), channel=None
    )
    slack.send_click(click)
    [post] = slack.mock.wait_for("chat.postMessage")
    [opened] = slack.mock.calls_to("conversations.open")
    assert opened.body["users"] == PERSON
    assert post.body["channel"] == "D" + PERSON[1:]
    assert_valid_delivery(post)


def test_unknown_topic_says_so(slack: Harness) -> None:
    click = button_click(
        f"{OPEN_TOPIC}:gone",
        "gone",
        response_url=slack.mock.response_url(),
        container=in_ephemeral(),
    )
    slack.send_click(click)
    [call] = slack.mock.wait_for(RESPONSE_URL)
    assert "don't know that topic" in call.body["text"]
    assert_valid_delivery(call)
    assert any(block["type"] == "actions" for block in call.blocks or [])


@pytest.mark.parametrize("shared", ["topic", SHARE_COMPARISON])
def test_share_posts_in_channel_and_removes_the_private_copy(
    slack: Harness, topic: str, shared: str
) -> None:
    value = topic if shared == "topic" else shared
    click = button_click(
        SHARE, value, response_url=slack.mock.response_url("eph"), container=in_ephemeral()
    )
    slack.send_click(click)
    public, delete = slack.mock.wait_for(RESPONSE_URL, count=2)
    assert public.body["response_type"] == "in_channel"
    assert f"<@{PERSON}>" in repr(public.blocks)  # credited to who shared it
    assert not any(
        element.get("action_id") == SHARE
        for block in public.blocks or []
        for element in block.get("elements", [])
    )
    assert_valid_delivery(public)
    if shared == SHARE_COMPARISON:  # the public copy keeps its table, in the attachments
        [[table]] = [attachment["blocks"] for attachment in public.attachments]
        assert table["type"] == "table"
    assert delete.body["delete_original"] is True


@pytest.mark.parametrize(
    ("action_id", "value", "vote"),
    [
        (FEEDBACK, "up:{topic}", 1),  # Slack's feedback buttons
        (FEEDBACK, "down:{topic}", -1),
        (FEEDBACK_UP, "{topic}", 1),  # the hand-made buttons of cards posted before
        (FEEDBACK_DOWN, "{topic}", -1),
    ],
)
def test_feedback_is_recorded_and_thanked_privately(
    slack: Harness, memory: RecordingMemory, topic: str, action_id: str, value: str, vote: int
) -> None:
    container, message = in_message()
    click = button_click(
        action_id,
        value.format(topic=topic),
        response_url=slack.mock.response_url(),
        container=container,
        message=message,
    )
    slack.send_click(click)
    [call] = slack.mock.wait_for(RESPONSE_URL)
    assert call.body["response_type"] == "ephemeral"
    assert "Thanks" in call.body["text"]
    wait_until(lambda: bool(memory.votes))
    assert memory.votes == [(topic, PERSON, vote)]


def click_show_as_image(slack: Harness, name: str) -> None:
    """Click "Show as image" under an ephemeral answer with the diagram `name`."""
    click = button_click(
        f"{SHOW_DIAGRAM_IMAGE}:{name}",
        name,
        response_url=slack.mock.response_url(),
        container=in_ephemeral(),
    )
    slack.send_click(click)


def test_show_as_image_uploads_the_png_into_the_channel(slack: Harness, answers: Answers) -> None:
    name = next(iter(answers.knowledge.diagrams))
    click_show_as_image(slack, name)
    [complete] = slack.mock.wait_for("files.completeUploadExternal")
    assert complete.body["channel_id"] == CHANNEL
    assert "thread_ts" not in complete.body
    assert complete.body["files"][0]["title"] == answers.knowledge.diagrams[name].title
    assert slack.mock.calls_to(UPLOAD)


def test_show_as_image_twice_uploads_once_and_shows_that_file_again(
    slack: Harness, answers: Answers
) -> None:
    name = next(iter(answers.knowledge.diagrams))
    for _ in range(2):
        click_show_as_image(slack, name)
    slack.app.listener_runner.listener_executor.shutdown(wait=True)  # both clicks handled
    [upload] = slack.mock.calls_to(UPLOAD)
    [shown] = slack.mock.calls_to("chat.postMessage")
    assert shown.body["channel"] == CHANNEL
    assert (shown.blocks or [])[0]["slack_file"] == {"id": upload.path.rsplit("/", 1)[-1]}
    assert_valid_delivery(shown)
    assert not slack.mock.calls_to(RESPONSE_URL)  # no "couldn't post the picture"


def test_show_as_image_where_the_bot_cannot_post_explains_privately(
    slack: Harness, answers: Answers
) -> None:
    name = next(iter(answers.knowledge.diagrams))
    slack.mock.answer(
        "files.completeUploadExternal", lambda body: {"ok": False, "error": "not_in_channel"}
    )
    click_show_as_image(slack, name)
    [call] = slack.mock.wait_for(RESPONSE_URL)
    assert call.body["response_type"] == "ephemeral"
    assert "/invite @vmdocker" in call.body["text"]


@pytest.mark.parametrize("value", ["down:no-such-entry", "down:<!channel>", "sideways", ""])
def test_feedback_on_something_that_is_no_entry_is_not_recorded(
    slack: Harness, memory: RecordingMemory, value: str
) -> None:
    container, message = in_message()
    click = button_click(
        FEEDBACK,
        value,
        response_url=slack.mock.response_url(),
        container=container,
        message=message,
    )
    slack.send_click(click)
    slack.mock.wait_for(RESPONSE_URL)  # still thanked: the click did something visible
    slack.app.listener_runner.listener_executor.shutdown(wait=True)  # type: ignore[attr-defined]
    assert memory.votes == []
