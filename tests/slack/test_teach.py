"""Teaching in Slack, through signed requests and the mock Web API: a declined question is kept
and posted to MISSES_CHANNEL, an editor teaches it in the modal, the asker gets the answer, and
another worker answers it right within 5 s; anyone else is refused by the button and the modal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.core.answers import Answers
from bot.render.actions import OUT_OF_SCOPE, TEACH, TEACH_ENTRY, TEACH_ENTRY_BLOCK, TEACH_VIEW
from bot.slack.app import build_app, open_store_for, serving_for
from bot.slack.deps import Editors, Serving
from bot.slack.jobs import start_jobs
from bot.store.resilient import ResilientStore
from tests.support import MockSlack, assert_valid_delivery, block_problems
from tests.support.harness import Harness, harness_settings, wait_until
from tests.support.mock_api import TEAM_ID
from tests.support.signed import (
    button_click,
    direct_message,
    home_opened,
    in_message,
    view_submission,
)

EDITOR = "U0EDITOR01"
STRANGER = "U0STRANGE1"
MISSES = "C0MISSES01"
QUESTION = "why does my laptop fan spin with docker"
TAUGHT = "docker-desktop-memory"


class Worker:
    """One worker process: its store, what it serves, its Bolt app."""

    def __init__(self, mock: MockSlack, answers: Answers, url: str) -> None:
        settings = harness_settings(
            mock, DATABASE_URL=url, KNOWLEDGE_EDITORS=EDITOR, MISSES_CHANNEL=MISSES
        )
        self.store: ResilientStore = open_store_for(settings)
        self.serving: Serving = serving_for(settings, answers, self.store)
        self.slack = Harness(mock, build_app(settings, serving=self.serving))

    def settle(self) -> None:
        self.slack.app.listener_runner.listener_executor.shutdown(wait=True)


@pytest.fixture
def workers(mock: MockSlack, answers: Answers, tmp_path: Path) -> Iterator[list[Worker]]:
    mock.reset()
    url = f"sqlite:///{tmp_path / 'vmdocker.sqlite3'}"
    started = [Worker(mock, answers, url), Worker(mock, answers, url)]
    yield started
    for worker in started:
        worker.settle()
        worker.store.close()


def teach_click(user: str, miss_id: str, mock: MockSlack) -> dict[str, Any]:
    container, message = in_message(MISSES)
    return button_click(
        TEACH,
        miss_id,
        response_url=mock.response_url("teach"),
        container=container,
        message=message,
        channel=MISSES,
        user=user,
    )


def submit(user: str, miss_id: str, choice: str) -> dict[str, Any]:
    picked = {"type": "static_select", "selected_option": {"value": choice}}
    return view_submission(
        TEACH_VIEW,
        private_metadata=miss_id,
        values={TEACH_ENTRY_BLOCK: {TEACH_ENTRY: picked}},
        user=user,
    )


def ask_and_find_miss(worker: Worker, mock: MockSlack) -> str:
    """Ask the worker a question it declines; the miss id on its Teach button in MISSES, once
    the worker has kept where that post is (it does so after Slack answers the post: a Teach
    sent before would find no post to update)."""
    worker.slack.send_event(direct_message(QUESTION))
    [posted] = mock.deliveries_to(MISSES)
    assert_valid_delivery(posted)
    assert QUESTION in str(posted.blocks)
    [teach] = [block["accessory"] for block in posted.blocks or [] if "accessory" in block]
    assert teach["action_id"] == TEACH
    miss_id = str(teach["value"])
    wait_until(lambda: getattr(worker.store.miss(int(miss_id)), "post_ts", None) is not None)
    return miss_id


def card_of(call: Any) -> str:
    return json.dumps(call.blocks)


def test_a_taught_question_is_answered_right_by_another_worker_within_5_s(
    mock: MockSlack, workers: list[Worker]
) -> None:
    first, second = workers
    jobs = start_jobs(second.serving, second.slack.app.client)  # as `serve` starts them
    try:
        assert second.serving.deps.answers.routes_to(QUESTION) is None
        miss_id = ask_and_find_miss(first, mock)
        [decline] = mock.deliveries_to("D0PERSON01")
        assert "not sure" in decline.body["text"]

        first.slack.send_click(teach_click(EDITOR, miss_id, mock))
        [opened] = mock.wait_for("views.open")
        view = (
            json.loads(opened.body["view"])
            if isinstance(opened.body["view"], str)
            else opened.body["view"]
        )
        assert view["callback_id"] == TEACH_VIEW and view["private_metadata"] == miss_id
        options = [
            o["value"] for g in view["blocks"][1]["element"]["option_groups"] for o in g["options"]
        ]
        assert TAUGHT in options and OUT_OF_SCOPE in options
        assert block_problems(view["blocks"]) == []

        response = first.slack.send(first.slack.signer.interaction(submit(EDITOR, miss_id, TAUGHT)))
        result = json.loads(response.body)
        assert result["response_action"] == "update"
        assert "Self-check: it routes there" in json.dumps(result["view"])

        answered = mock.deliveries_to("D0PERSON01", count=2)[1]
        [handled] = mock.wait_for("chat.update")  # the Teach button is gone from MISSES
        assert handled.body["channel"] == MISSES and TEACH not in json.dumps(handled.blocks)
        assert f"<@{EDITOR}> taught it" in json.dumps(handled.blocks)
        assert_valid_delivery(handled)
        assert f"<@{EDITOR}> taught me the answer" in card_of(answered)
        assert "Docker Desktop" in card_of(answered)
        assert_valid_delivery(answered)

        wait_until(lambda: second.serving.deps.answers.routes_to(QUESTION) == TAUGHT, 5.0)
        mock.reset()
        second.slack.send_event(direct_message(QUESTION))
        [card] = mock.deliveries_to("D0PERSON01")
        assert "Docker Desktop" in card_of(card) and "not sure" not in card.body["text"]
        assert mock.calls_to("chat.postMessage")[0].body["channel"] != MISSES  # answered: no miss
    finally:
        for job in jobs:
            job.stop()


def test_a_non_editor_is_refused_by_the_button_and_by_the_modal(
    mock: MockSlack, workers: list[Worker]
) -> None:
    first, _ = workers
    miss_id = ask_and_find_miss(first, mock)

    first.slack.send_click(teach_click(STRANGER, miss_id, mock))
    [opened] = mock.wait_for("views.open")
    assert "Only knowledge editors can teach" in str(opened.body["view"])
    assert "callback_id" not in str(opened.body["view"])

    response = first.slack.send(first.slack.signer.interaction(submit(STRANGER, miss_id, TAUGHT)))
    result = json.loads(response.body)
    assert result["response_action"] == "errors"
    assert "Only knowledge editors" in result["errors"][TEACH_ENTRY_BLOCK]
    first.serving.refresh_learned()
    assert first.serving.deps.answers.routes_to(QUESTION) is None
    assert first.store.learned() == []
    assert len(mock.deliveries_to("D0PERSON01")) == 1  # the decline only


def test_editors_see_questions_to_teach_on_the_home_tab_and_can_set_one_aside(
    mock: MockSlack, workers: list[Worker]
) -> None:
    first, _ = workers
    miss_id = ask_and_find_miss(first, mock)
    first.slack.send_event(home_opened(EDITOR))
    [home] = mock.wait_for("views.publish")
    assert "Questions to teach" in str(home.body["view"]) and QUESTION in str(home.body["view"])
    assert_valid_delivery(home)

    first.slack.send_event(home_opened(STRANGER))
    stranger_home = mock.wait_for("views.publish", count=2)[1]
    assert "Questions to teach" not in str(stranger_home.body["view"])

    response = first.slack.send(
        first.slack.signer.interaction(submit(EDITOR, miss_id, OUT_OF_SCOPE))
    )
    assert "out of scope" in json.loads(response.body)["view"]["blocks"][0]["text"]["text"]
    assert first.store.open_misses(team_id=TEAM_ID) == []
    [learned] = first.store.learned() or []
    assert learned.entry_id is None and learned.taught_by == EDITOR
    assert len(mock.deliveries_to("D0PERSON01")) == 1  # set aside: the asker is not messaged


def test_editors_may_be_a_user_group(mock: MockSlack) -> None:
    mock.reset()
    mock.answer("usergroups.users.list", lambda body: {"ok": True, "users": [EDITOR]})
    client = WebClient(token="xoxb-test", base_url=mock.api_url)
    editors = Editors(["S0EDITORS1"], admins=["U0ADMIN001"])
    assert editors.includes(client, EDITOR)
    assert not editors.includes(client, STRANGER)
    assert editors.includes(client, "U0ADMIN001")
    [looked_up] = mock.calls_to("usergroups.users.list")  # remembered for a minute
    assert looked_up.body["usergroup"] == "S0EDITORS1"


def test_taught_wordings_survive_a_knowledge_reload(
    mock: MockSlack, workers: list[Worker], answers: Answers
) -> None:
    first, _ = workers
    first.store.learn(team_id="T1", question=QUESTION, entry_id=TAUGHT, taught_by=EDITOR)
    assert first.serving.refresh_learned()
    assert not first.serving.refresh_learned()  # nothing new: the answers are not rebuilt
    assert first.serving.deps.answers.routes_to(QUESTION) == TAUGHT
    assert first.serving.reload(lambda: answers)
    assert first.serving.deps.answers.routes_to(QUESTION) == TAUGHT
    assert answers.routes_to(QUESTION) is None  # the files' own answers are left as they were
