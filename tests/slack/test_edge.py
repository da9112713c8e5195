"""The HTTP edge in front of Bolt: size first, then signature; a refused request costs one
short log line (never its body) and no Bolt work; signed events we do not handle get 200."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from bot.core.answers import Answers
from bot.slack import launch, server
from bot.slack.server import MAX_BODY_BYTES, HttpApp, build_http_app
from tests.support import BOT_ID, BOT_USER_ID, Failure, MockSlack
from tests.support.harness import harness_settings, wait_until
from tests.support.inbox import admit
from tests.support.serve_process import free_port
from tests.support.signed import SignedRequest, Signer, direct_message, mention

Message = dict[str, Any]


@pytest.fixture(scope="module")
def edge(mock: MockSlack, answers: Answers, tmp_path_factory: pytest.TempPathFactory) -> HttpApp:
    store = tmp_path_factory.mktemp("edge") / "store.sqlite3"
    settings = harness_settings(mock, DATABASE_URL=f"sqlite:///{store}")
    return build_http_app(settings, answers=answers)


def post(
    app: HttpApp, chunks: list[bytes], headers: dict[str, str], *, declared: int | None = None
) -> tuple[int, bytes, int]:
    """POST /slack/events through the ASGI app: status, body, and how many chunks it read."""
    size = sum(len(chunk) for chunk in chunks) if declared is None else declared
    raw_headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw_headers.append((b"content-length", str(size).encode()))
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/slack/events",
        "query_string": b"",
        "headers": raw_headers,
        "client": ("203.0.113.9", 5555),
    }
    read = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal read
        read += 1
        more = read < len(chunks)
        return {"type": "http.request", "body": chunks[read - 1], "more_body": more}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body, read


def signed(request: SignedRequest) -> tuple[list[bytes], dict[str, str]]:
    return [request.body.encode()], request.headers


def test_a_huge_declared_body_is_refused_before_it_is_read(
    edge: HttpApp, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    status, _, read = post(edge, [b"x"], {}, declared=100 * 1024 * 1024)
    assert (status, read) == (413, 0)
    [line] = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert "203.0.113.9" in line and len(line) < 200


def test_an_undeclared_stream_is_cut_off_past_the_limit(edge: HttpApp) -> None:
    chunk = b"x" * (256 * 1024)
    chunks = [chunk] * 40  # 10 MB, announced as nothing
    status, _, read = post(edge, chunks, {}, declared=0)
    assert status == 413
    assert read <= MAX_BODY_BYTES // len(chunk) + 1


def test_a_body_that_stops_coming_gets_408(
    edge: HttpApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(server, "BODY_TIMEOUT_S", 0.05)
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/slack/events",
        "headers": [(b"content-length", b"100")],
        "client": ("203.0.113.9", 5555),
    }
    sent: list[Message] = []
    parts = [{"type": "http.request", "body": b"x" * 10, "more_body": True}]

    async def receive() -> Message:
        if parts:
            return parts.pop()
        await asyncio.Event().wait()  # the client never sends the rest
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(edge(scope, receive, send))
    assert sent[0]["status"] == 408
    assert "body stalled after 10 bytes" in caplog.text


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Signature": "v0=bad", "X-Slack-Request-Timestamp": "1"},
        {"X-Slack-Signature": "v0=bad", "X-Slack-Request-Timestamp": "not-a-number"},
    ],
)
def test_unsigned_input_gets_401_and_its_body_is_never_logged(
    edge: HttpApp, caplog: pytest.LogCaptureFixture, headers: dict[str, str]
) -> None:
    caplog.set_level(logging.DEBUG)
    body = b"\xff\xfe not utf-8\nERROR forged log line token=secret"
    status, _, _ = post(edge, [body], headers)
    assert status == 401
    assert not any("forged" in r.getMessage() or "secret" in r.getMessage() for r in caplog.records)
    assert len([r for r in caplog.records if "refused" in r.getMessage()]) == 1


def test_a_malformed_content_length_gets_400(edge: HttpApp) -> None:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [(b"content-length", b"lots")]
    scope = {"type": "http", "method": "POST", "path": "/slack/events", "headers": headers}
    asyncio.run(edge(scope, receive, send))
    assert sent[0]["status"] == 400


def test_a_signed_event_of_a_type_we_do_not_handle_gets_200(edge: HttpApp) -> None:
    event = {"type": "reaction_added", "user": "U0PERSON01", "reaction": "whale"}
    status, _, _ = post(edge, *signed(Signer().event(event)))
    assert status == 200


@pytest.mark.parametrize(
    ("case", "not_typed"),
    [
        ("OWN", {"user": BOT_USER_ID, "bot_id": BOT_ID}),  # the bot's own reply, heard again
        ("BOT", {"subtype": "bot_message", "bot_id": "B0ANOTHER1"}),
        ("EDIT", {"subtype": "message_changed"}),
    ],
)
def test_a_message_no_person_typed_is_acked_and_neither_kept_nor_answered(
    edge: HttpApp, mock: MockSlack, case: str, not_typed: dict[str, Any]
) -> None:
    """With message.channels the bot hears its own replies, other bots' and edits: the edge
    acks them and keeps nothing; a person's message in the same DM is kept and answered."""
    mock.reset()
    ignored = direct_message("what is a vm", channel="D0EDGE0001", **not_typed)
    request = Signer().event(ignored, event_id=f"Ev0{case}")
    assert post(edge, *signed(request))[:2] == (200, b"")
    assert admit(edge.inbox.memory, f"event:Ev0{case}")  # first here: it was never kept

    typed = direct_message("what is a vm", channel="D0EDGE0001")
    assert post(edge, *signed(Signer().event(typed, event_id=f"Ev0{case}TYPED")))[:2] == (200, b"")
    assert not admit(edge.inbox.memory, f"event:Ev0{case}TYPED")  # kept before the ack
    assert mock.deliveries_to("D0EDGE0001")  # and answered


