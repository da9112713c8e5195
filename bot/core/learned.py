"""Taught wordings: grouped by entry for the matcher, and written back into the knowledge, each
one more line of its entry's `questions:` list, the rest of the file left as its author wrote
it."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.store.records import LearnedPhrasing

_QUESTIONS_KEY = re.compile(r"^questions:[ \t]*$")
_LIST_ITEM = re.compile(r"^([ \t]+)- ")


def taught_by_entry(rows: Iterable[LearnedPhrasing]) -> dict[str, list[str]]:
    """Taught wordings grouped by the entry they were taught for (out-of-scope ones left out)."""
    taught: dict[str, list[str]] = {}
    for row in rows:
        if row.entry_id is not None:
            taught.setdefault(row.entry_id, []).append(row.question)
    return taught


class ExportError(Exception):
    """The entry file's `questions:` is not a block list this can append to."""


def yaml_item(question: str) -> str:
    """`question` as a YAML list item's text, quoted only when YAML needs it."""
    import yaml  # only to export: `vmdocker ask` groups taught wordings without it

    dumped = yaml.safe_dump([question], allow_unicode=True, width=10_000, default_flow_style=False)
    return dumped.strip().removeprefix("- ")


def add_questions(text: str, questions: list[str]) -> str:
    """The entry file `text` with `questions` appended to its front matter's `questions:` block
    list, in its indentation."""
    lines = text.split("\n")
    end = lines.index("---", 1) if "---" in lines[1:] else len(lines)
    start = next((i for i in range(1, end) if _QUESTIONS_KEY.match(lines[i])), None)
    if start is None:
        raise ExportError("no `questions:` block list in the front matter")
    last, indent = start, "  "
    for index in range(start + 1, end):
        item = _LIST_ITEM.match(lines[index])
        if item:
            last, indent = index, item.group(1)
        elif lines[index].strip() and not lines[index].startswith((" ", "\t")):
            break
    added = [f"{indent}- {yaml_item(question)}" for question in questions]
    return "\n".join([*lines[: last + 1], *added, *lines[last + 1 :]])
