"""Text people typed in Slack, made safe to match on: mention removed, control characters gone."""

from __future__ import annotations

import re

MAX_INPUT_CHARS = 4000  # Slack messages can be 40,000 characters; nobody asks a question that long

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>[\s:,]*")


def question_text(text: str, bot_user_id: str | None = None) -> str:
    """The question in a message: the bot's mention stripped, control characters removed, clipped.

    Only the bot's own mention is removed (`<@U123> how...`), wherever it is; other markup stays
    for the matcher to read and for the renderers to escape.
    """
    text = text[: MAX_INPUT_CHARS * 2]
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>[:,]?", " ", text)
    else:
        text = _LEADING_MENTION.sub("", text)
    text = _CONTROL.sub(" ", text)
    return " ".join(text.split())[:MAX_INPUT_CHARS]
