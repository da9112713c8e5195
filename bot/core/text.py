"""The one question cleaner: what a person typed in Slack, as the bot reads it and shows it back.

Every surface (mentions, DMs, the slash command, the CLI) passes its text through
`clean_question` once; everything after it (matching, replies, the store) sees the same text,
never longer than `MAX_QUESTION_CHARS`.
"""

from __future__ import annotations

import html
import re

# Slack messages can be 40,000 characters. Real questions come wrapped in context, a few
# sentences at most; past this the rest is story, not question.
MAX_QUESTION_CHARS = 1000
ELLIPSIS = "…"

_SLACK_USER = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>[:,]?")
_SLACK_CHANNEL = re.compile(r"<#[A-Z0-9]+\|([^<>]+)>")  # <#C1|general>, shown as #general
_SLACK_LABELLED = re.compile(r"<[#!]?[^|<>]*\|([^<>]*)>")  # <http://x|label>, <#C1|>
_SLACK_BARE = re.compile(r"<[^<>]*>")  # <http://x>, <!channel>, <#C1>
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_slack_markup(text: str) -> str:
    """Remove mentions, links, broadcasts; keep the labels people read (a channel as Slack
    shows it, `#general`); decode `&amp;`."""
    text = _SLACK_USER.sub(" ", text)
    text = _SLACK_CHANNEL.sub(r" #\1 ", text)
    text = _SLACK_LABELLED.sub(r" \1 ", text)
    text = _SLACK_BARE.sub(" ", text)
    return html.unescape(text)


def clean_question(text: str) -> str:
    """The question as a person would read it back: no Slack markup or control characters,
    single spaces, at most `MAX_QUESTION_CHARS` (cut at a word, with an ellipsis)."""
    text = strip_slack_markup(text[: MAX_QUESTION_CHARS * 4])
    text = " ".join(_CONTROL.sub(" ", text).split())
    if not text.isprintable():  # rarely: the check runs in C, the filter char by char
        text = "".join(char for char in text if char.isprintable())
    if len(text) > MAX_QUESTION_CHARS:
        text = text[: MAX_QUESTION_CHARS - 1].rsplit(" ", 1)[0] + ELLIPSIS
    return text
