"""Socket Mode end to end: a local WebSocket server speaks Slack's envelopes to the real app.

The app asks the mock Web API's `apps.connections.open` (with the app-level token) for the
WebSocket URL, gets `hello`, then envelopes; each must be acked by its `envelope_id`, and the
reply must reach the mock Web API.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.config import Settings, load_settings
from bot.core.answers import Answers
from bot.slack.socket_mode import socket_mode_handler
from tests.support import MockSlack, assert_valid_delivery
from tests.support.harness import wait_until
from tests.support.mock_api import RESPONSE_URL, TEAM_ID
from tests.support.serve_process import ROOT, Served, free_port
from tests.support.signed import API_APP_ID, PERSON, mention
from tests.support.socket_mode_server import SocketModeServer

BOT_TOKEN = "xoxb-socket-test"
APP_TOKEN = "xapp-1-A0VMDOCKER-socket-test"
WAIT = 10.0


def events_api(event: dict[str, Any], event_id: str) -> dict[str, Any]:
    """The `payload` of an `events_api` envelope: the same body HTTP mode would receive."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": API_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": "U0BOT00001", "is_bot": True}],
    }


def slash_command(text: str, channel: str, response_url: str) -> dict[str, Any]:
    """The `payload` of a `slash_commands` envelope (JSON, not form-encoded, in Socket Mode)."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "example",
        "channel_id": channel,
        "channel_name": "general",
        "user_id": PERSON,
        "user_name": "pat",
        "command": "/vmdocker",
        "text": text,
        "api_app_id": API_APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "1.trigger",
    }


@pytest.fixture(scope="module")
def socket_server(mock: MockSlack) -> Iterator[SocketModeServer]:
    with SocketModeServer(app_id=API_APP_ID) as server:
        mock.answer("apps.connections.open", server.connections_open)
        yield server


def socket_settings(mock: MockSlack, tmp_path: Path) -> Settings:
    return load_settings(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_APP_TOKEN=APP_TOKEN,
        SLACK_API_URL=mock.api_url,
        DATABASE_URL=f"sqlite:///{tmp_path}/store.sqlite3",
    )


@pytest.fixture(scope="module")
def handler(
    mock: MockSlack,
    socket_server: SocketModeServer,
    tmp_path_factory: pytest.TempPathFactory,
    answers: Answers,
) -> Iterator[SocketModeHandler]:
    """One connection for the in-process tests (each uses its own channel)."""
    settings = socket_settings(mock, tmp_path_factory.mktemp("socket"))
    connected = socket_mode_handler(settings, answers)
    connected.connect()  # type: ignore[no-untyped-call]
    yield connected
    connected.close()  # type: ignore[no-untyped-call]


def ack_while_running(
    server: SocketModeServer, envelope_id: str, process: subprocess.Popen[str]
) -> dict[str, Any]:
    """The ack of `envelope_id`, failing at once with the output if the process has exited."""
    deadline = time.monotonic() + 60  # start-up on a busy machine included
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"vmdocker run exited {process.returncode}: {output}")
        try:
            return server.wait_for_ack(envelope_id, timeout=0.5)
        except AssertionError:
            continue
    raise AssertionError(f"no ack for {envelope_id}")


def test_connection_is_opened_with_the_app_level_token(
    handler: SocketModeHandler, mock: MockSlack, socket_server: SocketModeServer
) -> None:
    socket_server.wait_for_connections(1)
    opened = mock.calls_to("apps.connections.open")
    assert opened and {call.headers["authorization"] for call in opened} == {f"Bearer {APP_TOKEN}"}
    assert handler.client.is_connected()
    assert socket_server.connections == 1


def test_mention_envelope_is_acked_and_answered_in_thread(
    handler: SocketModeHandler, mock: MockSlack, socket_server: SocketModeServer
) -> None:
    event = mention("what is a hypervisor?", channel="C0SOCKET01")
    envelope_id = socket_server.send(
        "events_api", events_api(event, "Ev0SOCKET1"), accepts_response_payload=False
    )
    assert socket_server.wait_for_ack(envelope_id) == {"envelope_id": envelope_id}
    reply = mock.deliveries_to("C0SOCKET01", WAIT)[0]
    assert reply.method == "chat.postMessage"
    assert reply.body["thread_ts"] == event["ts"]
    assert reply.headers["authorization"] == f"Bearer {BOT_TOKEN}"
    assert_valid_delivery(reply)


def test_slash_command_envelope_is_acked_and_answered(
    handler: SocketModeHandler, mock: MockSlack, socket_server: SocketModeServer
) -> None:
    command = slash_command("what is a hypervisor", "C0SOCKET02", mock.response_url("C0SOCKET02"))
    envelope_id = socket_server.send("slash_commands", command, accepts_response_payload=True)
    assert socket_server.wait_for_ack(envelope_id) == {"envelope_id": envelope_id}
    reply = mock.deliveries_to("C0SOCKET02", WAIT)[0]
    assert reply.method == RESPONSE_URL
    assert reply.body.get("response_type", "ephemeral") == "ephemeral"
    assert "hypervisor" in json.dumps(reply.body).lower()
    assert_valid_delivery(reply)


def test_retried_event_envelope_is_acked_and_answered_once(
    handler: SocketModeHandler,
    mock: MockSlack,
    socket_server: SocketModeServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.slack.inbox")
    event = mention("why do containers start fast?", channel="C0SOCKET03")
    first = socket_server.send("events_api", events_api(event, "Ev0SOCKET3"))
    retry = socket_server.send(
        "events_api",
        events_api(event, "Ev0SOCKET3"),
        retry_attempt=1,
        retry_reason="timeout",
    )
    socket_server.wait_for_ack(first)
    socket_server.wait_for_ack(retry)
    mock.deliveries_to("C0SOCKET03", WAIT)[0]
    wait_until(lambda: "event:Ev0SOCKET3 already received" in caplog.text)  # the retry, refused
    answers = [c for c in mock.calls_to("chat.postMessage") if c.body["channel"] == "C0SOCKET03"]
    assert len(answers) == 1


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_vmdocker_run_connects_in_socket_mode_and_stops_cleanly(
    stop: signal.Signals, mock: MockSlack, tmp_path: Path
) -> None:
    """...answering the health probes on HEALTH_PORT meanwhile, as `vmdocker serve` does."""
    health = free_port()
    env = {
        "HEALTH_PORT": str(health),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_URL": mock.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path}/store.sqlite3",
        "PYTHONPATH": str(ROOT),
        "PATH": "/usr/bin:/bin",
    }
    with SocketModeServer(app_id=API_APP_ID) as own_server:
        mock.answer("apps.connections.open", own_server.connections_open)
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            channel = f"C0STOPPED{stop.value:02d}"
            event = mention("what is a container?", channel=channel)
            envelope_id = own_server.send("events_api", events_api(event, f"Ev0STOP{stop.value}"))
            assert ack_while_running(own_server, envelope_id, process) == {
                "envelope_id": envelope_id
            }
            reply = mock.deliveries_to(channel, WAIT)[0]
            assert reply.body["thread_ts"] == event["ts"]
            probes = Served(process, health)
            status, alive = probes.get("/healthz")
            assert status == 200 and isinstance(alive, dict) and alive["entries"] > 0
            status, ready = probes.get("/readyz")
            assert status == 200 and isinstance(ready, dict)
            assert (ready["ready"], ready["store"], ready["slack"]) == (True, True, True)
            status, metrics = probes.get("/metrics")
            assert status == 200 and isinstance(metrics, str)
            wait_until(lambda: 'surface="thread"' in str(probes.get("/metrics")[1]))
        finally:
            process.send_signal(stop)
            output, _ = process.communicate(timeout=20)
    assert process.returncode == 0, output
    assert "console" not in output  # it did not fall back to the offline console
