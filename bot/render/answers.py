"""A `Reply` as a Slack message: answer card, comparison table, diagram, buttons. Pure
functions from data to Block Kit, within Slack's limits, everything escaped (`bot.render.blocks`).
"""

from __future__ import annotations

from typing import Literal

from bot.core.models import Band, ComparisonRow, DiagramSpec, Reply, TopicLink
from bot.render.actions import ASK_EXPERTS, FEEDBACK, OPEN_TOPIC, SHARE, SHOW_DIAGRAM_IMAGE
from bot.render.blocks import (
    ELLIPSIS,
    MAX_BLOCKS,
    MAX_BUTTON_TEXT,
    MAX_BUTTON_VALUE,
    MAX_FALLBACK_TEXT,
    MAX_HOME_CELL,
    MAX_HOME_ROWS,
    MAX_MESSAGE_MARKDOWN,
    MAX_QUOTED_QUESTION,
    MAX_RELATED_BUTTONS,
    MAX_SECTION_TEXT,
    MAX_TABLE_CELL,
    MAX_TABLE_ROWS,
    MIN_ANSWER_TEXT,
    Block,
    BlockMessage,
    button,
    clip,
    clip_escaped,
    context,
    defuse,
    escape,
    header,
    mrkdwn_length,
    plain_text,
    section,
)
from bot.render.diagrams import render_diagram_text
from bot.render.markdown import to_mrkdwn
from bot.render.text import render_text

Surface = Literal["thread", "dm", "ephemeral", "home"]

# --- the answer -------------------------------------------------------------


def split_text(text: str, limit: int) -> list[str]:
    """`text` in chunks of at most `limit`, cut between paragraphs, else between words.

    A chunk that ends inside a paragraph ends with an ellipsis and the next one starts with one,
    so a reader sees where the text was split.
    """
    chunks: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        candidate = f"{current}\n\n{paragraph}" if current else paragraph
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        current = paragraph
        while len(current) > limit:
            head = current[: limit - len(ELLIPSIS)]
            cut = head.rfind(" ")
            if cut <= 0:
                cut = len(head)
            chunks.append(current[:cut].rstrip() + ELLIPSIS)
            current = ELLIPSIS + current[cut:].lstrip()
    if current:
        chunks.append(current)
    return chunks


def render_answer(markdown: str, *, budget: int = MAX_MESSAGE_MARKDOWN) -> list[Block]:
    """The answer as one or more sections; beyond `budget` characters it is cut, with "…"."""
    text = to_mrkdwn(markdown)
    if len(text) > budget:
        text = clip(text, budget)
    return [section(chunk) for chunk in split_text(text, MAX_SECTION_TEXT)]


# --- the comparison ---------------------------------------------------------


def _cell(text: str, *, bold: bool = False) -> Block:
    """A table cell as rich text: Slack's docs also allow `raw_text`, but reports from the
    field say messages only accept rich text cells, and rich text is valid everywhere."""
    element: Block = {"type": "text", "text": defuse(clip(text, MAX_TABLE_CELL)) or "—"}
    if bold:
        element["style"] = {"bold": True}
    return {
        "type": "rich_text",
        "elements": [{"type": "rich_text_section", "elements": [element]}],
    }


def render_comparison_table(rows: list[ComparisonRow]) -> Block:
    """The comparison as a Slack `table` block: aspect, VM and container columns.

    A message may hold one table only; rows past Slack's 100 (header included) are dropped.
    """
    body = [
        [_cell(row.aspect, bold=True), _cell(row.vm), _cell(row.container)]
        for row in rows[: MAX_TABLE_ROWS - 1]
    ]
    return {
        "type": "table",
        "column_settings": [{"is_wrapped": True}, {"is_wrapped": True}, {"is_wrapped": True}],
        "rows": [
            [_cell(name, bold=True) for name in ("Aspect", "Virtual machine", "Container")],
            *body,
        ],
    }


