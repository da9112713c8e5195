"""Follow-up questions in a thread the bot answered in: answered there when the bot is sure,
left alone otherwise; a mention inside the thread is answered once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.core.answers import Answers
from tests.support import MockSlack
from tests.support.harness import Harness, start_harness
from tests.support.signed import BOT_USER_ID, mention, thread_message

CHANNEL = "C0THREADS1"


@pytest.fixture
def slack(mock: MockSlack, answers: Answers) -> Iterator[Harness]:
    harness = start_harness(mock, answers)
    yield harness
    harness.app.listener_runner.listener_executor.shutdown(wait=True)  # type: ignore[attr-defined]


def settle(slack: Harness) -> None:
    """Finish every listener started so far (the app takes no more work after this)."""
    slack.app.listener_runner.listener_executor.shutdown(wait=True)  # type: ignore[attr-defined]


def answers_in_thread(slack: Harness, thread_ts: str) -> list[str]:
    return [
        str(call.body.get("text", ""))
        for call in slack.mock.calls_to("chat.postMessage")
        if call.body.get("channel") == CHANNEL and call.body.get("thread_ts") == thread_ts
    ]


def test_a_follow_up_in_a_thread_the_bot_answered_is_answered_there(slack: Harness) -> None:
    asked = mention("what is a container?", channel=CHANNEL)
    slack.send_event(asked)
    slack.mock.wait_for("chat.postMessage")
    follow_up = thread_message(
        "and why do containers start so fast?", thread_ts=asked["ts"], channel=CHANNEL
    )
    assert slack.send_event(follow_up).status == 200
    calls = slack.mock.wait_for("chat.postMessage", count=2)
    assert calls[-1].body["thread_ts"] == asked["ts"]
    assert "start" in calls[-1].body["text"].lower()


def test_a_thread_the_bot_never_joined_is_left_alone(slack: Harness) -> None:
    slack.send_event(
        thread_message(
            "why do containers start so fast?", thread_ts="1700000000.000100", channel=CHANNEL
        )
    )
    settle(slack)
    assert slack.mock.calls_to("chat.postMessage") == []


def test_chat_in_an_answered_thread_gets_no_decline_or_did_you_mean(slack: Harness) -> None:
    asked = mention("what is a hypervisor?", channel=CHANNEL)
    slack.send_event(asked)
    slack.mock.wait_for("chat.postMessage")
    for text in ("thanks, that helps!", "lunch at noon?", "images?"):
        slack.send_event(thread_message(text, thread_ts=asked["ts"], channel=CHANNEL))
    settle(slack)
    assert len(answers_in_thread(slack, asked["ts"])) == 1


def test_a_mention_inside_the_thread_is_answered_once(slack: Harness) -> None:
    asked = mention("what is a vm?", channel=CHANNEL)
    slack.send_event(asked)
    slack.mock.wait_for("chat.postMessage")
    again = mention("is docker a vm?", channel=CHANNEL, thread_ts=asked["ts"])
    as_message = thread_message(
        again["text"], thread_ts=asked["ts"], channel=CHANNEL, ts=again["ts"]
    )
    slack.send_event(again)
    slack.send_event(as_message)
    slack.mock.wait_for("chat.postMessage", count=2)
    settle(slack)
    assert len(answers_in_thread(slack, asked["ts"])) == 2  # the first answer, and this one


def test_bots_are_never_answered_in_a_thread(slack: Harness) -> None:
    asked = mention("what is a vm?", channel=CHANNEL)
    slack.send_event(asked)
    slack.mock.wait_for("chat.postMessage")
    slack.send_event(
        thread_message(
            "why do containers start so fast?",
            thread_ts=asked["ts"],
            channel=CHANNEL,
            bot_id="B0OTHER001",
            user=BOT_USER_ID,
        )
    )
    settle(slack)
    assert len(answers_in_thread(slack, asked["ts"])) == 1
