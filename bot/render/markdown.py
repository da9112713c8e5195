"""Entries' light Markdown (bold, italics, links, lists, headings) read two ways from one set of
patterns: as Slack mrkdwn for Block Kit, and as plain text for the CLI and Slack's fallback."""

from __future__ import annotations

import re

from bot.render.blocks import escape

LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
BOLD = re.compile(r"\*\*(.+?)\*\*")
ITALIC = re.compile(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])")
HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)
LIST_ITEM = re.compile(r"^([-*•]|\d+[.)])\s")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def _flow(block: str) -> str:
    """One paragraph on one line; a list keeps one line per item, continuations joined."""
    lines: list[str] = []
    for line in block.splitlines():
        stripped = line.strip()
        if not lines or LIST_ITEM.match(stripped):
            lines.append(stripped)
        else:
            lines[-1] = f"{lines[-1]} {stripped}"
    return "\n".join(" ".join(line.split()) for line in lines)


def _reflow(markdown: str) -> str:
    """Hard-wrapped Markdown as one line per paragraph (and per list item)."""
    return "\n\n".join(_flow(block) for block in _PARAGRAPH_BREAK.split(markdown.strip()))


def to_mrkdwn(markdown: str) -> str:
    """As Slack mrkdwn, escaped: `**b**` -> `*b*`, `*i*` -> `_i_`, links as `<url|label>`."""
    text = escape(_reflow(markdown))
    text = LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", text)
    text = HEADING.sub(r"**\1**", text)
    text = BOLD.sub("\x00\\1\x00", text)
    text = ITALIC.sub(r"_\1_", text)
    return text.replace("\x00", "*")


def to_plain(markdown: str) -> str:
    """As plain text: no emphasis marks, links as `label (url)`, one line per paragraph."""
    text = LINK.sub(r"\1 (\2)", _reflow(markdown))
    text = HEADING.sub(r"\1", text)
    text = BOLD.sub(r"\1", text)
    return ITALIC.sub(r"\1", text)
