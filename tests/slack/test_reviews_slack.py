"""Verified answers in Slack: the owner of a stale entry is reminded once across workers, and
admins see stale entries on the Home tab."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from slack_sdk import WebClient

from bot.core.answers import Answers
from bot.slack.app import open_store_for, serving_for
from bot.slack.jobs import send_review_reminders
from tests.support import Failure, MockSlack, assert_valid_delivery
from tests.support.cli import vmdocker
from tests.support.harness import harness_settings, start_harness
from tests.support.knowledge import knowledge_copy
from tests.support.signed import home_opened

ADMIN = "U0ADMIN001"
OWNER = "U0OWNER001"
STALE = {
    "image-size": f"owner: {OWNER}\nverified: 2026-01-10\nreview_every: 90",
    "start-time": "verified: 2026-01-10\nreview_every: 30",  # stale, but nobody to remind
    "hypervisors": f"owner: {OWNER}\nverified: 2026-04-01\nreview_every: 365",  # current
}


def test_a_stale_entrys_owner_is_reminded_exactly_once(
    mock: MockSlack, tmp_path: Path, client: WebClient
) -> None:
    folder = knowledge_copy(tmp_path, STALE)
    answers = Answers.load(folder)
    settings = harness_settings(mock, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    stores = [open_store_for(settings), open_store_for(settings)]  # two workers
    workers = [serving_for(settings, answers, store) for store in stores]
    try:
        sent = [
            send_review_reminders(serving, client, today)
            for today in (date(2026, 5, 1), date(2026, 5, 2))
            for serving in workers
        ]
    finally:
        for store in stores:
            store.close()
    assert sent == [1, 0, 0, 0]
    [reminder] = mock.calls_to("chat.postMessage")
    assert reminder.body["channel"] == OWNER
    assert "image-size" in str(reminder.blocks) and "2026-04-10" in str(reminder.blocks)
    assert_valid_delivery(reminder)


def test_a_reminder_slack_refused_is_sent_on_the_next_run(
    mock: MockSlack, tmp_path: Path, client: WebClient
) -> None:
    answers = Answers.load(knowledge_copy(tmp_path, STALE))
    settings = harness_settings(mock, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    store = open_store_for(settings)
    serving = serving_for(settings, answers, store)
    mock.fail("chat.postMessage", Failure.CHANNEL_NOT_FOUND)
    try:
        first = send_review_reminders(serving, client, date(2026, 5, 1))
        second = send_review_reminders(serving, client, date(2026, 5, 1))
    finally:
        store.close()
    assert (first, second) == (0, 1)


def test_admins_see_stale_entries_on_the_home_tab(mock: MockSlack, tmp_path: Path) -> None:
    answers = Answers.load(knowledge_copy(tmp_path, STALE))
    slack = start_harness(mock, answers, ADMIN_USER_IDS=ADMIN)
    slack.send_event(home_opened(ADMIN))
    [published] = mock.wait_for("views.publish")
    view = str(published.body["view"])
    assert "Answers due for review" in view
    assert "`start-time`" in view and "`image-size`" in view and "`hypervisors`" not in view
    assert_valid_delivery(published)


def test_check_stale_lists_entries_past_their_review_date(tmp_path: Path) -> None:
    folder = knowledge_copy(tmp_path, STALE)
    ran = vmdocker("--knowledge", str(folder), "check", "--stale")
    assert ran.returncode == 0
    lines = ran.stdout.splitlines()
    assert lines[-1] == "2 entries due for review"
    assert "start-time: due for review since 2026-02-09" in lines[0]
    assert "image-size: due for review since 2026-04-10" in lines[1] and OWNER in lines[1]
