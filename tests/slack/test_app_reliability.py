"""Retries, rate limits, Web API errors, forged requests and hostile input, end to end."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from bot.core.answers import Answers
from bot.core.models import Entry
from bot.render.actions import FEEDBACK_UP
from bot.slack.app import LISTENER_THREADS
from bot.store.memory import InProcessMemory
from bot.store.records import AskedQuestion
from tests.support import RESPONSE_URL, Call, Failure, MockSlack, Signer, assert_valid_delivery
from tests.support.harness import Harness, start_harness, wait_until
from tests.support.mock_api import UPLOAD
from tests.support.signed import button_click, direct_message, in_message, mention

HOSTILE = (
    "<!channel> <!here|here> <!everyone> <@U0SOMEONE> <#C0OTHER|general> "
    "<script>alert('x')</script> &amp; a < b > c :rocket: 🚀 \x00\x07\x1b[31m"
    " what is a vm?"
)
PINGS = ("<!channel", "<!here", "<!everyone", "<script", "<@U0SOMEONE>", "<#C0OTHER")


@pytest.fixture
def slack(mock: MockSlack, answers: Answers) -> Harness:
    return start_harness(mock, answers)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _assert_nothing_live_echoed(call: Call) -> None:
    for text in _strings(call.body):
        for ping in PINGS:
            assert ping not in text, f"{ping!r} reached Slack live in {call.method}"
        assert "\x00" not in text and "\x1b" not in text


# --- Slack's retries and rate limits ----------------------------------------


def test_a_retried_event_is_answered_once(slack: Harness) -> None:
    event = mention("what is a container?")
    first = slack.send_event(event, event_id="Ev0RETRY001")
    again = slack.send_event(event, event_id="Ev0RETRY001", retry_num=1)
    assert first.status == again.status == 200  # both acked: Slack stops retrying
    slack.app.listener_runner.listener_executor.shutdown(wait=True)  # every listener has run
    [post] = slack.mock.calls_to("chat.postMessage")
    assert post.body["channel"] == event["channel"]


# --- acks never wait for the work ----------------------------------------------


class HeldMemory(InProcessMemory):
    """The in-process memory, holding every caller until `release` (a slow or locked store)."""

    def __init__(self) -> None:
        super().__init__()
        self.released = threading.Event()

    def hold(self) -> None:
        assert self.released.wait(timeout=10), "never released"

    def record_question(self, record: AskedQuestion) -> None:
        self.hold()
        super().record_question(record)

    def record_feedback(self, *, entry_id: str, user_id: str, vote: int) -> None:
        self.hold()
        super().record_feedback(entry_id=entry_id, user_id=user_id, vote=vote)


def test_acks_do_not_wait_for_listeners_even_with_every_listener_thread_busy(
    mock: MockSlack, answers: Answers
) -> None:
    """More commands than listener threads (each in its own channel), every listener stuck at
    the store: each request is still acked by its own dispatch. Before, a command waited for a
    free thread to call ack(). A command is answered before it is recorded, so the store holds
    no answer back: each busy thread sent its answer and waits to record it; the rest wait for
    a thread."""
    memory = HeldMemory()
    slack = start_harness(mock, answers, memory=memory)
    commands = LISTENER_THREADS + 5
    acks = [slack.send_command("what is a vm?", channel=f"C0BUSY{n:04d}") for n in range(commands)]
    acks.append(slack.send_event(mention("what is a container?")))
    container, message = in_message()
    click = button_click(
        FEEDBACK_UP,
        "what-is-a-vm",
        response_url=mock.response_url("vote"),
        container=container,
        message=message,
    )
    acks.append(slack.send_click(click))
    assert [(ack.status, ack.body) for ack in acks] == [(200, "")] * (commands + 2)
    answered_first = mock.wait_for(RESPONSE_URL, count=LISTENER_THREADS)
    assert len(answered_first) == LISTENER_THREADS
    assert len(mock.sent()) == LISTENER_THREADS  # the others wait for a thread
    memory.released.set()
    assert len(mock.wait_for(RESPONSE_URL, count=commands + 1)) == commands + 1
    mock.wait_for("chat.postMessage")


def test_rate_limited_post_is_retried_after_retry_after(slack: Harness) -> None:
    slack.mock.fail("chat.postMessage", Failure.RATE_LIMITED, retry_after=0)
    slack.send_event(mention("what is a container?"))
    limited, delivered = slack.mock.wait_for("chat.postMessage", count=2)
    assert (limited.answered, delivered.answered) == (429, 200)
    assert limited.body == delivered.body


# --- Web API errors: logged with method and code, the app keeps serving -------


def test_refused_blocks_still_send_the_answer_as_plain_text(
    slack: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot")
    slack.mock.fail("chat.postMessage", Failure.INVALID_BLOCKS)
    assert slack.send_event(mention("what is a container?")).status == 200
    refused, plain = slack.mock.wait_for("chat.postMessage", count=2)
    assert refused.body.get("blocks") and not plain.body.get("blocks")
    assert plain.answered == 200 and "container" in plain.body["text"].lower()
    [record] = [r for r in caplog.records if "chat.postMessage" in r.getMessage()]
    assert "invalid_blocks" in record.getMessage()


def test_a_server_error_from_slack_is_retried(slack: Harness) -> None:
    slack.mock.fail("chat.postMessage", Failure.SERVER_ERROR)
    assert slack.send_event(mention("what is a container?")).status == 200
    failed, delivered = slack.mock.wait_for("chat.postMessage", count=2)
    assert (failed.answered, delivered.answered) == (500, 200)
    assert failed.body == delivered.body


def test_a_web_api_error_is_logged_with_its_code_and_the_app_keeps_serving(
    slack: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot")
    slack.mock.fail("chat.postMessage", Failure.CHANNEL_NOT_FOUND)
    assert slack.send_event(mention("what is a container?")).status == 200
    wait_until(lambda: any("chat.postMessage" in r.getMessage() for r in caplog.records))
    [record] = [r for r in caplog.records if "chat.postMessage" in r.getMessage()]
    assert "channel_not_found" in record.getMessage()
    slack.send_event(direct_message("what is a vm?"))
    posts = slack.mock.wait_for("chat.postMessage", count=2)
    assert posts[-1].answered == 200


def _work(slack: Harness) -> list[Call]:
    """The calls that reached the mock, in order, but Bolt's `auth.test`."""
    return [call for call in slack.mock.calls if call.method != "auth.test"]


