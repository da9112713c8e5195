"""Drafts saved from Slack, as entry files the loader accepts: a unique id from the title, the
question, tags and related entries that exist, the Slack message as the source."""

from __future__ import annotations

import re
from collections.abc import Iterable

import yaml

from bot.core.models import EntryFrontMatter
from bot.store.records import DraftEntry

MAX_ID = 60
TAG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def slugify(text: str) -> str:
    """Lower-case words joined by hyphens, at most `MAX_ID` characters ("draft" if none)."""
    slug = "-".join(re.findall(r"[a-z0-9]+", text.casefold()))[:MAX_ID].strip("-")
    return slug or "draft"


def parse_tags(text: str) -> tuple[list[str], list[str]]:
    """Comma-separated tags as slugs ("Docker Desktop" -> docker-desktop), and the ones that
    cannot be one."""
    tags, bad = [], []
    for raw in text.split(","):
        tag = "-".join(raw.casefold().split())
        if not tag:
            continue
        if TAG.match(tag) and len(tag) <= MAX_ID:
            tags.append(tag)
        else:
            bad.append(raw.strip())
    return list(dict.fromkeys(tags)), bad


def unique_id(title: str, taken: set[str]) -> str:
    """An entry id from the title that no entry (or file) uses yet."""
    base = slugify(title)
    candidate, number = base, 2
    while candidate in taken:
        suffix = f"-{number}"
        candidate = base[: MAX_ID - len(suffix)].rstrip("-") + suffix
        number += 1
    return candidate


def draft_entry_text(draft: DraftEntry, entry_id: str, known_ids: Iterable[str]) -> str:
    """The draft as an `entries/*.md` file: front matter (validated like any entry's), then
    the answer. Related ids that are not entries are dropped."""
    known = set(known_ids)
    front = {
        "id": entry_id,
        "title": draft.title,
        "questions": [draft.question],
        "tags": [tag for tag in draft.tags if TAG.match(tag)],
        "related": [entry for entry in draft.related if entry in known],
        "sources": [draft.source_url],
    }
    EntryFrontMatter.model_validate(front)
    head = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=100)
    return f"---\n{head}---\n{draft.answer.strip()}\n"
