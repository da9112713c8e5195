"""Block Kit primitives with Slack's limits and escaping: every builder in `bot.render` uses
these, so no message can exceed a limit or ping `<!channel>` whatever the knowledge or a user
says. Also `BlockMessage`, the message as it travels to `bot.slack`."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Block = dict[str, Any]

# Slack's documented limits (Block Kit reference), in characters unless said otherwise.
MAX_BLOCKS = 50  # per message
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_CONTEXT_TEXT = 2000
MAX_ALT_TEXT = 2000
MAX_MESSAGE_MARKDOWN = 12_000  # all mrkdwn text of one message together
MAX_TABLE_ROWS = 100  # header row included
MAX_TABLE_CELL = 500  # our own cap: keeps a table readable and far below Slack's 10,000 total
MAX_RELATED_BUTTONS = 4
MAX_HOME_ROWS = 10  # comparison rows drawn as fields on the Home tab...
MAX_HOME_CELL = 200  # ...and their length, so the answer keeps most of the markdown allowance
MIN_ANSWER_TEXT = 2000
MAX_QUOTED_QUESTION = 200
MAX_FALLBACK_TEXT = 3000

ELLIPSIS = "…"
_SPECIAL_MENTION = re.compile(r"<!([a-z]+)[^>]*>", re.IGNORECASE)


def escape(text: str) -> str:
    """Escape user text for mrkdwn so it cannot ping (`<!channel>`) or inject links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at a word boundary, with an ellipsis if cut."""
    if len(text) <= limit:
        return text
    head = text[: limit - len(ELLIPSIS)]
    cut = head.rsplit(None, 1)[0] if " " in head.strip() else head
    return cut.rstrip(" ,;:.-") + ELLIPSIS


def clip_escaped(text: str, limit: int) -> str:
    """Escape then clip, never leaving half an entity (`&am…`) at the cut."""
    escaped = escape(text)
    while len(escaped) > limit:
        text = clip(text, max(1, len(text) - (len(escaped) - limit)))
        escaped = escape(text)
    return escaped


# --- Block Kit primitives, clipped to Slack's limits (every builder uses these) ------


def plain_text(text: str, limit: int) -> Block:
    return {"type": "plain_text", "text": clip_escaped(text, limit) or "—", "emoji": True}


def button(
    text: str, action_id: str, value: str, style: Literal["primary", "danger"] | None = None
) -> Block:
    element: Block = {
        "type": "button",
        "text": plain_text(text, MAX_BUTTON_TEXT),
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def header(text: str) -> Block:
    return {"type": "header", "text": plain_text(text, MAX_HEADER_TEXT)}


def section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(mrkdwn, MAX_SECTION_TEXT)}}


def context(mrkdwn: str) -> Block:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": clip(mrkdwn, MAX_SECTION_TEXT)}],
    }


def defuse(text: str) -> str:
    """Text shown raw (table cells) with `<!channel>`-style mentions turned into plain words."""
    return _SPECIAL_MENTION.sub(r"@\1", text)


def mrkdwn_length(blocks: list[Block]) -> int:
    """Characters of mrkdwn text in `blocks` (Slack allows 12,000 in one message)."""
    total = 0
    for block in blocks:
        texts = [block.get("text"), *block.get("fields", []), *block.get("elements", [])]
        total += sum(
            len(text["text"])
            for text in texts
            if isinstance(text, dict) and text.get("type") == "mrkdwn"
        )
    return total


class BlockMessage(BaseModel):
    """A Slack message ready to send: Block Kit blocks, the plain-text fallback, and the
    `attachments` that carry its table (Slack takes a message's table there, not in `blocks`)."""

    model_config = ConfigDict(frozen=True)

    text: str = Field(min_length=1, max_length=3000)
    blocks: list[dict[str, Any]] = Field(min_length=1, max_length=50)
    attachments: list[dict[str, Any]] = Field(default_factory=list)
