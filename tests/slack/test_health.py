"""Socket Mode's health port (`serve_probes`): /healthz, /readyz and /metrics mean what they
mean on `vmdocker serve`'s port; anything else is refused. /metrics of several processes."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.core.answers import Answers
from bot.slack.app import open_store_for, serving_for
from bot.slack.health import Readiness, serve_probes
from bot.slack.launch import MULTIPROC_DIR
from bot.slack.metrics import exposition
from tests.support import Failure, MockSlack
from tests.support.cli import vmdocker
from tests.support.harness import harness_settings
from tests.support.serve_process import questions_counted_elsewhere


@pytest.fixture
def probes(
    mock: MockSlack, client: WebClient, answers: Answers, tmp_path: Path
) -> Iterator[tuple[str, Readiness]]:
    settings = harness_settings(mock, DATABASE_URL=f"sqlite:///{tmp_path / 'store.sqlite3'}")
    store = open_store_for(settings)
    readiness = Readiness(serving_for(settings, answers, store), store, client, time.monotonic)
    server = serve_probes(readiness, "127.0.0.1", 0)
    yield f"http://127.0.0.1:{server.server_port}", readiness
    server.shutdown()
    server.server_close()
    store.close()


def fetch(url: str, method: str = "GET") -> tuple[int, Any]:
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            status, body = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read().decode()
    try:
        return status, json.loads(body)
    except json.JSONDecodeError:
        return status, body


def test_ready_until_slack_stops_answering_and_alive_all_the_same(
    probes: tuple[str, Readiness], mock: MockSlack, answers: Answers
) -> None:
    base, readiness = probes
    status, found = fetch(base + "/readyz")
    assert status == 200
    assert found == {
        "ready": True,
        "version": answers.knowledge.version,
        "entries": len(answers.knowledge.entries),
        "store": True,
        "slack": True,
    }
    mock.fail("auth.test", Failure.SERVER_ERROR, times=5)
    readiness._slack_checked_at = None  # past the check's time to live
    status, found = fetch(base + "/readyz")
    assert (status, found["ready"], found["slack"]) == (503, False, False)
    assert fetch(base + "/healthz") == (200, {"status": "ok", "entries": found["entries"]})


def test_metrics_in_prometheus_text(probes: tuple[str, Readiness], answers: Answers) -> None:
    base, _ = probes
    status, text = fetch(base + "/metrics")
    assert status == 200
    assert f'vmdocker_knowledge_entries{{version="{answers.knowledge.version}"}}' in text


def test_other_paths_and_methods_are_refused(probes: tuple[str, Readiness]) -> None:
    base, _ = probes
    assert fetch(base + "/slack/events", "POST")[0] == 404  # Socket Mode takes no events here
    assert fetch(base + "/nothing")[0] == 404
    assert fetch(base + "/healthz", "POST")[0] == 405


def test_socket_mode_stops_with_one_line_when_the_health_port_is_taken(
    mock: MockSlack, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        env = {
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_APP_TOKEN": "xapp-1-test",
            "SLACK_API_URL": mock.api_url,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'store.sqlite3'}",
            "HEALTH_PORT": str(taken.getsockname()[1]),
        }
        result = vmdocker("run", env=env)
    assert result.returncode == 2
    assert "configuration error: HEALTH_PORT: cannot listen on 127.0.0.1:" in result.stderr
    assert not mock.calls_to("apps.connections.open")  # it never connected


def test_metrics_of_several_processes_pass_over_a_file_left_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process killed as it created its metrics file leaves it empty for good
    (prometheus/client_python#1199): every scrape would fail; the other processes' figures
    still come."""
    questions_counted_elsewhere(tmp_path, "command", "answered")
    (tmp_path / "counter_4194303.db").touch()
    monkeypatch.setenv(MULTIPROC_DIR, str(tmp_path))
    text = exposition()[0].decode()
    assert 'vmdocker_questions_total{band="answered",surface="command"} 1.0' in text
