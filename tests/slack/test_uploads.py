"""Diagram uploads through files_upload_v2, against the mock Slack Web API on loopback."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.answers import Answers
from bot.core.models import DiagramSpec
from bot.render.images import render_diagram_png
from bot.slack.delivery import UploadError, upload_diagram
from tests.support import Failure, MockSlack
from tests.support.mock_api import UPLOAD


@pytest.fixture
def spec(answers: Answers) -> DiagramSpec:
    return answers.knowledge.diagrams["container-vs-vm"]


def test_upload_goes_through_all_three_steps_into_the_thread(
    client: WebClient, mock: MockSlack, spec: DiagramSpec
) -> None:
    file_id = upload_diagram(client, channel="C0CHANNEL1", thread_ts="1700000000.000100", spec=spec)
    png = render_diagram_png(spec)

    assert [call.method for call in mock.calls] == [
        "files.getUploadURLExternal",
        UPLOAD,
        "files.completeUploadExternal",
    ]
    ask, upload, complete = mock.calls
    assert ask.body["filename"] == "container-vs-vm.png"
    assert int(ask.body["length"]) == len(png)
    assert ask.body["alt_txt"] == spec.alt
    assert upload.body["_bytes"] == len(png)
    assert complete.body["channel_id"] == "C0CHANNEL1"
    assert complete.body["thread_ts"] == "1700000000.000100"
    assert complete.body["files"] == [{"id": file_id, "title": spec.title}]
    assert upload.path == f"/upload/{file_id}"  # the id files.getUploadURLExternal handed out


def test_outside_a_thread_the_file_is_shared_in_the_conversation_itself(
    client: WebClient, mock: MockSlack, spec: DiagramSpec
) -> None:
    file_id = upload_diagram(client, channel="D0DM000001", thread_ts=None, spec=spec)
    [complete] = mock.calls_to("files.completeUploadExternal")
    assert "thread_ts" not in complete.body
    assert complete.body["channel_id"] == "D0DM000001"
    assert complete.body["files"] == [{"id": file_id, "title": spec.title}]


def test_a_refused_step_raises_slacks_error(
    client: WebClient, mock: MockSlack, spec: DiagramSpec
) -> None:
    mock.fail("files.completeUploadExternal", Failure.INVALID_BLOCKS)
    with pytest.raises(SlackApiError):
        upload_diagram(client, channel="C0CHANNEL1", thread_ts=None, spec=spec)


def test_an_answer_without_a_file_raises_upload_error(
    client: WebClient, mock: MockSlack, spec: DiagramSpec
) -> None:
    mock.answer("files.completeUploadExternal", lambda body: {"ok": True, "files": []})
    with pytest.raises(UploadError, match="container-vs-vm"):
        upload_diagram(client, channel="C0CHANNEL1", thread_ts=None, spec=spec)
