""".env.example documents every setting in bot/config.py, and copied as is it starts cleanly."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.config import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / ".env.example"
ASSIGNMENT = re.compile(r"^(?:#\s*)?([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def setting_names() -> set[str]:
    """The environment variable of every field: its alias, else its upper-cased name."""
    return {field.alias or name.upper() for name, field in Settings.model_fields.items()}


def test_every_setting_is_documented_and_nothing_else() -> None:
    documented = set(ASSIGNMENT.findall(EXAMPLE.read_text()))
    assert setting_names() - documented == set(), "settings missing from .env.example"
    assert documented - setting_names() == set(), ".env.example names unknown settings"


def test_every_documented_setting_has_a_comment_above_it() -> None:
    lines = EXAMPLE.read_text().splitlines()
    for index, line in enumerate(lines):
        if ASSIGNMENT.match(line) and not line.startswith("#"):
            above = lines[index - 1]
            assert above.startswith("#") and not ASSIGNMENT.match(above), line


def test_the_example_copied_to_dotenv_loads_as_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in setting_names():
        monkeypatch.delenv(name, raising=False)
    shutil.copy(EXAMPLE, tmp_path / ".env")
    monkeypatch.chdir(tmp_path)
    assert load_settings() == Settings()
