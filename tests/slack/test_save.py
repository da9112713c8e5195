""" "Save to vmdocker", through signed requests and the mock Web API: the message shortcut opens
a modal prefilled from the thread, an editor's submission is kept as a draft that answers nobody,
admins see it on the Home tab, and `vmdocker drafts --export DIR` writes an entry file the loader
accepts. Anyone else is refused by the shortcut and by the modal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.core.answers import Answers
from bot.core.knowledge import load_knowledge
from bot.render.actions import (
    SAVE_ANSWER,
    SAVE_QUESTION,
    SAVE_RELATED,
    SAVE_SHORTCUT,
    SAVE_TAGS,
    SAVE_TITLE,
    SAVE_VIEW,
)
from bot.slack.app import build_app, open_store_for
from bot.store.resilient import ResilientStore
from tests.support import MockSlack, assert_valid_delivery, block_problems
from tests.support.cli import vmdocker
from tests.support.harness import Harness, harness_settings
from tests.support.knowledge import knowledge_copy
from tests.support.mock_api import TEAM_ID
from tests.support.signed import direct_message, home_opened, next_ts, view_submission

ADMIN = "U0ADMIN001"
EDITOR = "U0EDITOR01"
STRANGER = "U0STRANGE1"
CHANNEL = "C0CHANNEL1"
QUESTION = "why does my laptop fan spin with docker"
ANSWER = "Docker Desktop runs a Linux VM: give it less CPU in Settings > Resources."


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'vmdocker.sqlite3'}"


@pytest.fixture
def slack(mock: MockSlack, answers: Answers, url: str) -> Iterator[Harness]:
    mock.reset()
    settings = harness_settings(
        mock, DATABASE_URL=url, KNOWLEDGE_EDITORS=EDITOR, ADMIN_USER_IDS=ADMIN
    )
    store: ResilientStore = open_store_for(settings)
    harness = Harness(mock, build_app(settings, answers=answers, memory=store))
    yield harness
    harness.app.listener_runner.listener_executor.shutdown(wait=True)
    store.close()


def shortcut(user: str, text: str, *, thread_ts: str | None) -> dict[str, Any]:
    ts = next_ts()
    message: dict[str, Any] = {"type": "message", "user": "U0EXPERT01", "ts": ts, "text": text}
    if thread_ts:
        message["thread_ts"] = thread_ts
    return {
        "type": "message_action",
        "callback_id": SAVE_SHORTCUT,
        "trigger_id": f"{ts}.trigger",
        "team": {"id": TEAM_ID, "domain": "example"},
        "user": {"id": user, "username": "pat", "team_id": TEAM_ID},
        "channel": {"id": CHANNEL, "name": "general"},
        "message_ts": ts,
        "message": message,
        "response_url": "https://hooks.example/unused",
    }


def form(title: str, *, tags: str = "", related: list[str] | None = None) -> dict[str, Any]:
    def text(value: str) -> dict[str, Any]:
        return {"type": "plain_text_input", "value": value}

    chosen = [{"value": entry} for entry in related or []]
    return {
        SAVE_TITLE: {SAVE_TITLE: text(title)},
        SAVE_QUESTION: {SAVE_QUESTION: text(QUESTION)},
        SAVE_ANSWER: {SAVE_ANSWER: text(ANSWER)},
        SAVE_TAGS: {SAVE_TAGS: text(tags)},
        SAVE_RELATED: {SAVE_RELATED: {"type": "multi_static_select", "selected_options": chosen}},
    }


def submit(slack: Harness, user: str, values: dict[str, Any]) -> dict[str, Any]:
    payload = view_submission(
        SAVE_VIEW,
        private_metadata="https://example.slack.com/archives/C1/p1",
        values=values,
        user=user,
    )
    result = json.loads(slack.send(slack.signer.interaction(payload)).body)
    assert isinstance(result, dict)
    return result


def opened_view(mock: MockSlack) -> dict[str, Any]:
    [call] = mock.wait_for("views.open")
    view = call.body["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


def test_a_thread_reply_saved_by_an_editor_is_a_draft_that_exports_to_a_valid_entry(
    mock: MockSlack, slack: Harness, url: str, tmp_path: Path
) -> None:
    parent = next_ts()
    mock.answer(
        "conversations.replies",
        lambda body: {"ok": True, "messages": [{"ts": parent, "text": QUESTION}]},
    )
    slack.send(slack.signer.interaction(shortcut(EDITOR, ANSWER, thread_ts=parent)))
    view = opened_view(mock)
    assert view["callback_id"] == SAVE_VIEW
    assert view["private_metadata"].startswith("https://example.slack.com/archives/")
    initial = {
        b["block_id"]: b["element"].get("initial_value")
        for b in view["blocks"]
        if b["type"] == "input"
    }
    assert (initial[SAVE_QUESTION], initial[SAVE_ANSWER]) == (QUESTION, ANSWER)
    assert block_problems(view["blocks"]) == []
    [replies] = mock.calls_to("conversations.replies")
    assert (replies.body["channel"], replies.body["ts"]) == (CHANNEL, parent)

    title = "Docker Desktop and a spinning fan"
    result = submit(
        slack, EDITOR, form(title, tags="Docker Desktop, cpu", related=["docker-desktop-memory"])
    )
    assert result["response_action"] == "update"
    saved = json.dumps(result, ensure_ascii=False)
    assert "Saved “Docker Desktop and a spinning fan” as a draft" in saved

    slack.send_event(direct_message(QUESTION))  # drafts answer nobody
    [reply] = mock.deliveries_to("D0PERSON01")
    assert "not sure" in reply.body["text"]

    [republished] = mock.wait_for("views.publish")  # the editor's Home tab, kept current
    assert republished.body["user_id"] == EDITOR
    slack.send_event(home_opened(ADMIN))
    home = mock.wait_for("views.publish", count=2)[1]
    assert home.body["user_id"] == ADMIN and title in json.dumps(home.body["view"])
    assert_valid_delivery(home)

    knowledge = knowledge_copy(tmp_path)
    entries = knowledge / "entries"
    ran = vmdocker(
        "--knowledge", str(knowledge), "drafts", "--export", str(entries), env={"DATABASE_URL": url}
    )
    assert ran.returncode == 0, ran.stderr
    assert "exported 1 draft(s)" in ran.stdout
    entry = load_knowledge(knowledge).entries["docker-desktop-and-a-spinning-fan"]
    assert (entry.title, entry.questions, entry.answer) == (title, [QUESTION], ANSWER)
    assert (entry.tags, entry.related) == (["docker-desktop", "cpu"], ["docker-desktop-memory"])
    assert entry.sources == ["https://example.slack.com/archives/C1/p1"]
    again = vmdocker("--knowledge", str(knowledge), "drafts", env={"DATABASE_URL": url})
    assert "0 draft(s) waiting" in again.stdout


def test_a_message_that_starts_no_thread_is_saved_with_the_question_to_fill_in(
    mock: MockSlack, slack: Harness
) -> None:
    slack.send(slack.signer.interaction(shortcut(EDITOR, ANSWER, thread_ts=None)))
    view = opened_view(mock)
    [question] = [b for b in view["blocks"] if b.get("block_id") == SAVE_QUESTION]
    assert "initial_value" not in question["element"]
    assert mock.calls_to("conversations.replies") == []


def test_the_form_is_checked_before_anything_is_kept(slack: Harness) -> None:
    result = submit(slack, EDITOR, form("  ", tags="ok, not/a tag"))
    assert result["response_action"] == "errors"
    assert result["errors"][SAVE_TITLE] == "Required."
    assert "not/a tag" in result["errors"][SAVE_TAGS]


def test_a_non_editor_is_refused_by_the_shortcut_and_by_the_modal(
    mock: MockSlack, slack: Harness
) -> None:
    slack.send(slack.signer.interaction(shortcut(STRANGER, ANSWER, thread_ts=None)))
    view = opened_view(mock)
    assert "Only knowledge editors can save" in json.dumps(view)
    assert "callback_id" not in view
    result = submit(slack, STRANGER, form("A title"))
    assert result["response_action"] == "errors"
    assert "Only knowledge editors" in result["errors"][SAVE_TITLE]
    slack.send_event(home_opened(ADMIN))
    [home] = mock.wait_for("views.publish")
    assert "None waiting" in json.dumps(home.body["view"])
