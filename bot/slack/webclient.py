"""Slack's HTTP clients (slack_sdk's WebClient, metered, and its WebhookClient for response
URLs) over connections they keep open.

The stock clients send every call through `urlopen`: a new connection each time (over HTTPS,
a new TLS handshake), about a millisecond of CPU per call on loopback, and an answer makes two
or three. These keep one connection per thread and host and reuse it, write each request in one
send and read its response with httptools' parser (uvicorn's, in C); everything else (the
request slack_sdk builds, its retry handlers, its parsing of the body) stays slack_sdk's own.
"""

from __future__ import annotations

import io
import logging
import select
import socket
import ssl as tls
import threading
from email.message import Message
from functools import cache
from typing import Any, NamedTuple
from urllib.error import HTTPError, URLError
from urllib.parse import SplitResult, urlsplit
from urllib.request import Request

import httptools
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient, WebhookResponse

from bot.slack.metrics import MeteredWebClient

_local = threading.local()  # each thread's open connections, by scheme and host
READ_BYTES = 1 << 16
# The loggers of slack_sdk's Web API client and of its WebhookClient (their modules' names).
SDK_LOGGERS = ("slack_sdk.web.base_client", "slack_sdk.webhook.client")


def sdk_loggers_at_root_level() -> None:
    """Give slack_sdk's client loggers the root logger's level as their own. slack_sdk formats
    each call's debug line (with the request's whole body: 0.1-0.25 ms of CPU for an answer
    card) unless its logger's own level, not the one it inherits, is above DEBUG."""
    level = logging.getLogger().getEffectiveLevel()
    for name in SDK_LOGGERS:
        logging.getLogger(name).setLevel(level)


class Exchanged(NamedTuple):
    """A 2xx or 3xx response: its status, headers (named as the server named them), body, and
    the media type (lower case) and charset its Content-Type says."""

    status: int
    headers: dict[str, str]
    body: bytes
    media_type: str
    charset: str


class _Response:
    """httptools' callbacks, collecting one response."""

    def __init__(self) -> None:
        self.reason = b""
        self.headers: dict[str, str] = {}
        self.chunks: list[bytes] = []
        self.headers_done = False
        self.complete = False

    def on_status(self, reason: bytes) -> None:
        self.reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1")] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.headers_done = True

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self.complete = True

    def header(self, name: str) -> str | None:
        """The value of the header `name` (lower case), whatever case the server wrote."""
        return next((value for key, value in self.headers.items() if key.lower() == name), None)


def exchange(url: str, req: Request, *, timeout: float, ssl: tls.SSLContext | None) -> Exchanged:
    """Send `req` over this thread's connection to the URL's host (opened on first use, with
    TCP_NODELAY) and read the response. HTTPError for a status from 400, URLError when the
    connection fails or what comes back is not HTTP, as `urlopen` raises them, so that
    slack_sdk's retry handlers treat them alike; after a failure the next call connects anew,
    as it does when the server closed the connection while it was idle."""
    parts = urlsplit(url)
    connections: dict[tuple[str, str], socket.socket] = _local.__dict__.setdefault(
        "connections", {}
    )
    where = (parts.scheme, parts.netloc)
    request = _request_bytes(parts, req)
    try:
        connection = connections.get(where)
        if connection is not None and _closed_while_idle(connection):
            _close(connections.pop(where))
            connection = None
        if connection is None:
            connection = connections[where] = _connect(parts, timeout, ssl)
        connection.sendall(request)
        status, response, keep_alive = _read_response(connection)
    except BaseException as error:
        _close(connections.pop(where, None))  # it may hold half a response
        if isinstance(error, OSError | httptools.HttpParserError | httptools.HttpParserUpgrade):
            raise URLError(error) from error  # reset, refused, timed out, closed idle, not HTTP
        raise
    if not keep_alive:
        _close(connections.pop(where, None))
    body = b"".join(response.chunks)
    if status >= 400:
        reason = response.reason.decode("latin-1")
        raise HTTPError(url, status, reason, _as_message(response.headers), io.BytesIO(body))
    media_type, charset = _media_type_and_charset(response.header("content-type") or "")
    return Exchanged(status, response.headers, body, media_type, charset)


def _connect(parts: SplitResult, timeout: float, ssl: tls.SSLContext | None) -> socket.socket:
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    connection = socket.create_connection((host, port), timeout)
    try:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if parts.scheme == "https":
            connection = (ssl or _default_tls()).wrap_socket(connection, server_hostname=host)
    except BaseException:
        connection.close()
        raise
    return connection


@cache
def _default_tls() -> tls.SSLContext:
    """What `urlopen` verifies HTTPS with when given no context, offering HTTP/1.1 as
    http.client does (made once: it reads the CAs)."""
    context = tls.create_default_context()
    context.set_alpn_protocols(["http/1.1"])
    return context


