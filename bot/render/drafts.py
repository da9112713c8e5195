"""Block Kit for answers saved from Slack: the "Save to vmdocker" modal, prefilled, and the
drafts on admins' Home tab. Pure builders."""

from __future__ import annotations

from typing import Any

from bot.core.models import KnowledgeBase
from bot.render.actions import (
    SAVE_ANSWER,
    SAVE_QUESTION,
    SAVE_RELATED,
    SAVE_TAGS,
    SAVE_TITLE,
    SAVE_VIEW,
)
from bot.render.blocks import Block, clip, context, escape, plain_text, section
from bot.render.learning import MAX_OPTION_TEXT, MAX_OPTIONS, modal
from bot.store.records import DraftEntry

MAX_INPUT = 3000  # Slack's limit for a plain_text_input's value
MAX_TITLE = 140  # an entry title's limit
MAX_HOME_DRAFTS = 5


def _input(
    block_id: str,
    label: str,
    element: dict[str, Any],
    *,
    optional: bool = False,
    hint: str = "",
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain_text(label, 2000),
        "element": {**element, "action_id": block_id},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain_text(hint, 2000)
    return block


def _text_input(initial: str, *, multiline: bool, max_length: int) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial.strip():
        element["initial_value"] = clip(initial.strip(), max_length)
    return element


def save_modal(
    *, question: str, answer: str, source_url: str, knowledge: KnowledgeBase
) -> dict[str, Any]:
    """The "Save to vmdocker" modal: the thread's question and the answer prefilled, a title,
    tags and related entries to fill in. Saved, it is a draft that answers nobody."""
    entries = sorted(knowledge.entries.values(), key=lambda entry: entry.title.casefold())
    options = [
        {"text": plain_text(entry.title, MAX_OPTION_TEXT), "value": entry.id}
        for entry in entries[:MAX_OPTIONS]
    ]
    related = {"type": "multi_static_select", "options": options, "max_selected_items": 5}
    related["placeholder"] = plain_text("Entries to offer next to it", 150)
    return modal(
        "Save to vmdocker",
        [
            _input(SAVE_TITLE, "Title", _text_input("", multiline=False, max_length=MAX_TITLE)),
            _input(
                SAVE_QUESTION,
                "The question",
                _text_input(question, multiline=True, max_length=MAX_INPUT),
                hint="How people ask it: it becomes the entry's first example question.",
            ),
            _input(
                SAVE_ANSWER,
                "The answer",
                _text_input(answer, multiline=True, max_length=MAX_INPUT),
            ),
            _input(
                SAVE_TAGS,
                "Tags",
                _text_input("", multiline=False, max_length=200),
                optional=True,
                hint="Comma-separated, e.g. docker-desktop, performance",
            ),
            _input(SAVE_RELATED, "Related entries", related, optional=True),
            context(
                "Saved as a draft: it answers nobody until `vmdocker drafts --export` writes it "
                "into knowledge/ and it is reviewed and committed."
            ),
        ],
        callback_id=SAVE_VIEW,
        private_metadata=clip(source_url, MAX_INPUT),
        submit=plain_text("Save draft", 24),
    )


def render_drafts(drafts: list[DraftEntry] | None) -> list[Block]:
    """Admins' Home tab section: drafts saved from Slack, waiting to be exported."""
    title = "*Drafts saved from Slack*\n"
    if drafts is None:
        return [section(title + "_The store cannot be reached just now._")]
    if not drafts:
        return [section(title + "_None waiting._")]
    lines = [
        f"• {escape(draft.title)}: saved by <@{draft.saved_by}> on {draft.saved_at:%Y-%m-%d}"
        for draft in drafts[:MAX_HOME_DRAFTS]
    ]
    return [
        section(title + "\n".join(lines)),
        context("`vmdocker drafts --export knowledge/entries` writes them as entry files."),
    ]


def saved_notice(title: str) -> str:
    return (
        f"Saved “{escape(title)}” as a draft. It answers nobody until it is exported "
        "(`vmdocker drafts --export`), reviewed and committed."
    )
