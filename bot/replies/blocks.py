"""Block Kit rendering of a `Reply`: pure functions from data to Slack JSON, no Slack client.

Action ids carry their target after a colon (`open_topic:image-size`) so that several buttons
in one actions block stay unique; listeners match them by prefix. Every builder keeps within
Slack's limits (LIMITS below) whatever the knowledge says, and everything a user typed or a
knowledge author wrote is escaped so no message can ever ping `<!channel>` or `<!here>`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from bot.models import Band, ComparisonRow, DiagramSpec, Reply, TopicLink
from bot.replies.diagrams import render_diagram_text
from bot.replies.text import render_text

OPEN_TOPIC = "open_topic"
SHARE = "share_in_channel"
FEEDBACK_UP = "feedback_up"
FEEDBACK_DOWN = "feedback_down"
SHOW_DIAGRAM_IMAGE = "show_diagram_image"  # `show_diagram_image:<diagram id>`, value = diagram id

Block = dict[str, Any]
Surface = Literal["thread", "dm", "ephemeral", "home"]

# Slack's documented limits (Block Kit reference), in characters unless said otherwise.
MAX_BLOCKS = 50  # per message
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
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
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![*\w])\*(?!\s)(.+?)(?<!\s)\*(?![*\w])")
_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)
_LIST_ITEM = re.compile(r"^([-*•]|\d+[.)])\s")
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


# --- the answer -------------------------------------------------------------


def _flow(block: str) -> str:
    """One paragraph on one line; a list keeps one line per item, continuations joined."""
    lines: list[str] = []
    for line in block.splitlines():
        stripped = line.strip()
        if not lines or _LIST_ITEM.match(stripped):
            lines.append(stripped)
        else:
            lines[-1] = f"{lines[-1]} {stripped}"
    return "\n".join(" ".join(line.split()) for line in lines)


def to_mrkdwn(markdown: str) -> str:
    """Entries' light Markdown as Slack mrkdwn, escaped: bold, links, one line per paragraph."""
    flowed = "\n\n".join(_flow(block) for block in re.split(r"\n\s*\n", markdown.strip()))
    text = escape(flowed)
    text = _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", text)
    text = _HEADING.sub(r"**\1**", text)
    text = _BOLD.sub("\x00\\1\x00", text)
    text = _ITALIC.sub(r"_\1_", text)
    return text.replace("\x00", "*")


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


def defuse(text: str) -> str:
    """Text shown raw (table cells) with `<!channel>`-style mentions turned into plain words."""
    return _SPECIAL_MENTION.sub(r"@\1", text)


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


# --- the whole reply --------------------------------------------------------


def render_blocks(
    reply: Reply,
    *,
    ephemeral: bool = False,
    surface: Surface | None = None,
    diagram_as_file: bool = False,
) -> list[Block]:
    """The reply as the `blocks` of a message (or of a Home tab view) for one surface.

    A message's comparison table is not among them: it travels in the message's `attachments`
    (`render_attachments`), where Slack's table block reference says a table goes.

    - `thread`/`dm`: the diagram drawn as text, or left out when `diagram_as_file` says its PNG
      follows as a file shared in the same conversation (`bot.replies.uploads`).
    - `ephemeral` (or `ephemeral=True`): adds "Share in channel", and "Show as image" when there
      is a diagram, since ephemeral messages cannot carry uploads.
    - `home`: for a Home tab view, which has no attachments: the comparison as fields, no share
      or image buttons.
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
    why = _why(reply)
    if why:
        tail.append(context(why))
    if reply.entry_id:
        tail.append({"type": "actions", "elements": _reply_buttons(reply, where)})

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
    """Related topics, then "Share" and "Show as image" (ephemeral only), then feedback."""
    entry_id = reply.entry_id or ""
    buttons = _topic_buttons(reply.related, MAX_RELATED_BUTTONS)
    if where == "ephemeral":
        buttons.append(button("Share in channel", SHARE, entry_id, "primary"))
        if reply.diagram:
            diagram_id = reply.diagram.id
            buttons.append(
                button("Show as image", f"{SHOW_DIAGRAM_IMAGE}:{diagram_id}", diagram_id)
            )
    buttons.append(button("👍 Helpful", FEEDBACK_UP, entry_id))
    buttons.append(button("👎 Not quite", FEEDBACK_DOWN, entry_id))
    return buttons


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


def render_fallback(reply: Reply) -> str:
    """The message's `text`: shown in notifications and read by screen readers."""
    return clip_escaped(render_text(reply), MAX_FALLBACK_TEXT)
