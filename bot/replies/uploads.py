"""Upload a diagram's PNG into a Slack conversation, with a title and alt text.

`files_upload_v2` makes three requests: `files.getUploadURLExternal`, a POST of the bytes to the
URL it returns, then `files.completeUploadExternal`, which shares the file into the channel (and
thread). That file share is what shows the picture: answer cards never also name the file in an
`image` block, which would show it twice and can be refused for a file this fresh.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from bot.models import DiagramSpec
from bot.replies.blocks import MAX_ALT_TEXT, clip
from bot.replies.images import render_diagram_png

log = logging.getLogger(__name__)


class UploadError(RuntimeError):
    """Slack accepted the upload but its answer named no file."""


def upload_diagram(
    client: WebClient, *, channel: str, thread_ts: str | None, spec: DiagramSpec
) -> str:
    """Upload `spec` drawn as PNG into `channel` (in the thread `thread_ts`); return the file id.

    Raises `slack_sdk.errors.SlackApiError` when Slack refuses a step, `UploadError` when its
    answer has no file id.
    """
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
