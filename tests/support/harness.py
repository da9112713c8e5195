"""The real vmdocker Bolt app wired to the mock Slack API, driven by signed requests."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slack_bolt import App, BoltResponse

from bot.config import Settings, load_settings
from bot.core.answers import Answers
from bot.slack.app import build_app
from bot.store.memory import Memory
from tests.support.mock_api import MockSlack
from tests.support.signed import SIGNING_SECRET, SignedRequest, Signer

Json = dict[str, Any]


def harness_settings(mock: MockSlack, **overrides: object) -> Settings:
    """Settings pointing the app at the mock, with the test signing secret and a bot token."""
    values: dict[str, object] = {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": mock.api_url,
    }
    values.update(overrides)
    return load_settings(**values)


@dataclass
class Harness:
    """One app under test; `send_*` return Bolt's response (the ack Slack would get)."""

    mock: MockSlack
    app: App
    signer: Signer = field(default_factory=Signer)

    def send(self, request: SignedRequest) -> BoltResponse:
        return self.app.dispatch(request.to_bolt())

    def send_event(self, event: Json, **kwargs: Any) -> BoltResponse:
        return self.send(self.signer.event(event, **kwargs))

    def send_command(self, text: str, **kwargs: Any) -> BoltResponse:
        return self.send(self.signer.command(text, response_url=self.mock.response_url(), **kwargs))

    def send_click(self, payload: Json) -> BoltResponse:
        return self.send(self.signer.interaction(payload))


_started: dict[int, App] = {}  # the last app started on each mock (by id), drained before the next


def start_harness(
    mock: MockSlack, answers: Answers, *, memory: Memory | None = None, **settings: object
) -> Harness:
    """A fresh app (fresh memory) on a reset mock.

    The app started before on this mock first finishes its listeners: work a test did not wait
    for (a diagram shared after the answer) must not reach the next test's mock."""
    earlier = _started.pop(id(mock), None)
    if earlier is not None:
        earlier.listener_runner.listener_executor.shutdown(wait=True)
    mock.reset()
    app = build_app(harness_settings(mock, **settings), answers=answers, memory=memory)
    _started[id(mock)] = app
    return Harness(mock, app)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait for something listeners do after the ack (a log line, a record)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def edit_answer(folder: Path, text: str) -> None:
    """Give the start-time entry of the knowledge copy in `folder` the answer `text`."""
    entry = folder / "entries" / "start-time.md"
    front, _, _ = entry.read_text().rpartition("---\n")
    entry.write_text(front + "---\n" + text + "\n")
