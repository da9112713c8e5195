"""The inbox inside the real Bolt app (mock Slack, a SQLite store shared by two "workers"): what
one worker acked and never worked on is answered by another, once; a drain gives back what it
did not start; late commands get an apology; failures to reach Slack are tried again; a slow
channel holds up no other."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.answers import Answers
from bot.slack.app import build_app, open_store_for
from bot.slack.inbox import PER_CHANNEL, Inbox, item_of
from bot.store.records import utcnow
from bot.store.resilient import ResilientStore
from tests.support import RESPONSE_URL, MockSlack, assert_valid_delivery
from tests.support.harness import Harness, harness_settings, wait_until
from tests.support.inbox import admit
from tests.support.mock_api import Failure
from tests.support.signed import CHANNEL, PERSON, direct_message, mention

WAIT = 10.0


class Stopped(Executor):
    """The listener threads of a worker that died right after its acks: nothing runs."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return Future()


@pytest.fixture
def stores(mock: MockSlack, tmp_path: Path) -> Iterator[list[ResilientStore]]:
    mock.reset()
    opened: list[ResilientStore] = []
    yield opened
    for store in opened:
        store.close()


def worker(
    mock: MockSlack,
    answers: Answers,
    stores: list[ResilientStore],
    tmp_path: Path,
    *,
    lease: timedelta = timedelta(seconds=30),
    executor: Executor | None = None,
) -> tuple[Harness, Inbox, ResilientStore]:
    """One worker process on the shared database, as `vmdocker serve` builds it."""
    settings = harness_settings(mock, DATABASE_URL=f"sqlite:///{tmp_path / 'inbox.sqlite3'}")
    store = open_store_for(settings)
    stores.append(store)
    inbox = Inbox(store, lease=lease)
    app = build_app(
        settings, answers=answers, memory=store, inbox=inbox, listener_executor=executor
    )
    return Harness(mock, app), inbox, store


def finish_work(slack: Harness) -> None:
    slack.app.listener_runner.listener_executor.shutdown(wait=True)


def test_an_event_acked_by_a_worker_that_died_is_answered_once_by_another(
    mock: MockSlack, answers: Answers, stores: list[ResilientStore], tmp_path: Path
) -> None:
    dead, _, _ = worker(
        mock, answers, stores, tmp_path, lease=timedelta(milliseconds=50), executor=Stopped()
    )
    event = mention("what is a container?")
    assert dead.send_event(event, event_id="Ev0DIED0001").status == 200
    assert mock.calls_to("chat.postMessage") == []

    alive, inbox, store = worker(mock, answers, stores, tmp_path)
    wait_until(lambda: inbox.sweep() == 1)  # once the dead worker's lease ran out
    [post] = mock.wait_for("chat.postMessage", timeout=WAIT)
    assert post.body["channel"] == CHANNEL and post.body["thread_ts"] == event["ts"]
    assert_valid_delivery(post)

    retry = alive.send_event(event, event_id="Ev0DIED0001", retry_num=1)  # Slack's late retry
    assert retry.status == 200
    finish_work(alive)
    assert len(mock.calls_to("chat.postMessage")) == 1
    assert store.inbox_depth() == 0


