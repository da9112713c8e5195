"""`vmdocker report`: text, --json and --misses, run in-process on a store file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.core.models import Band
from bot.store.database import Store
from bot.store.records import AskedQuestion
from tests.support.cli import Ran
from tests.support.cli import vmdocker as run_vmdocker


def vmdocker(url: str, *args: str) -> Ran:
    env = {"DATABASE_URL": url, "STORE_QUESTION_TEXT": "true"}
    return run_vmdocker("report", *args, env=env)


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    store = Store.from_url(url)
    asked = [
        ("what is the difference between a vm and docker", Band.ANSWER, "vm-vs-docker", "mention"),
        ("vm vs container", Band.ANSWER, "vm-vs-docker", "dm"),
        ("how do I back up a postgres database", Band.NONE, None, "mention"),
        ("how to backup a postgres database?", Band.NONE, None, "dm"),
        ("best pizza in town", Band.NONE, None, "command"),
    ]
    for question, band, entry, surface in asked:
        store.record_question(
            AskedQuestion(
                surface=surface,
                user_id="U1",
                channel_id=None,
                question=question,
                band=band,
                entry_id=entry,
                score=80 if entry else 10,
            )
        )
    store.record_feedback(entry_id="vm-vs-docker", user_id="U1", vote=-1)
    store.record_feedback(entry_id="vm-vs-docker", user_id="U2", vote=-1)
    store.close()
    return url


def test_report_prints_rate_surfaces_misses_and_dislikes(url: str) -> None:
    result = vmdocker(url)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Questions: 5, answered 2 (40.0%), not answered 3" in out
    assert "By surface: dm 2 · mention 2 · command 1" in out
    assert "By band:    none 3 · answer 2" in out
    misses = out.split("Top unanswered questions")[1].split("Entries with the most")[0]
    assert (
        "2 asked" in misses and "postgres database" in misses and "(+1 similar wording)" in misses
    )
    assert "1 asked  best pizza in town" in misses
    assert "👎   2  👍   0  VM vs Docker" in out


def test_report_json_contract(url: str) -> None:
    result = vmdocker(url, "--json", "--since", "24h")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["questions"] == 5 and report["answered"] == 2 and report["answer_rate"] == 0.4
    assert report["by_band"] == {"none": 3, "answer": 2}
    assert report["by_surface"] == {"dm": 2, "mention": 2, "command": 1}
    assert [group["count"] for group in report["unanswered_groups"]] == [2, 1]
    assert report["most_disliked"][0]["entry_id"] == "vm-vs-docker"
    assert report["most_disliked"][0]["down"] == 2


def test_report_misses_are_yaml_lists_ready_to_paste(url: str) -> None:
    import yaml

    result = vmdocker(url, "--misses")
    assert result.returncode == 0, result.stderr
    chunks = result.stdout.split("\n\n")[1:]
    assert len(chunks) == 2
    first = yaml.safe_load(chunks[0])
    assert sorted(first["questions"]) == [
        "how do I back up a postgres database",
        "how to backup a postgres database?",
    ]
    assert chunks[0].startswith("# 1. asked 2 times")


def test_report_rejects_a_bad_span(url: str) -> None:
    result = vmdocker(url, "--since", "a week")
    assert result.returncode == 2
    assert "not a time span" in result.stderr


def test_report_names_an_unreadable_store_without_its_password() -> None:
    result = vmdocker("postgresql+psycopg://bot:s3cret@127.0.0.1:1/nowhere")
    assert result.returncode == 1
    assert (
        "cannot read the store at postgresql+psycopg://bot:***@127.0.0.1:1/nowhere" in result.stderr
    )
    assert "s3cret" not in result.stderr


def test_report_on_a_new_database_says_nothing_was_asked(tmp_path: Path) -> None:
    result = vmdocker(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    assert result.returncode == 0, result.stderr
    assert "Questions: 0, answered 0 (n/a), not answered 0" in result.stdout
    assert "grouped):\n  none\n" in result.stdout
    assert "most 👎:\n  none" in result.stdout


def test_report_of_one_workspace_of_many(url: str) -> None:
    store = Store.from_url(url)
    store.record_question(
        AskedQuestion(
            surface="dm",
            user_id="U1",
            channel_id=None,
            question="how do I bake bread",
            band=Band.NONE,
            entry_id=None,
            score=10,
        ),
        team_id="T0ACME0001",
    )
    store.close()
    acme = json.loads(vmdocker(url, "--json", "--team", "T0ACME0001").stdout)
    assert acme["questions"] == 1 and acme["answered"] == 0
    assert json.loads(vmdocker(url, "--json").stdout)["questions"] == 5  # the bot-token one
    assert json.loads(vmdocker(url, "--json", "--team", "T0OTHER001").stdout)["questions"] == 0
