"""Slack's HTTP clients (slack_sdk's WebClient, metered, and its WebhookClient for response
URLs) over connections they keep open.

The stock clients send every call through `urlopen`: a new connection each time (over HTTPS,
a new TLS handshake), about a millisecond of CPU per call on loopback, and an answer makes two
or three. These keep one connection per thread and host and reuse it; everything else (the
request slack_sdk builds, its retry handlers, its parsing) stays slack_sdk's own.
"""

from __future__ import annotations

import io
import logging
import threading
from email.message import Message
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from ssl import SSLContext
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient, WebhookResponse

from bot.slack.metrics import MeteredWebClient

_local = threading.local()  # each thread's open connections, by scheme and host
# The loggers of slack_sdk's Web API client and of its WebhookClient (their modules' names).
SDK_LOGGERS = ("slack_sdk.web.base_client", "slack_sdk.webhook.client")


def sdk_loggers_at_root_level() -> None:
    """Give slack_sdk's client loggers the root logger's level as their own. slack_sdk formats
    each call's debug line (with the request's whole body: 0.1-0.25 ms of CPU for an answer
    card) unless its logger's own level, not the one it inherits, is above DEBUG."""
    level = logging.getLogger().getEffectiveLevel()
    for name in SDK_LOGGERS:
        logging.getLogger(name).setLevel(level)


def exchange(
    url: str, req: Request, *, timeout: float, ssl: SSLContext | None
) -> tuple[int, Message, bytes]:
    """Send `req` over this thread's connection to the URL's host (opened on first use; http.client
    sets TCP_NODELAY) and read the response: its status, headers and body when 2xx or 3xx.
    HTTPError for the others, URLError when the connection fails, as `urlopen` raises them, so
    that slack_sdk's retry handlers treat them alike."""
    parts = urlsplit(url)
    connections: dict[tuple[str, str], HTTPConnection] = _local.__dict__.setdefault(
        "connections", {}
    )
    connection = connections.get((parts.scheme, parts.netloc))
    if connection is None:
        if parts.scheme == "https":
            connection = HTTPSConnection(parts.netloc, timeout=timeout, context=ssl)
        else:
            connection = HTTPConnection(parts.netloc, timeout=timeout)
        connections[(parts.scheme, parts.netloc)] = connection
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(req.get_method(), path, body=req.data, headers=dict(req.header_items()))
        response = connection.getresponse()
        body = response.read()
    except (OSError, HTTPException) as error:  # reset, refused, timed out, or closed idle
        connection.close()  # the next call opens a new one
        raise URLError(error) from error
    if response.status >= 400:
        raise HTTPError(url, response.status, response.reason, response.msg, io.BytesIO(body))
    return response.status, response.msg, body


def _kept_open(url: str, proxy: str | None) -> bool:
    """Whether `exchange` serves this URL: http(s), and no proxy (those go through urllib)."""
    return not proxy and urlsplit(url).scheme in ("http", "https")


class KeepAliveWebClient(MeteredWebClient):
    """A `MeteredWebClient` whose calls reuse this thread's connection to the API host."""

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if not _kept_open(url, self.proxy):
            return super()._perform_urllib_http_request_internal(url, req)
        status, headers, body = exchange(url, req, timeout=self.timeout, ssl=self.ssl)
        if headers.get_content_type() == "application/gzip":
            return {"status": status, "headers": headers, "body": body}
        charset = headers.get_content_charset() or "utf-8"
        return {"status": status, "headers": headers, "body": body.decode(charset)}


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
        status, headers, body = exchange(url, req, timeout=self.timeout, ssl=self.ssl)
        charset = headers.get_content_charset() or "utf-8"
        return WebhookResponse(
            url=url,
            status_code=status,
            body=body.decode(charset),
            headers=headers,  # type: ignore[arg-type]  # a mapping, as slack_sdk passes it
        )
