"""Knowledge reload (SIGHUP, or an edit seen by KNOWLEDGE_WATCH_SECONDS): a valid edit is answered
at once without a restart; a broken one leaves the old answers serving, with one log line naming
the file."""

from __future__ import annotations

import gc
import logging
import os
import shutil
import signal
import weakref
from pathlib import Path

import pytest

from bot.core.knowledge import KnowledgeWatch
from bot.slack.app import build_app, load_answers, reload_on_hangup, serving_for
from bot.slack.socket_mode import watch_the_knowledge
from tests.conftest import KNOWLEDGE
from tests.support import RESPONSE_URL, MockSlack
from tests.support.harness import Harness, edit_answer, harness_settings, wait_until

NEW_TEXT = "Edited while the bot was running."


@pytest.fixture
def edited(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, folder)
    return folder


def answer_to(slack: Harness, text: str) -> str:
    slack.mock.reset()
    slack.send_command(text)
    [reply] = slack.mock.wait_for(RESPONSE_URL)
    return str(reply.body)


def start(mock: MockSlack, folder: Path) -> Harness:
    """The app on `folder`'s knowledge, reloading it on SIGHUP as `vmdocker run` and serve do."""
    settings = harness_settings(mock, VMDOCKER_KNOWLEDGE_DIR=folder)
    serving = serving_for(settings, load_answers(settings))
    reload_on_hangup(serving, settings)
    return Harness(mock, build_app(settings, serving=serving))


def test_sighup_serves_a_valid_edit_and_keeps_the_old_one_for_a_broken_edit(
    mock: MockSlack, edited: Path, caplog: pytest.LogCaptureFixture
) -> None:
    previous = signal.getsignal(signal.SIGHUP)
    try:
        slack = start(mock, edited)
        assert NEW_TEXT not in answer_to(slack, "why do containers start faster than vms")

        edit_answer(edited, NEW_TEXT)
        caplog.set_level(logging.INFO, logger="bot.slack.deps")
        frozen = gc.get_freeze_count()
        os.kill(os.getpid(), signal.SIGHUP)
        wait_until(lambda: "knowledge reloaded" in caplog.text)
        assert NEW_TEXT in answer_to(slack, "why do containers start faster than vms")
        wait_until(lambda: gc.get_freeze_count() > frozen)  # the new knowledge, out of gc's way

        (edited / "entries" / "broken.md").write_text("---\nid: Not A Slug\n---\n")
        os.kill(os.getpid(), signal.SIGHUP)
        wait_until(lambda: "reload refused" in caplog.text)
        refused = [r.getMessage() for r in caplog.records if "reload refused" in r.getMessage()]
        assert len(refused) == 1 and "broken.md" in refused[0]
        assert NEW_TEXT in answer_to(slack, "why do containers start faster than vms")
    finally:
        signal.signal(signal.SIGHUP, previous)
        gc.unfreeze()


def test_a_watched_knowledge_folder_is_reloaded_after_an_edit_without_a_signal(
    mock: MockSlack, edited: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """KNOWLEDGE_WATCH_SECONDS, as `vmdocker run` (Socket Mode) sets it up."""
    settings = harness_settings(mock, VMDOCKER_KNOWLEDGE_DIR=edited, KNOWLEDGE_WATCH_SECONDS="0.05")
    serving = serving_for(settings, load_answers(settings))
    slack = Harness(mock, build_app(settings, serving=serving))
    caplog.set_level(logging.INFO, logger="bot.slack")
    job = watch_the_knowledge(KnowledgeWatch(edited), serving, settings)
    try:
        edit_answer(edited, NEW_TEXT)
        wait_until(lambda: "knowledge reloaded" in caplog.text)
        assert NEW_TEXT in answer_to(slack, "why do containers start faster than vms")
    finally:
        job.stop()
        gc.unfreeze()


def test_a_reload_lets_the_replaced_matcher_go_caches_and_all(
    mock: MockSlack, edited: Path
) -> None:
    """The matcher remembers the last questions it read, keyed by its parts: after a reload
    those parts must not stay in memory (1.6 MB a reload, until newer questions push them out)."""
    settings = harness_settings(mock, VMDOCKER_KNOWLEDGE_DIR=edited)
    serving = serving_for(settings, load_answers(settings))
    matcher = serving.deps.answers.matcher
    long_question = "why do my containers start so much faster than the vms I run on this laptop"
    serving.deps.answers.match(long_question)  # read by its words and its letters: cached
    parts = [weakref.ref(matcher.letters), weakref.ref(matcher.normalizer)]
    del matcher
    edit_answer(edited, NEW_TEXT)
    assert serving.reload(lambda: load_answers(settings))
    gc.collect()
    assert [part() for part in parts] == [None, None]
