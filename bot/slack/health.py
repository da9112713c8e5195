"""Health probes for operators: `/healthz` (alive), `/readyz` (ready to answer) and `/metrics`.

HTTP mode answers them on its own port (`bot.slack.server`). Socket Mode has no HTTP server
of its own: with HEALTH_PORT set, `serve_probes` answers the same three paths on that port.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple

from slack_sdk import WebClient

from bot.slack.deps import Serving
from bot.slack.metrics import exposition
from bot.store.resilient import ResilientStore

HEALTH_PATH = "/healthz"  # alive: the knowledge is loaded
READY_PATH = "/readyz"  # ready: knowledge, store and Slack all answer
METRICS_PATH = "/metrics"  # Prometheus text format
PROBE_PATHS = frozenset({HEALTH_PATH, READY_PATH, METRICS_PATH})
SLACK_CHECK_TTL_S = 30.0

Clock = Callable[[], float]

log = logging.getLogger(__name__)


class Readiness:
    """What `/readyz` checks: the knowledge is loaded, the store answers, and Slack answers
    `auth.test` (remembered for SLACK_CHECK_TTL_S, so probes cost Slack little). Under
    `vmdocker serve` it also says how many answer processes listen (`answerers`), which
    readiness does not wait for: until one is up, the web workers answer themselves."""

    def __init__(
        self,
        serving: Serving,
        store: ResilientStore,
        client: WebClient,
        clock: Clock,
        answerers: Callable[[], int] | None = None,
    ) -> None:
        self.serving = serving
        self.store = store
        self.client = client
        self.clock = clock
        self.answerers = answerers
        self._slack_ok = False
        self._slack_checked_at: float | None = None

    def slack_reachable(self) -> bool:
        """auth.test with the bot token; api.test without one (installs through OAuth have a
        token per workspace, none of its own)."""
        now = self.clock()
        if self._slack_checked_at is None or now - self._slack_checked_at > SLACK_CHECK_TTL_S:
            try:
                check = self.client.auth_test if self.client.token else self.client.api_test
                self._slack_ok = bool(check().get("ok"))
            except Exception as error:  # any failure to reach Slack means not ready
                log.warning("readiness: Slack not reachable: %r", error)
                self._slack_ok = False
            self._slack_checked_at = now
        return self._slack_ok

    def check(self) -> dict[str, Any]:
        knowledge = self.serving.deps.answers.knowledge
        found = {
            "version": knowledge.version,
            "entries": len(knowledge.entries),
            "store": self.store.ping(),
            "slack": self.slack_reachable(),
        }
        if self.answerers is not None:
            found["answer_processes"] = self.answerers()
        return found


class ProbeAnswer(NamedTuple):
    status: int
    body: bytes
    content_type: str


def json_answer(status: int, body: dict[str, Any]) -> ProbeAnswer:
    return ProbeAnswer(status, json.dumps(body).encode(), "application/json")


def answer_probe(method: str, path: str, readiness: Readiness) -> ProbeAnswer:
    """The answer to a probe at one of PROBE_PATHS (`/readyz` may wait on Slack: not on an
    event loop). 200 on `/readyz` only when the knowledge, the store and Slack all answer."""
    if method not in ("GET", "HEAD"):
        return json_answer(405, {"error": "method not allowed"})
    if path == METRICS_PATH:
        return ProbeAnswer(200, *exposition())
    if path == READY_PATH:
        found = readiness.check()
        ready = bool(found["entries"]) and found["store"] and found["slack"]
        return json_answer(200 if ready else 503, {"ready": ready, **found})
    entries = len(readiness.serving.deps.answers.knowledge.entries)
    return json_answer(200, {"status": "ok", "entries": entries})


class _ProbeHandler(BaseHTTPRequestHandler):
    readiness: Readiness

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in PROBE_PATHS:
            answer = answer_probe(self.command, path, self.readiness)
        else:
            answer = json_answer(404, {"error": "not found"})
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(answer.body)

    do_HEAD = do_POST = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("health port: " + format, *args)


def serve_probes(readiness: Readiness, host: str, port: int) -> ThreadingHTTPServer:
    """Answer the probes on `host:port` from a daemon thread until `shutdown()`."""
    handler = type("ProbeHandler", (_ProbeHandler,), {"readiness": readiness})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    log.info("health probes on http://%s:%d%s", host, server.server_port, HEALTH_PATH)
    return server
