"""Sending to Slack: a `BlockMessage` to a thread, a DM or a `response_url`, and a diagram's PNG.

Every send passes the message's `attachments` with its `blocks`: that is where a message's
table travels (see `bot.render.answers.render_attachments`).

`files_upload_v2` makes three requests: `files.getUploadURLExternal`, a POST of the bytes to the
URL it returns, then `files.completeUploadExternal`, which shares the file into the channel (and
thread). That file share is what shows the picture the first time: answer cards never also name
the file in an `image` block, which would show it twice and can be refused for a file this fresh.
Later answers with the same diagram in the same workspace show that file again in an `image`
block (`slack_file`), one call instead of three, and upload anew only if Slack refuses it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal, NamedTuple

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.core.models import DiagramSpec
from bot.render.blocks import MAX_ALT_TEXT, BlockMessage, clip
from bot.render.screens import diagram_file_message
from bot.slack.webclient import KeepAliveWebhookClient
from bot.store.memory import Memory

log = logging.getLogger(__name__)


def describe_api_error(error: SlackApiError) -> str:
    """`<method> failed: <Slack's error code> (HTTP <status>)`: how every Slack API error is
    logged, in one line."""
    method = error.response.api_url.rsplit("/", 1)[-1]
    data = error.response.data
    code = data.get("error") if isinstance(data, dict) else None
    return f"{method} failed: {code or 'no error code'} (HTTP {error.response.status_code})"


def message_payload(message: BlockMessage) -> dict[str, Any]:
    """`text`, `blocks` and, when there are any, `attachments`: what every send method takes."""
    payload: dict[str, Any] = {"text": message.text, "blocks": message.blocks}
    if message.attachments:
        payload["attachments"] = message.attachments
    return payload


def replied_since(
    client: WebClient, channel: str, thread_ts: str | None, since_ts: str, bot_user_id: str
) -> bool:
    """True when the bot posted in this thread (or, without one, in the channel) after
    `since_ts`. False when it did not, or Slack cannot say (no history scope, an error)."""
    try:
        if thread_ts:
            found = client.conversations_replies(channel=channel, ts=thread_ts, oldest=since_ts)
        else:
            found = client.conversations_history(channel=channel, oldest=since_ts)
    except SlackApiError as error:
        log.warning("could not look for an earlier reply: Slack API %s", describe_api_error(error))
        return False
    return any(
        message.get("user") == bot_user_id and float(message.get("ts", 0)) > float(since_ts)
        for message in found.get("messages") or []
    )


def post_message(
    client: WebClient, channel: str, message: BlockMessage, thread_ts: str | None = None
) -> None:
    """Post in a channel or DM, inside `thread_ts` when given. If Slack refuses the blocks
    (`invalid_blocks`), the answer still goes out as its plain-text fallback."""
    try:
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, **message_payload(message))
    except SlackApiError as error:
        if error.response.get("error") != "invalid_blocks":
            raise
        log.error("Slack API %s; sending the plain text instead", describe_api_error(error))
        client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=message.text)


def post_ephemeral(client: WebClient, channel: str, user: str, message: BlockMessage) -> None:
    """Post in `channel` so that only `user` sees it."""
    client.chat_postEphemeral(channel=channel, user=user, **message_payload(message))


def update_message(client: WebClient, channel: str, ts: str, message: BlockMessage) -> None:
    """Replace the message at `ts` with `message`. `attachments` is always sent, empty or not:
    chat.update keeps the old message's attachments (a table) unless given new ones."""
    client.chat_update(
        channel=channel,
        ts=ts,
        text=message.text,
        blocks=message.blocks,
        attachments=message.attachments,
    )


def post_to_user(client: WebClient, user_id: str, message: BlockMessage) -> None:
    """Post in the bot's DM with `user_id` (for clicks on the Home tab, which has no channel)."""
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    post_message(client, channel, message)


class UploadError(RuntimeError):
    """Slack accepted the upload but its answer named no file."""


def upload_diagram(
    client: WebClient, *, channel: str, thread_ts: str | None, spec: DiagramSpec
) -> str:
    """Upload `spec` drawn as PNG into `channel` (in the thread `thread_ts`); return the file id.

    Raises `slack_sdk.errors.SlackApiError` when Slack refuses a step, `UploadError` when its
    answer has no file id.
    """
    from bot.render.images import render_diagram_png  # Pillow: on the first upload, not at start

    response = client.files_upload_v2(
        channel=channel,
        thread_ts=thread_ts,
        file=render_diagram_png(spec),
        filename=f"{spec.id}.png",
        title=spec.title,
        alt_txt=clip(spec.alt, MAX_ALT_TEXT),
    )
    file = response.get("file")
    file_id = file.get("id") if isinstance(file, dict) else None
    if not isinstance(file_id, str) or not file_id:
        raise UploadError(f"files_upload_v2 for diagram {spec.id!r} returned no file id")
    log.info("uploaded diagram %s as %s to %s", spec.id, file_id, channel)
    return file_id


