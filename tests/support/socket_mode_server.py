"""A local stand-in for Slack's Socket Mode endpoint, speaking its envelopes over a real WebSocket.

On each connection it sends `hello`, then every envelope queued with `send()`, and records what
the app sends back (acks carry the envelope's `envelope_id`, and for slash commands and
interactivity optionally a response payload). Point `apps.connections.open` of the mock Web API
at `url`.
"""

from __future__ import annotations

import itertools
import json
import queue
import threading
import time
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

Json = dict[str, Any]
POLL = 0.02  # seconds between checks of the outbox while waiting for the app's messages


class SocketModeServer:
    """Serve envelopes to whichever app connects; use as a context manager."""

    def __init__(self, app_id: str = "A0VMDOCKER") -> None:
        self.app_id = app_id
        self.connections = 0
        self._outbox: queue.Queue[Json] = queue.Queue()
        self._received: list[Json] = []
        self._changed = threading.Condition()
        self._ids = itertools.count(1)
        self._server: Server | None = None

    def __enter__(self) -> SocketModeServer:
        self._server = serve(self._session, "127.0.0.1", 0)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server:
            self._server.shutdown()

    @property
    def url(self) -> str:
        assert self._server, "enter the server first"
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=local-test"

    def connections_open(self, body: Json) -> Json:
        """The mock Web API's answer to `apps.connections.open`."""
        return {"ok": True, "url": self.url}

    def send(self, kind: str, payload: Json, **extra: Any) -> str:
        """Queue an envelope (`events_api`, `slash_commands`, `interactive`); its envelope_id."""
        envelope_id = f"envelope-{next(self._ids)}"
        self._outbox.put({"envelope_id": envelope_id, "type": kind, "payload": payload, **extra})
        return envelope_id

    def wait_for_connections(self, count: int, timeout: float = 10.0) -> None:
        """Until `count` WebSocket sessions have been opened (the client connects in a thread)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.connections < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{self.connections} connection(s), expected {count}")
                self._changed.wait(left)

    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> Json:
        """The app's acknowledgement of one envelope."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for message in self._received:
                    if message.get("envelope_id") == envelope_id:
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no ack for {envelope_id}; got {self._received}")
                self._changed.wait(left)

    def received(self) -> list[Json]:
        with self._changed:
            return list(self._received)

    def _session(self, connection: ServerConnection) -> None:
        with self._changed:
            self.connections += 1
            self._changed.notify_all()
        hello = {
            "type": "hello",
            "num_connections": 1,
            "debug_info": {"host": "local-test", "approximate_connection_time": 3600},
            "connection_info": {"app_id": self.app_id},
        }
        connection.send(json.dumps(hello))
        while True:
            try:
                while True:
                    connection.send(json.dumps(self._outbox.get_nowait()))
            except queue.Empty:
                pass
            try:
                raw = connection.recv(timeout=POLL)
            except TimeoutError:
                continue
            except ConnectionClosed:
                return
            with self._changed:
                self._received.append(json.loads(raw))
                self._changed.notify_all()
