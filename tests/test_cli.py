"""The `vmdocker` CLI contract, run in-process through `main(argv)`; two smoke tests run it as the
real subprocess other tools call."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import KNOWLEDGE, ROOT
from tests.support.cli import vmdocker

CONTRACT_KEYS = {"matched", "band", "entry_id", "title", "score", "text", "suggestions"}


def test_ask_prints_plain_text_reply_as_a_subprocess() -> None:
    question = "what is the difference between a vm and docker"
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot", "ask", question],
        capture_output=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    text = result.stdout.decode()
    assert text.startswith("VM vs Docker at a glance")
    assert "Container: A couple of MB" in text
    assert "┌" in text  # the diagram, as text
    # -X importtime names every module imported, one a line on stderr: a plain question
    # starts without Slack, the store's SQLAlchemy, Pillow or the Block Kit builders.
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.decode().splitlines()}
    unneeded = {"slack_bolt", "slack_sdk", "sqlalchemy", "PIL", "bot.render.answers", "bot.slack"}
    assert imported & unneeded == set()


def test_ask_json_contract() -> None:
    result = vmdocker("ask", "--json", "how long does a vm take to boot")
    reply = json.loads(result.stdout)
    assert reply.keys() >= CONTRACT_KEYS
    assert reply["matched"] is True and reply["band"] == "answer"
    assert reply["entry_id"] == "start-time"
    assert 0 <= reply["score"] <= 100
    assert "Minutes" in reply["text"]
    assert all({"id", "title", "score"} <= item.keys() for item in reply["suggestions"])


def test_ask_json_declines_off_topic() -> None:
    reply = json.loads(vmdocker("ask", "--json", "git rebase vs merge").stdout)
    assert reply["matched"] is False and reply["band"] == "none"
    assert reply["entry_id"] is None and reply["text"]


def test_ask_json_stdin_one_object_per_line_in_order() -> None:
    lines = ["vm vs docker", "", "tabs vs spaces", "what is a kernel"]
    stdin = ("\n".join(lines) + "\n").encode() + b"\xff\xfe binary \x00\n"
    result = vmdocker("ask", "--json", stdin=stdin)
    assert result.returncode == 0, result.stderr
    replies = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["entry_id"] for r in replies] == ["vm-vs-docker", None, None, "os-layers", None]


def test_list_json_has_every_entry() -> None:
    items = json.loads(vmdocker("list", "--json").stdout)
    assert {"id", "title", "questions", "tags", "text"} <= items[0].keys()
    assert len(items) == len(list((KNOWLEDGE / "entries").glob("*.md")))


def test_check_passes_on_shipped_knowledge() -> None:
    result = vmdocker("check")
    assert result.returncode == 0, result.stdout
    assert "all route to their own entry" in result.stdout


def test_check_fails_naming_the_broken_file(tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    shutil.copytree(KNOWLEDGE, folder)
    (folder / "entries" / "broken.md").write_text("---\nid: Broken Id\n---\n")
    result = vmdocker("--knowledge", str(folder), "check")
    assert result.returncode == 1
    assert "broken.md: id:" in result.stderr
    assert "nothing was loaded" in result.stderr


def test_serve_refuses_a_broken_knowledge_base_before_serving(tmp_path: Path) -> None:
    """serve only checks the knowledge (its workers load it), and stops as `check` does."""
    folder = tmp_path / "kb"
    shutil.copytree(KNOWLEDGE, folder)
    (folder / "entries" / "broken.md").write_text("---\nid: Broken Id\n---\n")
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "secret"}
    result = vmdocker("--knowledge", str(folder), "serve", env=env)
    assert result.returncode == 1
    assert "broken.md: id:" in result.stderr
    assert "nothing was loaded" in result.stderr


def test_check_fails_on_misrouted_example(tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    shutil.copytree(KNOWLEDGE, folder)
    (folder / "entries" / "stray.md").write_text(
        "---\nid: stray\ntitle: Stray\nquestions: [vm vs docker]\n"
        "sources: [https://docs.docker.com/]\n---\nA copy.\n"
    )
    result = vmdocker("--knowledge", str(folder), "check")
    assert result.returncode == 1
    assert "question “vm vs docker” went to" in result.stdout  # two entries claim it
    assert "misrouted" in result.stdout


def test_malformed_setting_exits_2_as_a_subprocess(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "hi"],
        capture_output=True,
        cwd=tmp_path,
        env={"MATCH_ANSWER_THRESHOLD": "lots", "PATH": "/usr/bin"},
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert b"MATCH_ANSWER_THRESHOLD" in result.stderr