def _request_bytes(parts: SplitResult, req: Request) -> bytes:
    """The request line, headers and body, for one send (sent apart, head and body would cost
    two segments on the wire and two wake-ups of the server). Host, Accept-Encoding and
    Content-Length as http.client adds them, unless the request has them."""
    body = req.data if isinstance(req.data, bytes) else b""
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    given = dict(req.header_items())
    named = {name.lower() for name in given}
    defaults = {
        "Host": parts.netloc,
        "Accept-Encoding": "identity",
        "Content-Length": str(len(body)),
    }
    headers = {name: value for name, value in defaults.items() if name.lower() not in named}
    lines = [f"{req.get_method()} {target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in {**headers, **given}.items()]
    if any("\r" in line or "\n" in line for line in lines):
        raise ValueError("a line break in the request line or a header")
    return "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + body


def _read_response(connection: socket.socket) -> tuple[int, _Response, bool]:
    """The status and the whole of the next response on `connection`, and whether the
    connection may carry another. A body without a length or chunks ends where the server
    closes the connection."""
    response = _Response()
    parser = httptools.HttpResponseParser(response)
    while not response.complete:
        data = connection.recv(READ_BYTES)
        if not data:
            names = {name.lower() for name in response.headers}
            if response.headers_done and not names & {"content-length", "transfer-encoding"}:
                return parser.get_status_code(), response, False
            raise ConnectionError("the server closed the connection before a whole response")
        parser.feed_data(data)
    # httptools' should_keep_alive() holds only inside its callbacks: HTTP/1.1 keeps the
    # connection open unless the server says close; HTTP/1.0 only if it says keep-alive.
    said = {token.strip().lower() for token in (response.header("connection") or "").split(",")}
    keep_alive = "close" not in said and (
        parser.get_http_version() != "1.0" or "keep-alive" in said
    )
    return parser.get_status_code(), response, keep_alive


def _media_type_and_charset(content_type: str) -> tuple[str, str]:
    """`application/json; charset=utf-8` -> ("application/json", "utf-8"); utf-8 if unsaid."""
    media_type, *parameters = content_type.split(";")
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return media_type.strip().lower(), value.strip().strip('"')
    return media_type.strip().lower(), "utf-8"


def _as_message(headers: dict[str, str]) -> Message:
    """Headers as `HTTPError` carries them, for slack_sdk to read."""
    message = Message()
    for name, value in headers.items():
        message[name] = value
    return message


def _closed_while_idle(connection: socket.socket) -> bool:
    """Whether the server closed a kept connection since its last response (servers close idle
    ones): between responses there is nothing to read, so anything readable is its end."""
    readable, _, _ = select.select([connection], [], [], 0)
    return bool(readable)


def _close(connection: socket.socket | None) -> None:
    if connection is not None:
        connection.close()


def _kept_open(url: str, proxy: str | None) -> bool:
    """Whether `exchange` serves this URL: http(s), and no proxy (those go through urllib)."""
    return not proxy and urlsplit(url).scheme in ("http", "https")


class KeepAliveWebClient(MeteredWebClient):
    """A `MeteredWebClient` whose calls reuse this thread's connection to the API host."""

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if not _kept_open(url, self.proxy):
            return super()._perform_urllib_http_request_internal(url, req)
        response = exchange(url, req, timeout=self.timeout, ssl=self.ssl)
        body: bytes | str = response.body
        if response.media_type != "application/gzip":
            body = response.body.decode(response.charset)
        return {"status": response.status, "headers": response.headers, "body": body}


def kept_open_copy(client: WebClient) -> KeepAliveWebClient:
    """`client` as a `KeepAliveWebClient`: the same token, team, URL, timeout and retry handlers.
    Bolt gives each request a plain WebClient of its own (`context.client`); this one is metered
    and keeps its connections."""
    return KeepAliveWebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=client.headers,
        team_id=client.default_params.get("team_id"),
        logger=client.logger,
        retry_handlers=client.retry_handlers,
    )


class KeepAliveWebhookClient(WebhookClient):
    """slack_sdk's WebhookClient (a response_url) over this thread's connection to its host."""

    def _perform_http_request_internal(self, url: str, req: Request) -> WebhookResponse:
        if not _kept_open(url, self.proxy):
            return super()._perform_http_request_internal(url, req)  # type: ignore[no-any-return]
        response = exchange(url, req, timeout=self.timeout, ssl=self.ssl)
        return WebhookResponse(
            url=url,
            status_code=response.status,
            body=response.body.decode(response.charset),
            headers=response.headers,
        )
