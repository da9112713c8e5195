"""The Messages tab as an agent view: suggested prompts set on the DM (no thread, at most
four), and the "Quiz me" prompt (or "tour") starting onboarding right there in the DM."""

from __future__ import annotations

import json

import pytest

from bot.core.answers import Answers
from tests.support import MockSlack, assert_valid_delivery
from tests.support.harness import Harness, start_harness
from tests.support.signed import PERSON, direct_message

DM = "D0PERSON01"


@pytest.fixture
def slack(mock: MockSlack, answers: Answers) -> Harness:
    return start_harness(mock, answers)


def test_opening_the_messages_tab_sets_suggested_prompts_on_the_dm(slack: Harness) -> None:
    opened = {"type": "app_home_opened", "user": PERSON, "channel": DM, "tab": "messages"}
    assert slack.send_event(opened).status == 200
    [call] = slack.mock.wait_for("assistant.threads.setSuggestedPrompts")
    assert call.body["channel_id"] == DM and "thread_ts" not in call.body
    prompts = call.body["prompts"]
    prompts = json.loads(prompts) if isinstance(prompts, str) else prompts
    assert 1 <= len(prompts) <= 4
    assert all(prompt["title"] and prompt["message"] for prompt in prompts)
    assert prompts[-1] == {"title": "Quiz me", "message": "quiz"}
    assert slack.mock.calls_to("views.publish") == []  # the Home tab is not drawn for it


@pytest.mark.parametrize(("text", "first"), [("quiz", "Question 1 of"), ("tour", "Step 1 of")])
def test_quiz_or_tour_in_a_dm_starts_it_there(slack: Harness, text: str, first: str) -> None:
    slack.send_event(direct_message(text, channel=DM))
    [post] = slack.mock.wait_for("chat.postMessage")
    assert post.body["channel"] == DM
    assert first in json.dumps(post.blocks)
    assert_valid_delivery(post)


def test_an_assistant_thread_gets_a_title_prompts_and_its_question_answered_in_it(
    slack: Harness,
) -> None:
    thread = {"user_id": PERSON, "channel_id": DM, "thread_ts": "1731000000.000100"}
    slack.send_event({"type": "assistant_thread_started", "assistant_thread": thread})
    [title] = slack.mock.wait_for("assistant.threads.setTitle")
    [prompts] = slack.mock.wait_for("assistant.threads.setSuggestedPrompts")
    assert title.body["thread_ts"] == prompts.body["thread_ts"] == thread["thread_ts"]

    question = direct_message("why do containers start fast?", channel=DM)
    question["thread_ts"] = thread["thread_ts"]
    slack.send_event(question)
    [status] = slack.mock.wait_for("assistant.threads.setStatus")
    [answer] = slack.mock.wait_for("chat.postMessage")
    assert status.body["thread_ts"] == answer.body["thread_ts"] == thread["thread_ts"]
    assert "start" in answer.body["text"].lower()
