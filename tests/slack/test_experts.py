"""Ask the experts, through signed requests and the mock Web API: a decline offers the button
only when EXPERTS_CHANNEL is set, the asker's click posts the question there with a link, the
first expert reply reaches the asker once (across workers and retries), and an editor expert is
offered "Save to vmdocker" on it."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.answers import Answers
from bot.render.actions import ASK_EXPERTS, SAVE_ANSWER, SAVE_FROM_EXPERT, SAVE_QUESTION
from bot.slack.app import build_app, open_store_for
from bot.store.resilient import ResilientStore
from tests.support import MockSlack, assert_valid_delivery
from tests.support.harness import Harness, harness_settings, start_harness
from tests.support.signed import (
    CHANNEL,
    PERSON,
    button_click,
    in_message,
    mention,
    thread_message,
)

EXPERTS = "C0EXPERTS1"
EXPERT = "U0EXPERT01"
OTHER_EXPERT = "U0EXPERT02"
EXPERTS_TS = "1800000000.000001"
QUESTION = "why does my laptop fan spin with docker"
ANSWER = "Docker Desktop runs a Linux VM; lower its CPUs in Settings > Resources."


def posting(mock: MockSlack) -> None:
    """chat.postMessage answers as Slack does; the experts' post gets a known ts."""
    ids = itertools.count(1)

    def post(body: dict[str, Any]) -> dict[str, Any]:
        channel = str(body.get("channel"))
        ts = EXPERTS_TS if channel == EXPERTS else f"1800000001.{next(ids):06d}"
        return {"ok": True, "channel": channel, "ts": ts, "message": {"ts": ts}}

    mock.answer("chat.postMessage", post)


@pytest.fixture
def workers(mock: MockSlack, answers: Answers, tmp_path: Path) -> Iterator[list[Harness]]:
    mock.reset()
    posting(mock)
    settings = harness_settings(
        mock,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        EXPERTS_CHANNEL=EXPERTS,
        KNOWLEDGE_EDITORS=EXPERT,
    )
    stores: list[ResilientStore] = [open_store_for(settings), open_store_for(settings)]
    started = [Harness(mock, build_app(settings, answers=answers, memory=s)) for s in stores]
    yield started
    for slack in started:
        settle(slack)
    for store in stores:
        store.close()


def settle(slack: Harness) -> None:
    slack.app.listener_runner.listener_executor.shutdown(wait=True)


def ask_button(card: Any) -> dict[str, Any]:
    [button] = [
        element
        for block in card.blocks or []
        if block["type"] == "actions"
        for element in block["elements"]
        if element.get("action_id") == ASK_EXPERTS
    ]
    return dict(button)


def declined(slack: Harness, mock: MockSlack) -> tuple[dict[str, Any], Any]:
    """A mention the bot declines: the mention, and the decline posted in its thread."""
    asked = mention(QUESTION)
    slack.send_event(asked)
    [decline] = mock.deliveries_to(CHANNEL)
    return asked, decline


def click_ask(slack: Harness, mock: MockSlack, question: str, thread_ts: str) -> None:
    """The asker clicks "Ask the experts" on the decline in their thread."""
    container, message = in_message(CHANNEL, thread_ts=thread_ts)
    click = button_click(
        ASK_EXPERTS,
        question,
        response_url=mock.response_url("experts"),
        container=container,
        message=message,
    )
    slack.send_click(click)


def expert_reply(text: str, user: str = EXPERT) -> dict[str, Any]:
    return thread_message(text, thread_ts=EXPERTS_TS, channel=EXPERTS, user=user)


def test_the_first_expert_reply_reaches_the_asker_once(
    mock: MockSlack, workers: list[Harness]
) -> None:
    first, second = workers
    asked, decline = declined(first, mock)
    button = ask_button(decline)
    assert button["value"] == QUESTION
    assert mock.calls_to("chat.postMessage")[0].body["channel"] == CHANNEL  # nothing posted yet

    click_ask(first, mock, button["value"], asked["ts"])
    [posted] = mock.deliveries_to(EXPERTS)
    assert QUESTION in json.dumps(posted.blocks) and f"<@{PERSON}>" in json.dumps(posted.blocks)
    assert "https://example.slack.com/archives/C0CHANNEL1/p" in json.dumps(posted.blocks)
    assert_valid_delivery(posted)
    [permalink] = mock.calls_to("chat.getPermalink")
    assert permalink.body["message_ts"] == asked["ts"]
    [told] = mock.wait_for("response_url")
    assert "Sent to the experts" in told.body["text"]

    reply = expert_reply(ANSWER)
    first.send_event(reply, event_id="EvREPLY0001")
    answered = mock.deliveries_to(CHANNEL, count=2)[1]
    assert answered.body["thread_ts"] == asked["ts"]
    assert ANSWER in json.dumps(answered.blocks) and f"<@{EXPERT}>" in json.dumps(answered.blocks)
    assert_valid_delivery(answered)
    [offer] = mock.wait_for("chat.postEphemeral")
    assert (offer.body["user"], offer.body["thread_ts"]) == (EXPERT, EXPERTS_TS)
    assert SAVE_FROM_EXPERT in json.dumps(offer.blocks)

    second.send_event(reply, event_id="EvREPLY0001", retry_num=1)  # Slack's retry, elsewhere
    second.send_event(expert_reply("Also check your antivirus.", OTHER_EXPERT))
    settle(first)
    settle(second)
    to_asker = [
        call for call in mock.calls_to("chat.postMessage") if call.body["channel"] == CHANNEL
    ]
    assert len(to_asker) == 2  # the decline, then the first expert reply: once
    assert len(mock.calls_to("chat.postEphemeral")) == 1


def test_the_expert_saves_the_reply_with_the_question_prefilled(
    mock: MockSlack, workers: list[Harness]
) -> None:
    first, _ = workers
    asked, decline = declined(first, mock)
    click_ask(first, mock, ask_button(decline)["value"], asked["ts"])
    mock.wait_for("response_url")  # the question is remembered once the asker is told
    first.send_event(expert_reply(ANSWER))
    [offer] = mock.wait_for("chat.postEphemeral")
    value = offer.blocks[0]["accessory"]["value"]  # type: ignore[index]
    container, message = in_message(EXPERTS, thread_ts=EXPERTS_TS)
    first.send_click(
        button_click(
            SAVE_FROM_EXPERT,
            value,
            response_url=None,
            container=container,
            message=message,
            channel=EXPERTS,
            user=EXPERT,
        )
    )
    [opened] = mock.wait_for("views.open")
    view = opened.body["view"]
    view = json.loads(view) if isinstance(view, str) else view
    initial = {
        b["block_id"]: b["element"].get("initial_value")
        for b in view["blocks"]
        if b["type"] == "input"
    }
    assert (initial[SAVE_QUESTION], initial[SAVE_ANSWER]) == (QUESTION, ANSWER)


def test_no_button_without_an_experts_channel(mock: MockSlack, answers: Answers) -> None:
    slack = start_harness(mock, answers)
    slack.send_event(mention(QUESTION))
    [decline] = mock.deliveries_to(CHANNEL)
    assert ASK_EXPERTS not in json.dumps(decline.blocks)
    assert "not sure" in decline.body["text"]
