"""The Web API and response_url clients: slack_sdk's, over connections kept open, each request
written at once and its response read by httptools."""

from __future__ import annotations

import logging
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.request import Request

import pytest

from bot.slack.app import build_client
from bot.slack.webclient import SDK_LOGGERS, KeepAliveWebClient, KeepAliveWebhookClient, exchange
from tests.support import MockSlack
from tests.support.harness import harness_settings

JSON = b"Content-Type: application/json; charset=utf-8\r\n"
OK = b"HTTP/1.1 200 OK\r\n" + JSON + b"Content-Length: 11\r\n\r\n"
OK_BODY = b'{"ok":true}'


class ScriptedServer:
    """A loopback HTTP server answering each request with the next of `responses` (raw bytes),
    closing the connection after those ending in CLOSE; it keeps each connection's requests."""

    CLOSE = b"<close>"

    def __init__(self, responses: list[bytes], tls: ssl.SSLContext | None = None) -> None:
        self.responses = list(responses)
        self.tls = tls
        self.connections: list[list[bytes]] = []
        self.closed = threading.Event()  # set when it has closed a connection
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while self.responses:
            connection, _ = self._listener.accept()
            if self.tls is not None:
                try:
                    connection = self.tls.wrap_socket(connection, server_side=True)
                except ssl.SSLError:  # the client refused the certificate
                    connection.close()
                    continue
            requests: list[bytes] = []
            self.connections.append(requests)
            with connection:
                while self.responses and (request := _read_request(connection)):
                    requests.append(request)
                    response = self.responses.pop(0)
                    connection.sendall(response.removesuffix(self.CLOSE))
                    if response.endswith(self.CLOSE):
                        break
            self.closed.set()
        self._listener.close()


def _read_request(connection: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(4096)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += connection.recv(4096)
    return head + b"\r\n\r\n" + body


def post(url: str, body: bytes = b"{}", **headers: str) -> Request:
    return Request(
        url, data=body, headers={"Content-Type": "application/json", **headers}, method="POST"
    )


def test_calls_share_one_connection_and_open_another_once_the_server_closed_it() -> None:
    server = ScriptedServer([OK + OK_BODY, OK + OK_BODY + ScriptedServer.CLOSE, OK + OK_BODY])
    url = f"http://127.0.0.1:{server.port}/api/auth.test"
    for _ in range(2):
        answer = exchange(url, post(url, b'{"a":1}'), timeout=5, ssl=None)
        assert (answer.status, answer.body, answer.media_type, answer.charset) == (
            200,
            OK_BODY,
            "application/json",
            "utf-8",
        )
    assert server.closed.wait(5)  # closed while idle: the next call opens another
    assert exchange(url, post(url), timeout=5, ssl=None).body == OK_BODY
    assert [len(requests) for requests in server.connections] == [2, 1]
    first = server.connections[0][0]
    assert first.startswith(b"POST /api/auth.test HTTP/1.1\r\n")
    assert b"\r\nContent-Length: 7\r\n" in first and first.endswith(b'\r\n\r\n{"a":1}')


def test_a_connection_the_server_says_it_closes_is_not_used_again() -> None:
    closing = OK.replace(b"Content-Length", b"Connection: close\r\nContent-Length")
    server = ScriptedServer([closing + OK_BODY, OK + OK_BODY])
    url = f"http://127.0.0.1:{server.port}/hook"
    for _ in range(2):
        assert exchange(url, post(url), timeout=5, ssl=None).body == OK_BODY
    assert [len(requests) for requests in server.connections] == [1, 1]


def test_chunked_bodies_and_bodies_ending_at_close_are_read_whole() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab,\r\n2\r\ncd\r\n0\r\n\r\n"
    )
    until_close = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain; charset=latin-1\r\n\r\nthe end"
    server = ScriptedServer([chunked, until_close + ScriptedServer.CLOSE])
    url = f"http://127.0.0.1:{server.port}/x"
    assert exchange(url, post(url), timeout=5, ssl=None).body == b"ab,cd"
    answer = exchange(url, post(url), timeout=5, ssl=None)
    assert (answer.body, answer.media_type, answer.charset) == (b"the end", "text/plain", "latin-1")


def test_an_error_status_raises_http_error_with_its_headers_and_body() -> None:
    limited = b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3\r\nContent-Length: 5\r\n\r\nslow!"
    server = ScriptedServer([limited])
    url = f"http://127.0.0.1:{server.port}/api/chat.postMessage"
    with pytest.raises(HTTPError) as raised:
        exchange(url, post(url), timeout=5, ssl=None)
    assert (raised.value.code, raised.value.reason) == (429, "Too Many Requests")
    assert raised.value.headers["retry-after"] == "3"
    assert raised.value.read() == b"slow!"


def test_a_line_break_in_a_header_is_refused() -> None:
    url = "http://127.0.0.1:9/api/auth.test"  # never reached
    with pytest.raises(ValueError, match="line break"):
        exchange(url, post(url, Authorization="Bearer x\r\nX-Injected: 1"), timeout=5, ssl=None)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl to make a certificate")
def test_https_is_verified_against_the_given_context(tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    self_signed = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
    subject = ["-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(
        [*self_signed, *subject, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    serving = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    serving.load_cert_chain(cert, key)
    server = ScriptedServer([OK + OK_BODY, OK + OK_BODY], tls=serving)
    url = f"https://127.0.0.1:{server.port}/api/auth.test"
    with pytest.raises(URLError, match="CERTIFICATE_VERIFY_FAILED"):
        exchange(url, post(url), timeout=5, ssl=None)  # the system's CAs do not know it
    trusting = ssl.create_default_context(cafile=str(cert))
    assert exchange(url, post(url), timeout=5, ssl=trusting).body == OK_BODY


def test_the_clients_speak_to_slack_through_exchange(mock: MockSlack) -> None:
    mock.reset()
    client = KeepAliveWebClient(token="xoxb-test", base_url=mock.api_url)
    assert client.auth_test()["ok"] is True
    assert client.chat_postMessage(channel="C1", text="hi")["ok"] is True
    webhook = KeepAliveWebhookClient(url=mock.response_url())
    assert webhook.send_dict({"text": "hi"}).status_code == 200
    assert [call.method for call in mock.calls] == ["auth.test", "chat.postMessage", "response_url"]


@pytest.fixture
def sdk_levels() -> Iterator[None]:
    """The root's and slack_sdk's client loggers' levels, as they were, after the test."""
    loggers = [logging.getLogger(), *map(logging.getLogger, SDK_LOGGERS)]
    levels = [logger.level for logger in loggers]
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.mark.parametrize("level", [logging.WARNING, logging.DEBUG])
def test_slack_sdk_formats_its_debug_lines_only_when_logging_shows_them(
    mock: MockSlack, sdk_levels: None, level: int
) -> None:
    """slack_sdk formats each call's debug line (the whole request body) unless its logger's own
    level is above DEBUG: the client's build gives its loggers the root's level."""
    logging.getLogger().setLevel(level)
    client = build_client(harness_settings(mock))
    assert client.logger.level == level
    assert [logging.getLogger(name).level for name in SDK_LOGGERS] == [level, level]