def _diagram_entry(answers: Answers) -> Entry:
    return next(e for e in answers.knowledge.entries.values() if e.diagram)


def test_answer_with_a_diagram_posts_the_card_then_shares_the_png_once_in_the_thread(
    slack: Harness, answers: Answers
) -> None:
    entry = _diagram_entry(answers)
    assert entry.diagram is not None
    spec = answers.knowledge.diagrams[entry.diagram]
    event = mention(entry.questions[0])
    slack.send_event(event)
    slack.mock.wait_for("files.completeUploadExternal")
    slack.app.listener_runner.listener_executor.shutdown(wait=True)  # every listener has run
    calls = _work(slack)
    assert [call.method for call in calls] == [
        "chat.postMessage",  # the answer card first...
        "files.getUploadURLExternal",  # ...then the PNG, in three steps
        UPLOAD,
        "files.completeUploadExternal",
    ]
    post, ask, upload, complete = calls
    assert post.body["thread_ts"] == complete.body["thread_ts"] == event["ts"]
    assert complete.body["channel_id"] == post.body["channel"]
    file_id = upload.path.rsplit("/", 1)[-1]  # the id files.getUploadURLExternal handed out
    assert complete.body["files"] == [{"id": file_id, "title": spec.title}]
    assert ask.body["alt_txt"] == spec.alt
    # The file share shows the picture, once: no image block, no drawing in the card.
    assert not any(block["type"] == "image" for block in post.blocks or [])
    assert "```" not in repr(post.blocks)
    assert_valid_delivery(post)


def test_a_failed_upload_is_followed_by_the_text_diagram_in_the_same_thread(
    slack: Harness, answers: Answers, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot")
    entry = _diagram_entry(answers)
    assert entry.diagram is not None
    spec = answers.knowledge.diagrams[entry.diagram]
    slack.mock.fail("files.getUploadURLExternal", Failure.INVALID_BLOCKS)
    event = mention(entry.questions[0])
    slack.send_event(event)
    card, follow_up = slack.mock.wait_for("chat.postMessage", count=2)
    assert [call.method for call in _work(slack)] == [
        "chat.postMessage",
        "files.getUploadURLExternal",
        "chat.postMessage",
    ]
    assert card.body["thread_ts"] == follow_up.body["thread_ts"] == event["ts"]
    assert card.body["channel"] == follow_up.body["channel"] == event["channel"]
    assert "```" not in repr(card.blocks)  # the answer went out whole before the upload
    drawing, alt = follow_up.blocks or []
    assert drawing["text"]["text"].startswith("```") and "┌" in drawing["text"]["text"]
    assert alt["type"] == "context" and alt["elements"][0]["text"] == spec.alt
    for call in (card, follow_up):
        assert_valid_delivery(call)
    assert any("files.getUploadURLExternal" in r.getMessage() for r in caplog.records)


# --- request verification ---------------------------------------------------


@pytest.mark.parametrize(
    "signer",
    [
        pytest.param(Signer(secret="not-the-secret"), id="wrong-secret"),
        pytest.param(Signer(now=time.time() - 10 * 60), id="stale-timestamp"),
    ],
)
def test_badly_signed_requests_get_401(slack: Harness, signer: Signer) -> None:
    response = slack.send(signer.event(mention("what is a vm?")))
    assert response.status == 401
    assert slack.mock.calls == []


def test_unsigned_request_gets_401(slack: Harness) -> None:
    signed = Signer().command("help", response_url=slack.mock.response_url())
    headers = {k: v for k, v in signed.headers.items() if k != "x-slack-signature"}
    response = slack.send(type(signed)(signed.body, headers))
    assert response.status == 401
    assert slack.mock.calls == []


# --- any input: a valid reply, nothing echoed live ----------------------------


def test_huge_message_gets_a_valid_reply(slack: Harness) -> None:
    slack.send_event(direct_message("what is a vm? " + "x" * 40_000))
    [post] = slack.mock.wait_for("chat.postMessage")
    assert_valid_delivery(post)
    assert len(repr(post.body)) < 40_000


@pytest.mark.parametrize("where", ["mention", "dm"])
def test_markup_in_a_message_is_never_echoed_live(slack: Harness, where: str) -> None:
    event = mention(HOSTILE) if where == "mention" else direct_message(HOSTILE)
    slack.send_event(event)
    [post] = slack.mock.wait_for("chat.postMessage")
    assert_valid_delivery(post)
    _assert_nothing_live_echoed(post)


@pytest.mark.parametrize("text", [HOSTILE, "<!channel> zzzz qqqq", "x" * 40_000, "💥" * 500])
def test_markup_in_a_command_is_never_echoed_live(slack: Harness, text: str) -> None:
    assert slack.send_command(text).status == 200
    [call] = slack.mock.wait_for(RESPONSE_URL)
    assert_valid_delivery(call)
    _assert_nothing_live_echoed(call)