def test_a_signed_command_passes_the_edge(edge: HttpApp, mock: MockSlack) -> None:
    request = Signer().command("what is a vm", response_url=mock.response_url("C0EDGE0001"))
    status, _, _ = post(edge, *signed(request))
    assert status == 200
    assert mock.deliveries_to("C0EDGE0001")


def get(app: HttpApp, path: str) -> tuple[int, dict[str, Any]]:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app({"type": "http", "method": "GET", "path": path, "headers": []}, receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body)


def test_readiness_needs_the_knowledge_the_store_and_slack(edge: HttpApp, mock: MockSlack) -> None:
    status, found = get(edge, "/readyz")
    assert (status, found["ready"], found["store"], found["slack"]) == (200, True, True, True)
    assert found["entries"] > 0
    mock.fail("auth.test", Failure.SERVER_ERROR, times=5)
    edge.readiness._slack_checked_at = None
    status, found = get(edge, "/readyz")
    assert (status, found["ready"], found["slack"]) == (503, False, False)
    assert get(edge, "/healthz")[0] == 200  # alive all the same


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text `text` (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith(f"{name}{{{wanted}}} ") or (not labels and line.startswith(name + " ")):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_move_when_questions_are_asked(edge: HttpApp, mock: MockSlack) -> None:
    def scrape() -> str:
        sent: list[Message] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "GET", "path": "/metrics", "headers": []}
        asyncio.run(edge(scope, receive, send))
        assert sent[0]["status"] == 200
        return b"".join(m.get("body", b"") for m in sent[1:]).decode()

    before = scrape()
    for name in (
        "vmdocker_questions_total",
        "vmdocker_ack_seconds",
        "vmdocker_answer_seconds",
        "vmdocker_slack_api_calls_total",
        "vmdocker_knowledge_entries",
    ):
        assert f"# TYPE {name.removesuffix('_total')}" in before, name
    request = Signer().command("what is a vm", response_url=mock.response_url("C0METRICS1"))
    post(edge, *signed(request))
    mock.deliveries_to("C0METRICS1")
    asked = {"surface": "command", "band": "answer"}
    counted = metric(before, "vmdocker_questions_total", **asked) + 1
    wait_until(lambda: metric(scrape(), "vmdocker_questions_total", **asked) == counted)
    after = scrape()
    assert metric(after, "vmdocker_ack_seconds_count") > metric(
        before, "vmdocker_ack_seconds_count"
    )
    # a listener's Web API calls (through the client Bolt hands it) are counted by method
    posted = metric(after, "vmdocker_slack_api_calls_total", method="chat.postMessage")
    post(edge, *signed(Signer().event(mention("what is a vm", channel="C0METRICS2"))))
    mock.deliveries_to("C0METRICS2")
    wait_until(
        lambda: (
            metric(scrape(), "vmdocker_slack_api_calls_total", method="chat.postMessage") > posted
        )
    )


@pytest.fixture
def quick_head_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """uvicorn with the edge's protocol and a 0.2 s head deadline, serving a tiny app."""
    monkeypatch.setattr(launch, "HEAD_TIMEOUT_S", 0.2)

    async def app(scope: Message, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})

    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, http=launch.HeadTimeoutProtocol, lifespan="off"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    wait_until(lambda: running.started)
    yield port
    running.should_exit = True
    thread.join()


@pytest.mark.parametrize("sent", [b"", b"POST /slack/events HTTP/1.1\r\nHost: x\r\n"])
def test_a_connection_without_a_whole_request_head_is_closed(
    quick_head_server: int, sent: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.create_connection(("127.0.0.1", quick_head_server)) as connection:
        connection.sendall(sent)
        connection.settimeout(5)
        assert connection.recv(100) == b""  # closed by the server, not by the 5 s timeout
    assert "no request within" in caplog.text


def test_a_whole_request_is_served_and_its_connection_kept(quick_head_server: int) -> None:
    with socket.create_connection(("127.0.0.1", quick_head_server)) as connection:
        connection.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        connection.settimeout(5)
        assert connection.recv(200).startswith(b"HTTP/1.1 200")
