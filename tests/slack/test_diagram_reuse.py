"""A diagram's PNG is uploaded once per workspace and knowledge version, then shown again from
Slack's file store (an image block naming the file), against the mock Slack Web API."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.core.answers import Answers
from bot.core.models import DiagramSpec, Entry
from bot.slack.app import build_app, open_store_for
from bot.slack.delivery import DiagramKey, DiagramUploads, show_diagram
from bot.store.memory import InProcessMemory
from bot.store.resilient import ResilientStore
from tests.support import Call, MockSlack, assert_valid_delivery
from tests.support.harness import Harness, harness_settings, start_harness
from tests.support.mock_api import TEAM_ID, UPLOAD
from tests.support.signed import mention

Json = dict[str, Any]


def _diagram_entry(answers: Answers) -> Entry:
    return next(e for e in answers.knowledge.entries.values() if e.diagram)


def _settle(slack: Harness) -> None:
    """Every listener started after an ack has finished (the app takes no more requests)."""
    slack.app.listener_runner.listener_executor.shutdown(wait=True)


def _image_posts(mock: MockSlack) -> list[Call]:
    return [
        call
        for call in mock.calls_to("chat.postMessage")
        if any(block["type"] == "image" for block in call.blocks or [])
    ]


def _uploaded_ids(mock: MockSlack) -> list[str]:
    return [call.path.rsplit("/", 1)[-1] for call in mock.calls_to(UPLOAD)]


def test_two_answers_with_the_same_diagram_upload_it_once(
    mock: MockSlack, answers: Answers
) -> None:
    slack = start_harness(mock, answers)
    entry = _diagram_entry(answers)
    assert entry.diagram is not None
    spec = answers.knowledge.diagrams[entry.diagram]
    first, second = mention(entry.questions[0]), mention(entry.questions[0])
    slack.send_event(first)
    slack.send_event(second)  # at once: the second waits for the first upload, not uploading too
    _settle(slack)

    assert len(mock.calls_to("files.getUploadURLExternal")) == 1
    assert len(mock.calls_to("files.completeUploadExternal")) == 1
    [file_id] = _uploaded_ids(mock)
    [shared] = mock.calls_to("files.completeUploadExternal")
    [reused] = _image_posts(mock)
    threads = {shared.body["thread_ts"], reused.body["thread_ts"]}
    assert threads == {first["ts"], second["ts"]}  # each answer has its picture, in its thread
    [image] = reused.blocks or []
    assert image["slack_file"] == {"id": file_id}
    assert image["alt_text"] == spec.alt
    assert image["title"]["text"] == spec.title
    assert_valid_delivery(reused)


def test_a_refused_file_is_uploaded_again_and_the_new_one_reused(
    client: WebClient, mock: MockSlack, answers: Answers, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot")
    refused: list[str] = []

    def refuse_the_first_image(body: Json) -> Json:
        blocks = body.get("blocks") or []
        if not refused and any(block["type"] == "image" for block in blocks):
            refused.append(blocks[0]["slack_file"]["id"])
            return {"ok": False, "error": "invalid_blocks"}  # as for a file deleted since
        return {"ok": True, "channel": body["channel"], "ts": "1700000000.999999"}

    mock.answer("chat.postMessage", refuse_the_first_image)
    spec: DiagramSpec = next(iter(answers.knowledge.diagrams.values()))
    uploads = DiagramUploads(InProcessMemory())
    key = DiagramKey(TEAM_ID, spec.id, answers.knowledge.version)
    for _ in range(3):
        assert show_diagram(client, uploads, key, channel="C0CHANNEL1", thread_ts=None, spec=spec)

    first_upload, second_upload = _uploaded_ids(mock)
    assert refused == [first_upload]
    refusal, reuse = _image_posts(mock)
    assert (refusal.blocks or [])[0]["slack_file"] == {"id": first_upload}
    assert (reuse.blocks or [])[0]["slack_file"] == {"id": second_upload}
    assert_valid_delivery(reuse)
    assert any("refused" in record.getMessage() for record in caplog.records)


def test_each_workspace_and_knowledge_version_gets_its_own_upload(
    client: WebClient, mock: MockSlack, answers: Answers
) -> None:
    spec: DiagramSpec = next(iter(answers.knowledge.diagrams.values()))
    uploads = DiagramUploads(InProcessMemory())
    keys = [
        DiagramKey("T0TEAM0001", spec.id, "v1"),
        DiagramKey("T0TEAM0002", spec.id, "v1"),  # another workspace
        DiagramKey("T0TEAM0001", spec.id, "v2"),  # the knowledge reloaded with a new version
        DiagramKey("T0TEAM0001", spec.id, "v1"),  # the first again: reused
    ]
    for key in keys:
        assert show_diagram(client, uploads, key, channel="C0CHANNEL1", thread_ts=None, spec=spec)
    assert len(_uploaded_ids(mock)) == 3
    [reused] = _image_posts(mock)
    assert (reused.blocks or [])[0]["slack_file"] == {"id": _uploaded_ids(mock)[0]}


@pytest.fixture
def stores() -> Iterator[list[ResilientStore]]:
    opened: list[ResilientStore] = []
    yield opened
    for store in opened:
        store.close()


def test_another_worker_reuses_the_file_through_the_store(
    mock: MockSlack, answers: Answers, tmp_path: Path, stores: list[ResilientStore]
) -> None:
    """Two processes on one database (as `serve` workers, or a restart): the second one shows
    the file the first uploaded, without uploading it again."""
    mock.reset()
    settings = harness_settings(mock, DATABASE_URL=f"sqlite:///{tmp_path / 'store.sqlite3'}")
    entry = _diagram_entry(answers)
    assert entry.diagram is not None
    for _ in range(2):
        store = open_store_for(settings)
        stores.append(store)
        worker = Harness(mock, build_app(settings, answers=answers, memory=store))
        worker.send_event(mention(entry.questions[0]))
        _settle(worker)

    [file_id] = _uploaded_ids(mock)
    [reused] = _image_posts(mock)
    assert (reused.blocks or [])[0]["slack_file"] == {"id": file_id}
    version = answers.knowledge.version
    remembered = stores[0].uploaded_file(team_id=TEAM_ID, name=entry.diagram, version=version)
    assert remembered == file_id
