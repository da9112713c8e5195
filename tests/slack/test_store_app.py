"""The store inside the real Bolt app (mock Slack): what is recorded, answered-once across
processes, the admin Home tab, and a database that fails on every call while the bot answers."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy.exc import OperationalError

from bot.core.answers import Answers
from bot.core.models import Band
from bot.slack.app import build_app, open_store_for
from bot.store.database import Store
from bot.store.records import AskedQuestion
from bot.store.resilient import ResilientStore
from tests.support import RESPONSE_URL, MockSlack, assert_valid_delivery
from tests.support.harness import Harness, harness_settings
from tests.support.signed import (
    PERSON,
    button_click,
    direct_message,
    home_opened,
    in_message,
    mention,
)

ADMIN = "U0ADMIN001"
LONG_AGO = datetime(2000, 1, 1)


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'vmdocker.sqlite3'}"


@pytest.fixture
def apps(mock: MockSlack, answers: Answers, url: str) -> Iterator[list[ResilientStore]]:
    """Stores opened by `start`; closed afterwards."""
    mock.reset()
    stores: list[ResilientStore] = []
    yield stores
    for store in stores:
        store.close()


def start(mock: MockSlack, answers: Answers, url: str, stores: list[ResilientStore]) -> Harness:
    """One app process on the shared database, as `vmdocker run`/`serve` builds it."""
    settings = harness_settings(mock, DATABASE_URL=url, ADMIN_USER_IDS=ADMIN)
    store = open_store_for(settings)
    stores.append(store)
    return Harness(mock, build_app(settings, answers=answers, memory=store))


def settle(slack: Harness) -> None:
    """Let every listener started after an ack finish (the app takes no more requests)."""
    slack.app.listener_runner.listener_executor.shutdown(wait=True)


def read(url: str) -> Store:
    return Store.from_url(url)


def test_questions_and_votes_are_recorded(
    mock: MockSlack, answers: Answers, url: str, apps: list[ResilientStore]
) -> None:
    slack = start(mock, answers, url, apps)
    slack.send_event(mention("what is the difference between a vm and a container"))
    slack.send_event(direct_message("how do I bake sourdough bread"))
    mock.wait_for("chat.postMessage", count=2)
    for count, vote in enumerate(("feedback_down", "feedback_up", "feedback_down"), start=1):
        container, message = in_message()
        click = button_click(
            vote, "vm-vs-docker", response_url=mock.response_url(), container=container,
            message=message,
        )  # fmt: skip
        slack.send_click(click)
        mock.wait_for(RESPONSE_URL, count=count)  # thanked before the next click: votes in order
    settle(slack)

    store = read(url)
    counts = {(row.surface, row.band): row.count for row in store.question_counts(since=LONG_AGO)}
    assert counts == {("thread", Band.ANSWER): 1, ("dm", Band.NONE): 1}
    assert store.unanswered_questions(since=LONG_AGO) == ["how do I bake sourdough bread"]
    [votes] = store.entry_votes(since=LONG_AGO)
    assert (votes.entry_id, votes.up, votes.down) == ("vm-vs-docker", 0, 1)  # the last vote wins
    store.close()


def test_a_retry_reaching_another_process_is_not_answered_again(
    mock: MockSlack, answers: Answers, url: str, apps: list[ResilientStore]
) -> None:
    first, second = start(mock, answers, url, apps), start(mock, answers, url, apps)
    event = mention("what is a container?")
    assert first.send_event(event, event_id="Ev0SHARED01").status == 200
    assert second.send_event(event, event_id="Ev0SHARED01", retry_num=1).status == 200
    second.send_event(direct_message("what is a vm?"), event_id="Ev0OTHER001")
    settle(first)
    settle(second)
    assert len(mock.calls_to("chat.postMessage")) == 2


def test_a_restarted_process_does_not_answer_an_old_event_again(
    mock: MockSlack, answers: Answers, url: str, apps: list[ResilientStore]
) -> None:
    before = start(mock, answers, url, apps)
    before.send_event(mention("what is a container?"), event_id="Ev0RESTART1")
    settle(before)
    apps.pop().close()
    after = start(mock, answers, url, apps)
    after.send_event(mention("what is a container?"), event_id="Ev0RESTART1", retry_num=2)
    settle(after)
    assert len(mock.calls_to("chat.postMessage")) == 1


def _home_text(slack: Harness, user: str) -> str:
    published = len(slack.mock.calls_to("views.publish"))
    slack.send_event(home_opened(user))
    publish = slack.mock.wait_for("views.publish", count=published + 1)[-1]
    assert publish.body["user_id"] == user
    assert_valid_delivery(publish)
    return str(publish.body["view"]["blocks"])


def test_home_tab_shows_progress_to_everyone_and_insights_to_admins(
    mock: MockSlack, answers: Answers, url: str, apps: list[ResilientStore]
) -> None:
    slack = start(mock, answers, url, apps)
    store = apps[0]
    store.save_progress(user_id=PERSON, kind="tour", state={"step": 3, "of": 7, "done": False})
    store.record_question(AskedQuestion(
        surface="dm", user_id=PERSON, channel_id=None, question="how do I bake bread",
        band="none", entry_id=None, score=10,
    ))  # fmt: skip
    store.record_feedback(entry_id="vm-vs-docker", user_id=PERSON, vote=-1)

    person = _home_text(slack, PERSON)
    assert "step 3 of 7" in person and "Quiz:* not taken" in person
    assert "Take the tour" in person and "Quiz me" in person
    assert "Insights" not in person and "bake bread" not in person

    admin = _home_text(slack, ADMIN)
    assert "Tour:* not started" in admin
    assert "Answer rate" in admin and "0%" in admin
    assert "how do I bake bread" in admin
    title = answers.knowledge.entries["vm-vs-docker"].title
    assert title in admin and "1 👎" in admin


class BrokenStore:
    """A database that fails every call, as a locked or unreachable one does."""

    calls = 0

    def __getattr__(self, name: str) -> Any:
        def fail(*args: object, **kwargs: object) -> None:
            BrokenStore.calls += 1
            raise OperationalError(name, None, Exception("database is locked"))

        return fail


@pytest.mark.parametrize("broken", ["every call", "cannot even open"])
def test_the_bot_keeps_answering_when_the_store_fails_every_call(
    mock: MockSlack, answers: Answers, caplog: pytest.LogCaptureFixture, broken: str
) -> None:
    def opener() -> Store:
        if broken == "cannot even open":
            raise OperationalError("connect", None, Exception("connection refused"))
        return cast(Store, BrokenStore())

    caplog.set_level(logging.ERROR, logger="bot.store")
    mock.reset()
    BrokenStore.calls = 0
    store = ResilientStore(opener, retention_days=30, retry_after=0.0)
    slack = Harness(
        mock,
        build_app(harness_settings(mock, ADMIN_USER_IDS=ADMIN), answers=answers, memory=store),
    )
    slack.send_event(mention("what is a container?"))
    slack.send_event(direct_message("what is a vm?"))
    slack.send_command("how big is a docker image")
    container, message = in_message()
    slack.send_click(
        button_click(
            "feedback_up", "vm-vs-docker", response_url=mock.response_url(),
            container=container, message=message,
        )
    )  # fmt: skip
    slack.send_event(home_opened(ADMIN))
    settle(slack)

    assert len(mock.calls_to("chat.postMessage")) == 2
    [command, thanks] = sorted(mock.calls_to(RESPONSE_URL), key=lambda call: "Thanks" in str(call))
    assert "image" in str(command.body).lower() and "Thanks" in str(thanks.body)
    [home] = mock.calls_to("views.publish")
    assert "cannot be reached" in str(home.body["view"]["blocks"])
    failures = [r for r in caplog.records if r.name == "bot.store.resilient"]
    assert len(failures) == 1  # logged once, not once per call
    assert "store unavailable" in failures[0].getMessage()
    if broken == "every call":
        assert BrokenStore.calls >= 5


def test_tour_and_quiz_progress_reach_the_home_tab_across_a_restart(
    mock: MockSlack, answers: Answers, url: str, apps: list[ResilientStore]
) -> None:
    before = start(mock, answers, url, apps)
    before.send_command("tour")
    before.send_command("quiz")
    mock.wait_for(RESPONSE_URL, count=2)
    settle(before)
    apps.pop().close()

    after = start(mock, answers, url, apps)
    home = _home_text(after, PERSON)
    tour = answers.knowledge.tour
    assert tour is not None
    assert f"step 1 of {len(tour.steps)}" in home
    assert re.search(r"Quiz:\* 0 of \d+ answered, 0 right so far", home)
