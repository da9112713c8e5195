"""A copy of the shipped knowledge with some entries' front matter extended, for tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import KNOWLEDGE


def knowledge_copy(folder: Path, extra: dict[str, str] | None = None) -> Path:
    """The shipped knowledge copied into `folder`; `extra` adds YAML lines (a string per entry
    id) to the front matter of those entries."""
    copy = folder / "knowledge"
    shutil.copytree(KNOWLEDGE, copy)
    for entry_id, lines in (extra or {}).items():
        path = copy / "entries" / f"{entry_id}.md"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("---\n", "---\n" + lines.strip() + "\n", 1), encoding="utf-8")
    return copy
