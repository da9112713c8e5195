"""The test harness itself: the mock Slack Web API answers like Slack and fails on demand."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.webhook import WebhookClient

from tests.support import (
    BOT_USER_ID,
    RESPONSE_URL,
    SIGNING_SECRET,
    Failure,
    MockSlack,
    Signer,
    block_problems,
    message_problems,
)
from tests.support.mock_api import UPLOAD


def test_answers_auth_test_and_records_the_token(client: WebClient, mock: MockSlack) -> None:
    assert client.auth_test()["user_id"] == BOT_USER_ID
    [call] = mock.calls_to("auth.test")
    assert call.headers["authorization"] == "Bearer xoxb-test"


def test_records_message_bodies_with_parsed_blocks(client: WebClient, mock: MockSlack) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    posted = client.chat_postMessage(channel="C1", thread_ts="1.2", text="hi", blocks=blocks)
    assert posted["channel"] == "C1"
    [call] = mock.calls_to("chat.postMessage")
    assert call.body["thread_ts"] == "1.2"
    assert call.blocks == blocks


def test_rate_limit_is_a_429_with_retry_after(client: WebClient, mock: MockSlack) -> None:
    mock.fail("chat.postMessage", Failure.RATE_LIMITED, retry_after=0)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="hi")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "0"
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    mock.fail("chat.postMessage", Failure.RATE_LIMITED, retry_after=0)
    assert client.chat_postMessage(channel="C1", text="again")["ok"]
    assert [c.answered for c in mock.calls_to("chat.postMessage")] == [429, 429, 200]


def test_invalid_blocks_and_server_errors(client: WebClient, mock: MockSlack) -> None:
    mock.fail("chat.postEphemeral", Failure.INVALID_BLOCKS)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postEphemeral(channel="C1", user="U1", text="hi")
    assert raised.value.response["error"] == "invalid_blocks"
    mock.fail("views.publish", Failure.SERVER_ERROR)
    with pytest.raises(SlackApiError):
        client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert client.chat_postEphemeral(channel="C1", user="U1", text="hi")["ok"]


def test_unknown_methods_fail_like_slack(client: WebClient, mock: MockSlack) -> None:
    with pytest.raises(SlackApiError) as raised:
        client.api_call("no.such.method")
    assert raised.value.response["error"] == "unknown_method"


def test_file_upload_v2_goes_through_the_mock(client: WebClient, mock: MockSlack) -> None:
    result = client.files_upload_v2(
        content=b"\x89PNG fake", filename="d.png", channel="C1", thread_ts="1.2", alt_txt="a"
    )
    assert result["ok"]
    methods = [call.method for call in mock.calls]
    assert methods[:3] == ["files.getUploadURLExternal", UPLOAD, "files.completeUploadExternal"]
    complete = mock.calls_to("files.completeUploadExternal")[0]
    assert complete.body["channel_id"] == "C1"
    assert complete.body["thread_ts"] == "1.2"


def test_response_urls_are_served(mock: MockSlack) -> None:
    mock.reset()
    response = WebhookClient(mock.response_url("abc")).send(text="hi", response_type="ephemeral")
    assert response.status_code == 200
    [call] = mock.calls_to(RESPONSE_URL)
    assert call.path == "/response/abc"
    assert call.body["response_type"] == "ephemeral"


def test_signer_makes_signatures_slack_sdk_accepts() -> None:
    request = Signer().command("help", response_url="http://127.0.0.1/response/x")
    assert SignatureVerifier(SIGNING_SECRET).is_valid_request(request.body, request.headers)
    forged = Signer(secret="wrong").command("help", response_url="http://127.0.0.1/response/x")
    assert not SignatureVerifier(SIGNING_SECRET).is_valid_request(forged.body, forged.headers)


def test_block_problems_catch_models_and_limits() -> None:
    good = [{"type": "header", "text": {"type": "plain_text", "text": "Title"}}]
    assert block_problems(good) == []
    long_header = [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]
    assert block_problems(long_header)
    button = {"type": "button", "text": {"type": "plain_text", "text": "y" * 76}, "action_id": "a"}
    assert block_problems([{"type": "actions", "elements": [button]}])
    assert block_problems([{"type": "section", "text": {"type": "mrkdwn", "text": "z" * 3001}}])
    assert block_problems(good * 51)
    assert block_problems([{"type": "no_such_block"}])


def _table(rows: int = 2, cells: int = 3) -> dict[str, object]:
    cell = {"type": "raw_text", "text": "x"}
    return {"type": "table", "rows": [[cell] * cells for _ in range(rows)]}


def test_message_problems_want_one_table_in_the_attachments() -> None:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}
    assert message_problems([section], [{"blocks": [_table()]}]) == []
    assert message_problems([section, _table()])  # a table in `blocks`
    assert message_problems([section], [{"blocks": [_table(), _table()]}])  # two tables
    assert message_problems([section], [{"blocks": [_table()]}, {"blocks": [_table()]}])
    assert message_problems([section], [{"blocks": [_table(rows=101)]}])  # > 100 rows
    assert message_problems([section], [{"blocks": [_table(cells=21)]}])  # > 20 cells a row
    assert message_problems([section], [{"blocks": [{"type": "table", "rows": []}]}])
    assert message_problems([section], [{"blocks": [{"type": "no_such_block"}]}])
    assert message_problems([section], ["not an attachment"])
    assert message_problems([section], [{"blocks": [_table()], "title": "legacy field"}])


def test_the_mock_refuses_misplaced_tables_like_slack(client: WebClient, mock: MockSlack) -> None:
    text = "a table"
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text=text, blocks=[_table()])
    assert raised.value.response["error"] == "invalid_blocks"
    with pytest.raises(SlackApiError) as raised:
        client.chat_update(
            channel="C1", ts="1.2", text=text, attachments=[{"blocks": [_table()] * 2}]
        )
    assert raised.value.response["error"] == "invalid_attachments"
    posted = client.chat_postMessage(channel="C1", text=text, attachments=[{"blocks": [_table()]}])
    assert posted["ok"]
    [*_, call] = mock.calls_to("chat.postMessage")
    assert call.attachments == [{"blocks": [_table()]}]