def upload_diagram_or_none(
    client: WebClient, channel: str, thread_ts: str | None, spec: DiagramSpec
) -> str | None:
    """Upload the diagram's PNG into the conversation; its file id, or None on failure (logged)."""
    try:
        return upload_diagram(client, channel=channel, thread_ts=thread_ts, spec=spec)
    except SlackApiError as error:
        log.error("diagram upload failed: %s", describe_api_error(error))
    except UploadError as error:
        log.error("diagram upload failed: %s", error)
    return None


class DiagramKey(NamedTuple):
    """One uploaded diagram: the workspace, the diagram, and the knowledge version that drew it
    (a reload may change the picture)."""

    team_id: str
    diagram_id: str
    version: str


class DiagramUploads:
    """The file ids of diagrams already uploaded: kept in this process, and in the store so
    that other workers and later starts reuse them too."""

    def __init__(self, memory: Memory) -> None:
        self._memory = memory
        self._ids: dict[DiagramKey, str] = {}
        self._locks: dict[DiagramKey, threading.Lock] = {}
        self._guard = threading.Lock()

    def file_id(self, key: DiagramKey) -> str | None:
        """The file uploaded for `key`, by this process or, per the store, another one."""
        known = self._ids.get(key)
        if known is None:
            known = self._memory.uploaded_file(
                team_id=key.team_id, name=key.diagram_id, version=key.version
            )
            if known is not None:
                self._ids[key] = known
        return known

    def remember(self, key: DiagramKey, file_id: str) -> None:
        self._ids[key] = file_id
        self._memory.remember_uploaded_file(
            team_id=key.team_id, name=key.diagram_id, version=key.version, file_id=file_id
        )

    @contextmanager
    def uploading(self, key: DiagramKey) -> Iterator[None]:
        """One upload of `key` at a time in this process: answers that arrive together with the
        same diagram wait for the first upload and reuse it, rather than each uploading."""
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            yield


def post_diagram_file(
    client: WebClient, channel: str, thread_ts: str | None, spec: DiagramSpec, file_id: str
) -> bool:
    """Show the uploaded file `file_id` in an image block; False when Slack refuses it (a file
    deleted since, or one too fresh to show yet), logged."""
    try:
        client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            **message_payload(diagram_file_message(spec, file_id)),
        )
    except SlackApiError as error:
        log.warning(
            "diagram %s: file %s refused (%s); uploading it again",
            spec.id,
            file_id,
            describe_api_error(error),
        )
        return False
    return True


def show_diagram(
    client: WebClient,
    uploads: DiagramUploads,
    key: DiagramKey,
    *,
    channel: str,
    thread_ts: str | None,
    spec: DiagramSpec,
) -> bool:
    """The diagram's PNG in the conversation (in `thread_ts` when given): the file uploaded
    before for `key` when Slack still shows it, else uploaded now and remembered. False when
    the upload failed too (logged)."""
    refused: set[str] = set()

    def reuse() -> bool:
        file_id = uploads.file_id(key)
        if file_id is None or file_id in refused:
            return False
        if post_diagram_file(client, channel, thread_ts, spec, file_id):
            return True
        refused.add(file_id)
        return False

    if reuse():
        return True
    with uploads.uploading(key):
        if reuse():  # uploaded by another answer while this one waited
            return True
        file_id = upload_diagram_or_none(client, channel, thread_ts, spec)
        if file_id is None:
            return False
        uploads.remember(key, file_id)
        return True


def respond_with(
    respond: Respond,
    message: BlockMessage,
    *,
    response_type: Literal["ephemeral", "in_channel"] = "ephemeral",
) -> None:
    """Answer through the request's `response_url`, as Bolt's `respond` would (ValueError
    without one), over a connection kept open; a failure is logged."""
    if respond.response_url is None:
        raise ValueError("respond is unsupported here as there is no response_url")
    body = {"response_type": response_type, "replace_original": False, **message_payload(message)}
    if not body["blocks"]:
        del body["blocks"]  # as Bolt leaves them out
    webhook = KeepAliveWebhookClient(url=respond.response_url, proxy=respond.proxy, ssl=respond.ssl)
    response = webhook.send_dict(body)
    if response.status_code != 200:
        log.error("response_url failed: HTTP %s %s", response.status_code, response.body[:200])
