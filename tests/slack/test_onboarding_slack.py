"""Onboarding end to end: signed Slack requests into the real Bolt app, Slack's API mocked.

Greetings go to the person joining an onboarding channel, once, even across restarts; tour and
quiz buttons replace the message they sit on.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.core.answers import Answers
from bot.core.knowledge import load_knowledge
from bot.core.models import QuizQuestion, QuizRun
from bot.core.onboarding import QUIZ_LENGTH
from bot.render.actions import TOUR_STEP
from bot.slack.app import build_app, open_store_for
from bot.slack.deps import resolve_channels
from bot.store.resilient import ResilientStore
from tests.conftest import KNOWLEDGE
from tests.support import BOT_USER_ID, RESPONSE_URL, Failure, MockSlack, assert_valid_delivery
from tests.support.harness import Harness, harness_settings, wait_until
from tests.support.signed import button_click, in_ephemeral, in_home, in_message

ONBOARDING = "C0ONBOARD1"
ELSEWHERE = "C0RANDOM01"
NEWCOMER = "U0NEWBIE01"

Json = dict[str, Any]
AppFactory = Callable[..., tuple[Harness, ResilientStore]]

TOUR_STEPS = len(load_knowledge(KNOWLEDGE).tour.steps)  # type: ignore[union-attr]


@pytest.fixture
def database(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'vmdocker.sqlite3'}"


@pytest.fixture
def make_app(mock: MockSlack, answers: Answers, database: str) -> Iterator[AppFactory]:
    """The real app (`build_app`) on the mock and the store; each call is a fresh process on
    the same database file, as after a restart."""
    mock.reset()
    stores: list[ResilientStore] = []

    def build(**overrides: object) -> tuple[Harness, ResilientStore]:
        values: dict[str, object] = {
            "DATABASE_URL": database,
            "ONBOARDING_CHANNELS": ONBOARDING,
            "VMDOCKER_KNOWLEDGE_DIR": KNOWLEDGE,
        }
        settings = harness_settings(mock, **(values | overrides))
        store = open_store_for(settings)
        stores.append(store)
        return Harness(mock, build_app(settings, answers=answers, memory=store)), store

    yield build
    for store in stores:
        store.close()


def _settle(slack: Harness) -> None:
    """Wait for every listener the app started after its acks (then it takes no more requests),
    so that "nothing was sent" is a fact, not a race."""
    slack.app.listener_runner.listener_executor.shutdown(wait=True)


def _join(slack: Harness, user: str = NEWCOMER, channel: str = ONBOARDING) -> None:
    event = {
        "type": "member_joined_channel",
        "user": user,
        "channel": channel,
        "channel_type": "C",
        "team": "T0TEAM0001",
        "event_ts": "1710000000.000100",
    }
    assert slack.send_event(event).status == 200


def _click(slack: Harness, button: Json, **where: Any) -> None:
    """Click `button` and wait until its screen has been delivered."""
    before = len(slack.mock.sent())
    payload = button_click(str(button["action_id"]), str(button["value"]), user=NEWCOMER, **where)
    response = slack.send_click(payload)
    assert response.status == 200, response.body
    wait_until(lambda: len(slack.mock.sent()) > before)


def _buttons(blocks: list[Json]) -> dict[str, Json]:
    """Buttons by label."""
    return {
        element["text"]["text"]: element
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
    }


def _greetings(mock: MockSlack) -> list[Json]:
    return [call.body for call in mock.sent()]


def test_a_newcomer_gets_one_private_greeting(make_app: AppFactory, mock: MockSlack) -> None:
    slack, _ = make_app()
    _join(slack)
    [call] = mock.wait_for("chat.postEphemeral")
    assert (call.body["channel"], call.body["user"]) == (ONBOARDING, NEWCOMER)
    assert_valid_delivery(call)
    text = json.dumps(call.blocks)
    for fact in ("application layer", "MB", "GB", "seconds", "minutes", "Hypervisor"):
        assert fact in text, fact
    assert list(_buttons(call.blocks or [])) == ["Take the tour", "Quiz me", "How to ask me"]
    _settle(slack)
    assert mock.sent() == [call]


def test_the_same_person_is_greeted_once_even_after_a_restart(
    make_app: AppFactory, mock: MockSlack
) -> None:
    slack, _ = make_app()
    _join(slack)
    _join(slack)
    _settle(slack)
    restarted, _ = make_app()
    _join(restarted)
    _join(restarted, user="U0NEWBIE02")
    _settle(restarted)
    assert sorted(call.body["user"] for call in mock.sent()) == [NEWCOMER, "U0NEWBIE02"]
    assert {call.method for call in mock.sent()} == {"chat.postEphemeral"}


def test_the_app_itself_bots_and_other_channels_are_not_greeted(
    make_app: AppFactory, mock: MockSlack
) -> None:
    slack, _ = make_app()
    mock.answer(
        "users.info", lambda body: {"ok": True, "user": {"id": body["user"], "is_bot": True}}
    )
    _join(slack, user=BOT_USER_ID)
    _join(slack, channel=ELSEWHERE)
    _join(slack, user="U0OTHERBOT")
    _join(slack, user="USLACKBOT")
    _settle(slack)
    assert mock.sent() == []
    assert [call.body["user"] for call in mock.calls_to("users.info")] == ["U0OTHERBOT"]


def test_a_greeting_can_go_to_a_dm(make_app: AppFactory, mock: MockSlack) -> None:
    slack, _ = make_app(ONBOARDING_GREETING="dm")
    _join(slack)
    [call] = mock.wait_for("chat.postMessage")
    [opened] = mock.calls_to("conversations.open")
    assert opened.body["users"] == NEWCOMER
    assert call.body["channel"] == "D0NEWBIE01"
    assert_valid_delivery(call)
    _settle(slack)
    assert mock.sent() == [call]


def _paged_listing(pages: dict[str, tuple[list[Json], str]]) -> Callable[[Json], Json]:
    """conversations.list over `pages`: cursor -> (channels, next cursor)."""

    def listing(body: Json) -> Json:
        channels, cursor = pages[str(body.get("cursor", ""))]
        return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": cursor}}

    return listing


def test_channel_names_are_resolved_once(make_app: AppFactory, mock: MockSlack) -> None:
    pages = {
        "": ([{"id": "C0GENERAL1", "name": "general"}], "page2"),
        "page2": ([{"id": "C0NAMED001", "name": "onboarding"}], ""),
    }
    mock.answer("conversations.list", _paged_listing(pages))
    slack, _ = make_app(ONBOARDING_CHANNELS="#onboarding, #no-such-channel")
    _join(slack, channel="C0NAMED001")
    _join(slack, user="U0NEWBIE02", channel="C0NAMED001")
    _join(slack, user="U0NEWBIE03", channel="C0GENERAL1")
    _settle(slack)
    assert len(mock.calls_to("conversations.list")) == 2  # two pages, read once
    assert [call.body["channel"] for call in mock.sent()] == ["C0NAMED001", "C0NAMED001"]


def test_a_failed_lookup_is_tried_again(make_app: AppFactory, mock: MockSlack) -> None:
    mock.fail("conversations.list", Failure.SERVER_ERROR)
    slack, _ = make_app(ONBOARDING_CHANNELS="C0ONBOARD1,general")
    _join(slack)  # the listed id works while the names cannot be looked up
    mock.wait_for("chat.postEphemeral", 1)
    _join(slack, user="U0NEWBIE02", channel="C0CHANNEL1")
    mock.wait_for("chat.postEphemeral", 2)
    _join(slack, user="U0NEWBIE03", channel="C0CHANNEL1")
    mock.wait_for("chat.postEphemeral", 3)
    _settle(slack)
    assert [c.answered for c in mock.calls_to("conversations.list")] == [500, 200]


def test_ids_need_no_lookup(mock: MockSlack) -> None:
    mock.reset()
    client = WebClient(token="xoxb-test", base_url=mock.api_url)
    ids, complete = resolve_channels(client, ["C0ONBOARD1", "G0PRIVATE1"])
    assert (ids, complete) == ({"C0ONBOARD1", "G0PRIVATE1"}, True)
    assert mock.calls == []


def test_tour_next_and_back_replace_the_ephemeral_greeting(
    make_app: AppFactory, mock: MockSlack
) -> None:
    slack, store = make_app()
    _join(slack)
    [greeting] = mock.wait_for("chat.postEphemeral")
    where = {"response_url": mock.response_url("greeting"), "container": in_ephemeral(ONBOARDING)}
    _click(slack, _buttons(greeting.blocks or [])["Take the tour"], **where)
    for label in ("Next", "Next", "Back", "Next"):
        _click(slack, _buttons(mock.sent()[-1].blocks or [])[label], **where)
    _settle(slack)
    updates = mock.sent()[1:]
    assert {call.method for call in updates} == {RESPONSE_URL}
    assert {call.path for call in updates} == {"/response/greeting"}
    assert all(call.body["replace_original"] for call in updates)
    steps = [re.findall(r"Step \d of \d", json.dumps(call.blocks)) for call in updates]
    assert steps == [[f"Step {n} of {TOUR_STEPS}"] for n in (1, 2, 3, 2, 3)]
    for call in updates:
        assert_valid_delivery(call)
    assert store.load_progress(user_id=NEWCOMER, kind="tour") == {
        "step": 3,
        "of": TOUR_STEPS,
        "done": False,
    }


def test_tour_in_a_dm_updates_that_message(make_app: AppFactory, mock: MockSlack) -> None:
    slack, store = make_app(ONBOARDING_GREETING="dm")
    _join(slack)
    [greeting] = mock.wait_for("chat.postMessage")
    container, message = in_message("D0NEWBIE01")
    where = {"response_url": None, "container": container, "message": message, "channel": None}
    _click(slack, _buttons(greeting.blocks or [])["Take the tour"], **where)
    for _ in range(TOUR_STEPS - 1):
        _click(slack, _buttons(mock.sent()[-1].blocks or [])["Next"], **where)
    _click(slack, _buttons(mock.sent()[-1].blocks or [])["Finish"], **where)
    _settle(slack)
    updates = mock.sent()[1:]
    assert {call.method for call in updates} == {"chat.update"}
    assert {(call.body["channel"], call.body["ts"]) for call in updates} == {
        ("D0NEWBIE01", message["ts"])
    }
    for call in updates:  # an empty list, so no old attachment (a table) outlives an update
        assert call.body["attachments"] == []
        assert_valid_delivery(call)
    assert f"Step {TOUR_STEPS} of {TOUR_STEPS}" in json.dumps(updates[-2].blocks)
    assert updates[-1].body["text"] == f"You finished the tour ({TOUR_STEPS} steps)."
    assert store.load_progress(user_id=NEWCOMER, kind="tour") == {
        "step": TOUR_STEPS,
        "of": TOUR_STEPS,
        "done": True,
    }


def _question_on(answers: Answers, blocks: list[Json]) -> QuizQuestion:
    """The question a quiz screen asks, read from the run its buttons carry."""
    value = next(iter(_buttons(blocks).values()))["value"]
    run = QuizRun.model_validate_json(value)
    return next(q for q in answers.knowledge.quiz if q.id == run.order[run.position])


def test_a_quiz_to_the_end_with_feedback_and_score(
    make_app: AppFactory, mock: MockSlack, answers: Answers
) -> None:
    slack, store = make_app()
    _join(slack)
    [greeting] = mock.wait_for("chat.postEphemeral")
    where = {"response_url": mock.response_url("quiz"), "container": in_ephemeral(ONBOARDING)}
    _click(slack, _buttons(greeting.blocks or [])["Quiz me"], **where)
    first = _buttons(mock.sent()[-1].blocks or [])
    total = len(QuizRun.model_validate_json(next(iter(first.values()))["value"]).order)
    assert total == min(QUIZ_LENGTH, len(answers.knowledge.quiz))
    asked = []
    for number in range(total):
        screen = mock.sent()[-1]
        assert f"Question {number + 1} of {total}" in json.dumps(screen.blocks)
        question = _question_on(answers, screen.blocks or [])
        asked.append(question.id)
        right = question.right_index
        choice = right if number % 3 else (right + 1) % len(question.options)
        [button] = [
            b
            for b in _buttons(screen.blocks or []).values()
            if b["action_id"].endswith(f":{choice}")
        ]
        _click(slack, button, **where)
        feedback = mock.sent()[-1]
        text = json.dumps(feedback.blocks, ensure_ascii=False)
        assert ("Right!" in text) == (choice == right)
        assert ("Not quite" in text) == (choice != right)
        assert question.explanation in text
        assert f"open_topic:{question.entry}" in text
        onward = "See my score" if number == total - 1 else "Next question"
        _click(slack, _buttons(feedback.blocks or [])[onward], **where)
    _settle(slack)
    assert len(set(asked)) == total
    right_count = total - len(range(0, total, 3))
    assert mock.sent()[-1].body["text"] == f"Quiz done: {right_count} of {total} right."
    assert {call.method for call in mock.sent()[1:]} == {RESPONSE_URL}
    for call in mock.sent():
        assert_valid_delivery(call)
    assert store.load_progress(user_id=NEWCOMER, kind="quiz") == {
        "answered": total,
        "score": right_count,
        "of": total,
        "done": True,
    }


def test_how_to_ask_replaces_the_greeting(make_app: AppFactory, mock: MockSlack) -> None:
    slack, _ = make_app()
    _join(slack)
    [greeting] = mock.wait_for("chat.postEphemeral")
    where = {"response_url": mock.response_url("how"), "container": in_ephemeral(ONBOARDING)}
    _click(slack, _buttons(greeting.blocks or [])["How to ask me"], **where)
    call = mock.sent()[-1]
    assert call.method == RESPONSE_URL and call.body["replace_original"]
    assert "/vmdocker" in json.dumps(call.blocks)
    assert list(_buttons(call.blocks or [])) == ["Take the tour", "Quiz me"]
    assert_valid_delivery(call)


@pytest.mark.parametrize(
    ("text", "first"), [("tour", f"Step 1 of {TOUR_STEPS}"), ("quiz", "Question 1 of")]
)
def test_slash_commands_start_the_tour_and_the_quiz_anywhere(
    make_app: AppFactory, mock: MockSlack, text: str, first: str
) -> None:
    slack, store = make_app()
    slack.send_command(text, channel=ELSEWHERE)
    [call] = mock.wait_for(RESPONSE_URL)
    assert call.body["response_type"] == "ephemeral"
    assert first in json.dumps(call.blocks)
    assert_valid_delivery(call)
    assert store.load_progress(user_id="U0PERSON01", kind=text) is not None


def test_a_button_in_a_view_opens_the_tour_in_the_dm(make_app: AppFactory, mock: MockSlack) -> None:
    slack, _ = make_app()
    start = {"action_id": f"{TOUR_STEP}:0", "value": "0"}
    _click(slack, start, response_url=None, container=in_home(), channel=None)
    _settle(slack)
    [post] = mock.sent()
    assert post.method == "chat.postMessage"
    assert post.body["channel"] == "D0NEWBIE01"
    assert f"Step 1 of {TOUR_STEPS}" in json.dumps(post.blocks)
    assert_valid_delivery(post)
