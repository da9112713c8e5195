"""Requests as Slack sends them, signed with the real `SignatureVerifier` algorithm.

Each builder returns a `SignedRequest` (raw body + headers) that can go straight into
`App.dispatch` (`.to_bolt()`) or over HTTP to a running `vmdocker serve` (`.post(url)`).
"""

from __future__ import annotations

import itertools
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from tests.support.mock_api import BOT_USER_ID, TEAM_ID

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
PERSON = "U0PERSON01"
CHANNEL = "C0CHANNEL1"
API_APP_ID = "A0VMDOCKER"

_ids = itertools.count(1)

Json = dict[str, Any]


@dataclass(frozen=True)
class SignedRequest:
    """A raw request body and the headers Slack would send with it."""

    body: str
    headers: dict[str, str]

    def to_bolt(self) -> BoltRequest:
        return BoltRequest(body=self.body, headers={k: [v] for k, v in self.headers.items()})

    def post(self, url: str, timeout: float = 10.0) -> tuple[int, str]:
        """POST to a running server; returns (status, body) without raising on 4xx/5xx."""
        request = urllib.request.Request(
            url, data=self.body.encode(), headers=self.headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


@dataclass
class Signer:
    """Signs bodies with `secret`; `now` can be moved to test stale timestamps."""

    secret: str = SIGNING_SECRET
    now: float | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    def sign(self, body: str, content_type: str, **headers: str) -> SignedRequest:
        timestamp = str(int(self.now if self.now is not None else time.time()))
        signature = SignatureVerifier(self.secret).generate_signature(
            timestamp=timestamp, body=body
        )
        assert signature is not None  # None only when timestamp or body is missing
        return SignedRequest(
            body,
            {
                "content-type": content_type,
                "x-slack-request-timestamp": timestamp,
                "x-slack-signature": signature,
                **self.extra_headers,
                **headers,
            },
        )

    # --- Events API --------------------------------------------------------

    def event(
        self,
        event: Json,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        team_id: str = TEAM_ID,
        enterprise_id: str | None = None,
        org_wide: bool = False,
    ) -> SignedRequest:
        """An `event_callback` envelope from `team_id` (of `enterprise_id` on Enterprise Grid,
        to an `org_wide` install there); a retry carries X-Slack-Retry-Num and the same id."""
        authorization = {
            "enterprise_id": enterprise_id,
            "team_id": None if org_wide else team_id,
            "user_id": BOT_USER_ID,
            "is_bot": True,
            "is_enterprise_install": org_wide,
        }
        envelope = {
            "token": "legacy-verification-token",
            "team_id": team_id,
            "enterprise_id": enterprise_id,
            "api_app_id": API_APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_ids):010d}",
            "event_time": int(time.time()),
            "authorizations": [authorization],
            "is_ext_shared_channel": False,
        }
        retry = (
            {"x-slack-retry-num": str(retry_num), "x-slack-retry-reason": "http_timeout"}
            if retry_num
            else {}
        )
        return self.sign(json.dumps(envelope), "application/json", **retry)

    # --- slash commands ----------------------------------------------------

    def command(
        self,
        text: str,
        *,
        response_url: str,
        user: str = PERSON,
        channel: str = CHANNEL,
        command: str = "/vmdocker",
    ) -> SignedRequest:
        """A form-encoded slash command invocation."""
        form = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "example",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": "pat",
            "command": command,
            "text": text,
            "api_app_id": API_APP_ID,
            "response_url": response_url,
            "trigger_id": f"{next(_ids)}.trigger",
        }
        return self.sign(urlencode(form), "application/x-www-form-urlencoded")

    # --- interactivity -----------------------------------------------------

    def interaction(self, payload: Json) -> SignedRequest:
        """An interactivity request: `payload=<json>`, form-encoded."""
        return self.sign(
            urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
        )


# --- payload builders --------------------------------------------------------