def render_comparison_fields(rows: list[ComparisonRow]) -> list[Block]:
    """The comparison as sections of fields, for surfaces without tables (the Home tab)."""
    blocks = []
    for row in rows[:MAX_HOME_ROWS]:
        aspect = clip_escaped(row.aspect, MAX_HOME_CELL // 2)
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{aspect}*"},
                "fields": [
                    {"type": "mrkdwn", "text": "*VM:* " + clip_escaped(row.vm, MAX_HOME_CELL)},
                    {
                        "type": "mrkdwn",
                        "text": "*Container:* " + clip_escaped(row.container, MAX_HOME_CELL),
                    },
                ],
            }
        )
    return blocks


# --- the diagram ------------------------------------------------------------


def render_diagram_text_block(spec: DiagramSpec) -> Block:
    """The text diagram in a code block (60 columns at most: fits a phone)."""
    drawing = clip(render_diagram_text(spec), MAX_SECTION_TEXT - 8)
    return section(f"```\n{escape(drawing)}\n```")


# --- buttons and context ----------------------------------------------------


def _topic_buttons(links: list[TopicLink], limit: int) -> list[Block]:
    seen: set[str] = set()
    buttons: list[Block] = []
    for link in links:
        if link.id not in seen and len(buttons) < limit:
            seen.add(link.id)
            buttons.append(button(link.title, f"{OPEN_TOPIC}:{link.id}", link.id))
    return buttons


def _why(reply: Reply) -> str:
    """Why the bot said this: the phrase it matched and how sure it is, or what was asked."""
    parts = []
    if reply.band is not Band.ANSWER and reply.question.strip():
        asked = clip_escaped(" ".join(reply.question.split()), MAX_QUOTED_QUESTION)
        parts.append(f"You asked: “{asked}”")
    if reply.why:
        parts.append(clip_escaped(reply.why, 500))
    return " · ".join(parts)


def render_verified(reply: Reply) -> str:
    """Who verified the answer and when, and whether it is due for review; or nothing."""
    parts = []
    if reply.verified:
        by = f" by <@{reply.owner}>" if reply.owner else ""
        parts.append(f"Verified {reply.verified.isoformat()}{by}")
    elif reply.owner:
        parts.append(f"Kept by <@{reply.owner}>")
    if reply.review_due:
        parts.append(f":hourglass: due for review since {reply.review_due.isoformat()}")
    return " · ".join(parts)


# --- the whole reply --------------------------------------------------------


def render_blocks(
    reply: Reply,
    *,
    ephemeral: bool = False,
    surface: Surface | None = None,
    diagram_as_file: bool = False,
    ask_experts: bool = False,
) -> list[Block]:
    """The reply as the `blocks` of a message (or of a Home tab view) for one surface.

    A message's comparison table is not among them: it travels in the message's `attachments`
    (`render_attachments`), where Slack's table block reference says a table goes.

    - `thread`/`dm`: the diagram drawn as text, or left out when `diagram_as_file` says its PNG
      follows as a file shared in the same conversation (`bot.slack.delivery`).
    - `ephemeral` (or `ephemeral=True`): adds "Share in channel", and "Show as image" when there
      is a diagram, since ephemeral messages cannot carry uploads.
    - `home`: for a Home tab view, which has no attachments: the comparison as fields, no share
      or image buttons.

    `ask_experts`: a decline offers "Ask the experts" (EXPERTS_CHANNEL), carrying the question.
    """
    where = _surface(ephemeral, surface)
    head: list[Block] = []
    if reply.title:
        head.append(header(reply.title))

    tail: list[Block] = []
    if reply.band is Band.SUGGEST and reply.suggestions:
        tail.append({"type": "actions", "elements": _topic_buttons(reply.suggestions, 5)})
    if reply.comparison and where == "home":
        tail.extend(render_comparison_fields(reply.comparison))
    if reply.diagram and not (diagram_as_file and where in ("thread", "dm")):
        tail.append(render_diagram_text_block(reply.diagram))
    verified = render_verified(reply)
    if verified:
        tail.append(context(verified))
    why = _why(reply)
    if why:
        tail.append(context(why))
    if ask_experts and reply.band is Band.NONE and reply.question.strip():
        value = clip(reply.question, MAX_BUTTON_VALUE)
        tail.append(
            {"type": "actions", "elements": [button("Ask the experts", ASK_EXPERTS, value)]}
        )
    if reply.entry_id:
        buttons = _reply_buttons(reply, where)
        if buttons:
            tail.append({"type": "actions", "elements": buttons})
        if where != "home":  # views take no feedback buttons
            tail.append(render_feedback(reply.entry_id))

    # The answer gets whatever the message's markdown allowance leaves, and the block count.
    budget = max(MAX_MESSAGE_MARKDOWN - mrkdwn_length(tail), MIN_ANSWER_TEXT)
    answer = render_answer(reply.answer, budget=budget)
    answer = answer[: MAX_BLOCKS - len(head) - len(tail)]
    return [*head, *answer, *tail]


