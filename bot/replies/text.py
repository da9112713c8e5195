"""Plain-text rendering of a `Reply`: for the CLI, `--json` output and Slack's `text` fallback."""

from __future__ import annotations

import re

from bot.models import Band, Reply
from bot.replies.diagrams import render_diagram_text

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


def plain(markdown: str) -> str:
    """Strip the light Markdown entries use (bold, italics, links) for plain-text readers."""
    text = _LINK.sub(r"\1 (\2)", markdown)
    text = _BOLD.sub(r"\1", text)
    return _ITALIC.sub(r"\1", text)


def _paragraphs(text: str) -> str:
    """Re-flow hard-wrapped Markdown lines into one line per paragraph."""
    blocks = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(
        block
        if block.lstrip().startswith(("-", "*", "•", "```", "1."))
        else " ".join(block.split())
        for block in blocks
    )


def render_text(reply: Reply) -> str:
    """The whole reply as plain text: answer, comparison, diagram and where to go next."""
    parts: list[str] = []
    if reply.title:
        parts.append(reply.title)
    parts.append(_paragraphs(plain(reply.answer)))
    if reply.band is Band.SUGGEST:
        parts.append("\n".join(f"• {link.title}" for link in reply.suggestions))
    if reply.comparison:
        rows = [
            f"{row.aspect}\n  VM:        {row.vm}\n  Container: {row.container}"
            for row in reply.comparison
        ]
        parts.append("VM vs container\n" + "\n".join(rows))
    if reply.diagram:
        parts.append(render_diagram_text(reply.diagram))
    if reply.related:
        parts.append("Related: " + ", ".join(link.title for link in reply.related))
    return "\n\n".join(parts)
