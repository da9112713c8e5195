"""The Web API client: slack_sdk's WebClient, metered, over connections it keeps open.

The stock client sends every call through `urlopen`: a new connection each time (over HTTPS, a
new TLS handshake), about a millisecond of CPU per call on loopback, and an answer makes two or
three. This one keeps one connection per thread and host and reuses it; everything else (the
request slack_sdk builds, its retry handlers, its parsing) stays slack_sdk's own.
"""

from __future__ import annotations

import io
import threading
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request

from bot.slack.metrics import MeteredWebClient


class KeepAliveWebClient(MeteredWebClient):
    """A `MeteredWebClient` whose calls reuse this thread's connection to the API host."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._local = threading.local()

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        """As slack_sdk's: the status, headers and decoded body of a 2xx or 3xx response;
        HTTPError for the others, URLError when the connection fails (as `urlopen` raises
        them, so that slack_sdk's retry handlers treat them alike)."""
        parts = urlsplit(url)
        if self.proxy or parts.scheme not in ("http", "https"):
            return super()._perform_urllib_http_request_internal(url, req)
        connection = self._connection(parts.scheme, parts.netloc)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request(
                req.get_method(), path, body=req.data, headers=dict(req.header_items())
            )
            response = connection.getresponse()
            body = response.read()
        except (OSError, HTTPException) as error:  # reset, refused, timed out, or closed idle
            connection.close()  # the next call opens a new one
            raise URLError(error) from error
        if response.status >= 400:
            raise HTTPError(url, response.status, response.reason, response.msg, io.BytesIO(body))
        if response.msg.get_content_type() == "application/gzip":
            return {"status": response.status, "headers": response.msg, "body": body}
        charset = response.msg.get_content_charset() or "utf-8"
        return {"status": response.status, "headers": response.msg, "body": body.decode(charset)}

    def _connection(self, scheme: str, host: str) -> HTTPConnection:
        """This thread's connection to `host`, opened by its first request (http.client sets
        TCP_NODELAY, so a request's headers and body never wait for a delayed ACK)."""
        connections: dict[tuple[str, str], HTTPConnection] = self._local.__dict__.setdefault(
            "connections", {}
        )
        connection = connections.get((scheme, host))
        if connection is None:
            if scheme == "https":
                connection = HTTPSConnection(host, timeout=self.timeout, context=self.ssl)
            else:
                connection = HTTPConnection(host, timeout=self.timeout)
            connections[(scheme, host)] = connection
        return connection
