"""Block Kit rendering of a `Reply`: pure functions from data to Slack JSON, no Slack client.

Action ids carry their target after a colon (`open_topic:image-size`) so that several buttons
in one actions block stay unique; listeners match them by prefix.
"""

from __future__ import annotations

from typing import Any

from bot.models import Band, Reply
from bot.replies.diagrams import render_diagram_text
from bot.replies.text import render_text

OPEN_TOPIC = "open_topic"
SHARE = "share_in_channel"
FEEDBACK_UP = "feedback_up"
FEEDBACK_DOWN = "feedback_down"

Block = dict[str, Any]


def escape(text: str) -> str:
    """Escape user text for mrkdwn so it cannot ping (`<!channel>`) or inject links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text[:75], "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        button["style"] = style
    return button


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _mrkdwn(markdown: str) -> str:
    """Entries use light Markdown; Slack's mrkdwn writes bold with single asterisks."""
    return markdown.replace("**", "*")


def render_blocks(reply: Reply, *, ephemeral: bool = False) -> list[Block]:
    """The reply as Block Kit blocks; `ephemeral` adds a "Share in channel" button."""
    blocks: list[Block] = []
    if reply.title:
        blocks.append({"type": "header", "text": {"type": "plain_text", "text": reply.title[:150]}})
    blocks.append(_section(_mrkdwn(" ".join(reply.answer.split()))))
    if reply.band is Band.SUGGEST:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    _button(link.title, f"{OPEN_TOPIC}:{link.id}", link.id)
                    for link in reply.suggestions
                ],
            }
        )
    if reply.comparison:
        lines = [
            f"*{escape(row.aspect)}*\nVM: {escape(row.vm)}\nContainer: {escape(row.container)}"
            for row in reply.comparison
        ]
        blocks.append(_section("\n".join(lines)))
    if reply.diagram:
        blocks.append(_section(f"```{render_diagram_text(reply.diagram)}```"))
    if reply.why:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(reply.why)}]}
        )
    if reply.entry_id:
        buttons = [
            _button(link.title, f"{OPEN_TOPIC}:{link.id}", link.id) for link in reply.related[:4]
        ]
        if ephemeral:
            buttons.append(_button("Share in channel", SHARE, reply.entry_id, "primary"))
        buttons.append(_button("👍", FEEDBACK_UP, reply.entry_id))
        buttons.append(_button("👎", FEEDBACK_DOWN, reply.entry_id))
        blocks.append({"type": "actions", "elements": buttons})
    return blocks


def render_fallback(reply: Reply) -> str:
    """The message's `text`: shown in notifications and read by screen readers."""
    return escape(render_text(reply))[:3000]
