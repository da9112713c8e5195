"""Every way the app sends a message carries its table in `attachments`, one per message: posts,
ephemeral posts, updates and response_urls, against the mock Slack Web API."""

from __future__ import annotations

import pytest
from slack_bolt import Respond
from slack_sdk import WebClient

from bot.core.answers import Answers
from bot.render.blocks import BlockMessage
from bot.render.screens import comparison_message, usage_message
from bot.slack.delivery import (
    post_ephemeral,
    post_message,
    post_to_user,
    respond_with,
    update_message,
)
from tests.support import RESPONSE_URL, Call, MockSlack, assert_valid_delivery


@pytest.fixture
def with_table(answers: Answers) -> BlockMessage:
    message = comparison_message(answers.knowledge)
    assert [block["type"] for a in message.attachments for block in a["blocks"]] == ["table"]
    return message


def _assert_table_in_attachments(call: Call, message: BlockMessage) -> None:
    assert call.answered == 200
    assert call.blocks == message.blocks
    assert call.attachments == message.attachments
    assert not any(block["type"] == "table" for block in call.blocks or [])
    assert_valid_delivery(call)


def test_every_send_passes_the_table_in_the_attachments(
    client: WebClient, mock: MockSlack, with_table: BlockMessage
) -> None:
    post_message(client, "C0CHANNEL1", with_table, thread_ts="1700000000.000100")
    post_ephemeral(client, "C0CHANNEL1", "U0PERSON01", with_table)
    update_message(client, "C0CHANNEL1", "1700000000.000200", with_table)
    post_to_user(client, "U0PERSON01", with_table)
    respond_with(Respond(response_url=mock.response_url("eph")), with_table)
    sent = mock.sent()
    assert [call.method for call in sent] == [
        "chat.postMessage",
        "chat.postEphemeral",
        "chat.update",
        "chat.postMessage",
        RESPONSE_URL,
    ]
    for call in sent:
        _assert_table_in_attachments(call, with_table)
    assert sent[0].body["thread_ts"] == "1700000000.000100"
    assert sent[3].body["channel"] == "D0PERSON01"
    assert sent[4].body["response_type"] == "ephemeral"


def test_a_message_without_a_table_sends_no_attachments_but_an_update_clears_them(
    client: WebClient, mock: MockSlack
) -> None:
    message = usage_message()
    post_message(client, "C0CHANNEL1", message)
    respond_with(Respond(response_url=mock.response_url("eph")), message)
    update_message(client, "C0CHANNEL1", "1700000000.000200", message)
    post, response, update = mock.sent()
    assert "attachments" not in post.body and "attachments" not in response.body
    assert update.body["attachments"] == []  # chat.update would keep an old table otherwise
    for call in (post, response, update):
        assert_valid_delivery(call)