def next_ts() -> str:
    return f"1710000000.{next(_ids):06d}"


def mention(text: str, *, channel: str = CHANNEL, thread_ts: str | None = None) -> Json:
    """An `app_mention` event, as posted in a channel (or inside a thread)."""
    event: Json = {
        "type": "app_mention",
        "user": PERSON,
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": next_ts(),
        "channel": channel,
        "event_ts": next_ts(),
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def direct_message(text: str, *, channel: str = "D0PERSON01", **extra: Any) -> Json:
    """A `message` event in the DM with the bot; `extra` adds subtype/bot_id/user overrides."""
    event: Json = {
        "type": "message",
        "channel_type": "im",
        "user": PERSON,
        "text": text,
        "ts": next_ts(),
        "channel": channel,
        "event_ts": next_ts(),
    }
    event.update(extra)
    return event


def thread_message(text: str, *, thread_ts: str, channel: str = CHANNEL, **extra: Any) -> Json:
    """A `message` event replying in a channel thread (`message.channels`)."""
    event: Json = {
        "type": "message",
        "channel_type": "channel",
        "user": PERSON,
        "text": text,
        "ts": next_ts(),
        "thread_ts": thread_ts,
        "channel": channel,
        "event_ts": next_ts(),
    }
    event.update(extra)
    return event


def home_opened(user: str = PERSON) -> Json:
    return {"type": "app_home_opened", "user": user, "channel": "D0PERSON01", "tab": "home"}


def button_click(
    action_id: str,
    value: str,
    *,
    response_url: str | None,
    container: Json,
    message: Json | None = None,
    channel: str | None = CHANNEL,
    user: str = PERSON,
) -> Json:
    """A `block_actions` payload for one button; `container` says where the button was."""
    payload: Json = {
        "type": "block_actions",
        "user": {"id": user, "username": "pat", "name": "pat", "team_id": TEAM_ID},
        "api_app_id": API_APP_ID,
        "token": "legacy-verification-token",
        "container": container,
        "trigger_id": f"{next(_ids)}.trigger",
        "team": {"id": TEAM_ID, "domain": "example"},
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": "b1",
                "text": {"type": "plain_text", "text": "x", "emoji": True},
                "value": value,
                "action_ts": next_ts(),
            }
        ],
    }
    if response_url:
        payload["response_url"] = response_url
    if channel:
        payload["channel"] = {"id": channel, "name": "general"}
    if message:
        payload["message"] = message
    return payload


def in_message(channel: str = CHANNEL, *, thread_ts: str | None = None) -> tuple[Json, Json]:
    """(container, message) for a button on a normal message, optionally inside a thread."""
    ts = next_ts()
    message: Json = {"type": "message", "user": BOT_USER_ID, "ts": ts, "text": "card"}
    if thread_ts:
        message["thread_ts"] = thread_ts
    container = {"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": False}
    return container, message


def in_ephemeral(channel: str = CHANNEL) -> Json:
    """The container of a button on an ephemeral message (Slack sends no `message` then)."""
    return {"type": "message", "message_ts": next_ts(), "channel_id": channel, "is_ephemeral": True}


def in_home() -> Json:
    return {"type": "view", "view_id": "V0HOME0001"}


def view_submission(
    callback_id: str, *, private_metadata: str, values: Json, user: str = PERSON
) -> Json:
    """A `view_submission` payload: a modal submitted with its inputs' `values`
    (`{block_id: {action_id: {...}}}`)."""
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "example"},
        "user": {"id": user, "username": "pat", "name": "pat", "team_id": TEAM_ID},
        "api_app_id": API_APP_ID,
        "token": "legacy-verification-token",
        "trigger_id": f"{next(_ids)}.trigger",
        "view": {
            "id": f"V{next(_ids):08d}",
            "type": "modal",
            "team_id": TEAM_ID,
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": values},
            "hash": "1.abc",
        },
    }
