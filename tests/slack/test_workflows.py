"""Workflow Builder steps: each run completes with outputs, or fails with a clear message."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from bot.core.answers import Answers
from bot.slack.listeners.workflows import ANSWER_FUNCTION, PRIMER_FUNCTION
from tests.conftest import ROOT
from tests.support import MockSlack
from tests.support.harness import Harness, start_harness
from tests.support.signed import PERSON

Json = dict[str, Any]


@pytest.fixture
def slack(mock: MockSlack, answers: Answers) -> Harness:
    return start_harness(mock, answers)


SUCCESS, ERROR = "functions.completeSuccess", "functions.completeError"


def run_step(slack: Harness, callback_id: str, inputs: Json, ends_with: str) -> Json:
    """Send a `function_executed` event; the body of the `ends_with` call it led to."""
    event = {
        "type": "function_executed",
        "function": {"id": "Fn0VMDOCKER1", "callback_id": callback_id, "title": callback_id},
        "inputs": inputs,
        "function_execution_id": "Fx0RUN00001",
        "workflow_execution_id": "Wx0RUN00001",
        "event_ts": "1731000000.000200",
        "bot_access_token": "xwfp-test-token",
    }
    assert slack.send_event(event).status == 200
    [done] = slack.mock.wait_for(ends_with)
    return done.body


def outputs_of(done: Json) -> Json:
    outputs = done["outputs"]
    return json.loads(outputs) if isinstance(outputs, str) else outputs


def test_answer_a_question_completes_with_the_answer(slack: Harness) -> None:
    question = {"question": "why do containers start fast?"}
    done = run_step(slack, "answer_question", question, SUCCESS)
    assert done["function_execution_id"] == "Fx0RUN00001"
    outputs = outputs_of(done)
    assert outputs["matched"] is True and outputs["entry_id"] == "start-time"
    assert "seconds" in outputs["answer"]


@pytest.mark.parametrize("inputs", [{}, {"question": "   "}])
def test_answer_a_question_fails_cleanly_without_a_question(slack: Harness, inputs: Json) -> None:
    done = run_step(slack, "answer_question", inputs, ERROR)
    assert slack.mock.calls_to(SUCCESS) == []
    assert "question" in done["error"].lower()


def test_send_the_primer_dms_the_person_and_completes(slack: Harness) -> None:
    done = run_step(slack, "send_primer", {"user_id": PERSON}, SUCCESS)
    assert outputs_of(done) == {"sent": True}
    [dm] = slack.mock.calls_to("chat.postMessage")
    assert "welcome" in dm.body["text"].lower()


def test_send_the_primer_fails_cleanly_on_a_bad_person(slack: Harness) -> None:
    done = run_step(slack, "send_primer", {"user_id": "<!channel>"}, ERROR)
    assert "person" in done["error"]
    assert slack.mock.calls_to("chat.postMessage") == []


def test_the_manifest_declares_exactly_the_steps_the_app_runs() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yaml").read_text())
    assert set(manifest["functions"]) == {ANSWER_FUNCTION, PRIMER_FUNCTION}
    assert manifest["settings"]["function_runtime"] == "remote"
    assert "function_executed" in manifest["settings"]["event_subscriptions"]["bot_events"]
