"""`vmdocker serve`'s first process: it binds the port and runs uvicorn, which starts the worker
processes (`bot.slack.server:create_app` in each) and restarts any that dies.

This process serves no request, so it imports uvicorn and nothing of Bolt, SQLAlchemy or the
store: each worker imports what it serves with, and they start the sooner. The HTTP protocol
the workers run is here too, so this process can name it without importing the app.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from bot.config import Settings

APP_FACTORY = "bot.slack.server:create_app"
EVENTS_PATH = "/slack/events"  # where Slack posts events, commands and interactivity
HEAD_TIMEOUT_S = 10.0  # for a request's line and headers, from connect or the last response
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"  # the workers' shared metrics folder

log = logging.getLogger(__name__)


class HeadTimeoutProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol with a deadline for each request's head: a connection that has
    not sent a whole request line and headers HEAD_TIMEOUT_S after it opened, or after its last
    response, is closed (an idle or a slow-loris client). uvicorn alone waits forever."""

    _head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()

    def on_headers_complete(self) -> None:
        self._disarm_head_deadline()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        self._disarm_head_deadline()
        self._head_deadline = self.loop.call_later(HEAD_TIMEOUT_S, self._head_timed_out)

    def _disarm_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_timed_out(self) -> None:
        peer = self.client[0] if self.client else "unknown"
        log.warning("closed a connection from %s: no request within %.0f s", peer, HEAD_TIMEOUT_S)
        self.transport.close()


def serve(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Run uvicorn until interrupted; the caller has already validated settings and knowledge."""
    # Workers read their settings from the environment: pin the folder the parent validated.
    os.environ["VMDOCKER_KNOWLEDGE_DIR"] = str(settings.knowledge_dir.resolve())
    # Several workers write their metrics to one folder, so /metrics in any of them sums all.
    shared = None
    if workers > 1 and not os.environ.get(MULTIPROC_DIR):
        shared = tempfile.mkdtemp(prefix="vmdocker-metrics-")
        os.environ[MULTIPROC_DIR] = shared
    log.info("serving Slack on http://%s:%d%s with %d worker(s)", host, port, EVENTS_PATH, workers)
    try:
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=settings.log_level.lower(),
            access_log=settings.log_level == "DEBUG",
            http=HeadTimeoutProtocol,
        )
    finally:
        if shared:
            shutil.rmtree(shared, ignore_errors=True)
