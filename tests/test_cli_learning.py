"""`vmdocker teach`, `learned` and `learned --export`: taught wordings answer from the command
line with the same DATABASE_URL, and once exported they live in knowledge/ and need no database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import Ran, vmdocker
from tests.support.knowledge import knowledge_copy

QUESTION = "why does my laptop fan spin with docker"
ENTRY = "docker-desktop-memory"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return knowledge_copy(tmp_path)


def run(folder: Path, url: str, *args: str) -> Ran:
    return vmdocker("--knowledge", str(folder), *args, env={"DATABASE_URL": url})


def ask(folder: Path, url: str, question: str = QUESTION) -> dict[str, object]:
    reply = json.loads(run(folder, url, "ask", "--json", question).stdout)
    assert isinstance(reply, dict)
    return reply


def test_teach_then_ask_with_the_same_database_answers_with_the_taught_entry(
    folder: Path, database_url: str
) -> None:
    assert ask(folder, database_url)["band"] == "none"
    taught = run(folder, database_url, "teach", QUESTION, ENTRY, "--team", "T0TEAM0001")
    assert taught.returncode == 0, taught.stderr
    assert f"-> {ENTRY}" in taught.stdout and "warning" not in taught.stderr
    reply = ask(folder, database_url)
    assert (reply["matched"], reply["entry_id"]) == (True, ENTRY)

    [row] = json.loads(run(folder, database_url, "learned", "--json").stdout)
    assert (row["question"], row["entry_id"], row["team_id"]) == (QUESTION, ENTRY, "T0TEAM0001")
    assert row["exported_at"] is None
    assert "1 taught wording(s)" in run(folder, database_url, "learned").stdout


def test_export_writes_the_entry_file_check_accepts_and_an_empty_database_routes_it(
    folder: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'taught.sqlite3'}"
    path = folder / "entries" / f"{ENTRY}.md"
    before = path.read_text(encoding="utf-8")
    run(folder, url, "teach", QUESTION, ENTRY)
    run(folder, url, "teach", "what is a virtual machine", "image-size")  # routes elsewhere

    exported = run(folder, url, "learned", "--export")
    assert exported.returncode == 0, exported.stderr
    assert "exported 1 wording(s) into 1 file(s)" in exported.stdout
    assert "skipped: “what is a virtual machine” -> image-size" in exported.stdout
    after = path.read_text(encoding="utf-8")
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert added == [f"  - {QUESTION}"]  # one readable line in the questions: list
    assert "what is a virtual machine" not in (folder / "entries" / "image-size.md").read_text()

    checked = vmdocker("--knowledge", str(folder), "check")
    assert checked.returncode == 0, checked.stdout
    empty = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    reply = ask(folder, empty)
    assert (reply["matched"], reply["entry_id"]) == (True, ENTRY)

    rows = json.loads(run(folder, url, "learned", "--json").stdout)
    assert [row["exported_at"] is not None for row in rows] == [True, False]
    again = run(folder, url, "learned", "--export")
    assert "exported 0 wording(s)" in again.stdout
    assert path.read_text(encoding="utf-8") == after


def test_teach_refuses_an_unknown_entry_and_an_empty_question(folder: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    unknown = run(folder, url, "teach", QUESTION, "no-such-entry")
    assert unknown.returncode == 1 and "no entry 'no-such-entry'" in unknown.stderr
    empty = run(folder, url, "teach", "   ", ENTRY)
    assert empty.returncode == 1 and "empty" in empty.stderr
    assert not (tmp_path / "db.sqlite3").exists()