def render_attachments(
    reply: Reply, *, ephemeral: bool = False, surface: Surface | None = None
) -> list[Block]:
    """The message's `attachments`: its comparison table, alone, or none.

    Slack's table block reference: apps publish a table "by providing a table block in the
    attachments field" of the message; Slack shows it under the message's blocks. A message
    holds one table at most, and a Home tab view has no attachments (`render_blocks` draws the
    comparison there as fields).
    """
    if not reply.comparison or _surface(ephemeral, surface) == "home":
        return []
    return [{"blocks": [render_comparison_table(reply.comparison)]}]


def _surface(ephemeral: bool, surface: Surface | None) -> Surface:
    return surface or ("ephemeral" if ephemeral else "thread")


def _reply_buttons(reply: Reply, where: Surface) -> list[Block]:
    """Related topics, then "Share" and "Show as image" (ephemeral only)."""
    entry_id = reply.entry_id or ""
    buttons = _topic_buttons(reply.related, MAX_RELATED_BUTTONS)
    if where == "ephemeral":
        buttons.append(button("Share in channel", SHARE, entry_id, "primary"))
        if reply.diagram:
            diagram_id = reply.diagram.id
            buttons.append(
                button("Show as image", f"{SHOW_DIAGRAM_IMAGE}:{diagram_id}", diagram_id)
            )
    return buttons


def render_feedback(entry_id: str) -> Block:
    """Slack's own feedback buttons (👍/👎) under an answer, each carrying the entry id."""
    return {
        "type": "context_actions",
        "elements": [
            {
                "type": "feedback_buttons",
                "action_id": FEEDBACK,
                "positive_button": {
                    "text": plain_text("👍 Helpful", MAX_BUTTON_TEXT),
                    "value": f"up:{entry_id}",
                },
                "negative_button": {
                    "text": plain_text("👎 Not quite", MAX_BUTTON_TEXT),
                    "value": f"down:{entry_id}",
                },
            }
        ],
    }


def render_fallback(reply: Reply) -> str:
    """The message's `text`: shown in notifications and read by screen readers, so a diagram
    is its alt text there, not a drawing in box characters (and costs no drawing)."""
    return clip_escaped(render_text(reply, diagram_as_alt=True), MAX_FALLBACK_TEXT)


def answer_message(
    reply: Reply,
    *,
    ephemeral: bool = False,
    surface: Surface | None = None,
    diagram_as_file: bool = False,
    ask_experts: bool = False,
) -> BlockMessage:
    """An answer card (or "did you mean", or a kind decline) as a message, its comparison table
    in `attachments`.

    `ephemeral` adds "Share in channel"; `diagram_as_file` (thread and DM surfaces) leaves the
    diagram out of the card because its PNG is shared right after it in the same conversation.
    """
    return BlockMessage(
        text=render_fallback(reply),
        blocks=render_blocks(
            reply,
            ephemeral=ephemeral,
            surface=surface,
            diagram_as_file=diagram_as_file,
            ask_experts=ask_experts,
        ),
        attachments=render_attachments(reply, ephemeral=ephemeral, surface=surface),
    )