def test_a_drain_gives_back_what_it_did_not_start_and_the_next_start_answers_it(
    mock: MockSlack,
    answers: Answers,
    stores: list[ResilientStore],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    busy = threading.Event()
    executor = ThreadPoolExecutor(1)
    executor.submit(busy.wait, WAIT)  # the only listener thread is taken
    stopping, stopping_inbox, _ = worker(mock, answers, stores, tmp_path, executor=executor)
    for n in range(3):
        stopping.send_event(mention(f"what is a vm? ({n})"), event_id=f"Ev0DRAIN{n:03d}")

    with caplog.at_level(logging.INFO, logger="bot.slack.inbox"):
        assert stopping_inbox.drain(grace=0) == (0, 3)
    assert "0 item(s) finished during shutdown, 3 left for the next start" in caplog.text

    starting, inbox, store = worker(mock, answers, stores, tmp_path)
    assert inbox.sweep() == 3  # given back: no lease to wait for
    mock.wait_for("chat.postMessage", count=3, timeout=WAIT)
    busy.set()
    executor.shutdown(wait=True)  # the stopped worker's lane finds its inbox closed
    finish_work(starting)
    assert len(mock.calls_to("chat.postMessage")) == 3
    assert store.inbox_depth() == 0


def test_a_command_found_after_its_response_url_expired_gets_an_apology_by_dm(
    mock: MockSlack, answers: Answers, stores: list[ResilientStore], tmp_path: Path
) -> None:
    slack, inbox, store = worker(mock, answers, stores, tmp_path)
    body = {
        "command": "/vmdocker",
        "text": "what is a <!channel> vm?",
        "user_id": PERSON,
        "channel_id": CHANNEL,
        "team_id": "T0TEAM0001",
        "trigger_id": "1234.5678.abcd",
        "response_url": mock.response_url(),
    }
    item = item_of(body, utcnow() - timedelta(minutes=31))
    assert item is not None
    store.admit(item, owner="a worker that stopped", lease=timedelta(0))

    assert inbox.sweep() == 1
    [apology] = mock.wait_for("chat.postMessage", timeout=WAIT)
    assert apology.body["channel"] == PERSON
    assert "Sorry" in apology.body["text"] and "&lt;!channel&gt;" in str(apology.blocks)
    assert_valid_delivery(apology)
    finish_work(slack)
    assert mock.calls_to(RESPONSE_URL) == []
    assert store.inbox_depth() == 0


def test_an_answer_that_could_not_reach_slack_stays_in_the_inbox_for_later(
    mock: MockSlack,
    answers: Answers,
    stores: list[ResilientStore],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    slack, _, store = worker(mock, answers, stores, tmp_path)
    mock.fail("chat.postMessage", Failure.SERVER_ERROR, times=3)  # the first try and 2 retries
    with caplog.at_level(logging.WARNING, logger="bot.slack.inbox"):
        slack.send_event(mention("what is a vm?"), event_id="Ev0DOWN0001")
        finish_work(slack)
    assert "event:Ev0DOWN0001 failed to reach Slack; trying again in 0:00:30" in caplog.text
    assert store.inbox_depth() == 1


def test_a_slow_channel_holds_up_no_other_channel(
    mock: MockSlack, answers: Answers, stores: list[ResilientStore], tmp_path: Path
) -> None:
    slack, _, _ = worker(mock, answers, stores, tmp_path)
    release = mock.hold("C0SLOW0001")
    try:
        for n in range(20):  # more than the listener threads
            slack.send_event(mention(f"what is a vm? ({n})", channel="C0SLOW0001"))
        mock.wait_held(PER_CHANNEL)
        slack.send_event(mention("what is a container?", channel="C0FAST0001"))
        [answer] = mock.deliveries_to("C0FAST0001", WAIT)
        assert answer.method == "chat.postMessage"
    finally:
        release.set()
    finish_work(slack)
    slow = [c for c in mock.calls_to("chat.postMessage") if c.body["channel"] == "C0SLOW0001"]
    assert len(slow) == 20


def test_items_are_found_by_their_event_or_trigger_id() -> None:
    now = datetime(2026, 1, 1)
    envelope = {
        "type": "event_callback",
        "event_id": "Ev1",
        "event": {"type": "x", "channel": "C1"},
    }
    event = item_of(envelope, now)
    assert event is not None and (event.key, event.channel_id) == ("event:Ev1", "C1")
    command = item_of({"command": "/vmdocker", "trigger_id": "t1", "channel_id": "C2"}, now)
    assert command is not None and (command.kind, command.key) == ("command", "command:t1")
    payload = {"type": "block_actions", "actions": [], "trigger_id": "t2", "channel": {"id": "C3"}}
    click = item_of({**payload, "user": {"id": "U"}}, now)
    assert click is not None and (click.key, click.channel_id, click.user_id) == (
        "action:t2",
        "C3",
        "U",
    )
    assert item_of({"type": "view_submission", "trigger_id": "t3"}, now) is None  # runs at once
    assert item_of({"type": "event_callback", "event": {"type": "x"}}, now) is None  # no id


def test_a_message_no_person_typed_is_acked_and_not_kept(
    mock: MockSlack, answers: Answers, stores: list[ResilientStore], tmp_path: Path
) -> None:
    """The middleware's side of the edge's rule (Socket Mode, `vmdocker run`): another bot's
    message is acked, neither kept nor worked on (Bolt drops the bot's own before)."""
    slack, _, store = worker(mock, answers, stores, tmp_path)
    other_bot = direct_message("what is a vm", subtype="bot_message", bot_id="B0ANOTHER1")
    assert slack.send_event(other_bot, event_id="Ev0OTHERBOT").status == 200
    assert admit(store, "event:Ev0OTHERBOT")  # first here: it was never kept
    finish_work(slack)
    assert mock.sent() == []
