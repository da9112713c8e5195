"""Socket Mode: the Bolt app over a WebSocket Slack opens for us, no public URL needed.

Bolt's built-in Socket Mode client asks `apps.connections.open` (with the app-level token) for
a WebSocket URL, acknowledges every envelope by its `envelope_id`, and reconnects on its own.
Requests go through the same inbox as over HTTP: kept, acked, worked on, drained on stop.
With HEALTH_PORT set, the health probes of HTTP mode are answered on that port
(`bot.slack.health`).
"""

from __future__ import annotations

import logging
import signal
import time
from http.server import ThreadingHTTPServer
from types import FrameType

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from bot.config import Settings, SettingsError
from bot.core.answers import Answers
from bot.core.knowledge import KnowledgeWatch
from bot.slack.app import (
    build_app,
    build_client,
    freeze_long_lived_objects,
    inbox_for,
    open_store_for,
    reload_knowledge,
    reload_on_hangup,
    serving_for,
)
from bot.slack.deps import Serving
from bot.slack.health import Readiness, serve_probes
from bot.slack.inbox import Inbox
from bot.slack.jobs import Periodic, start_jobs
from bot.store.resilient import ResilientStore

log = logging.getLogger(__name__)


def socket_mode_handler(
    settings: Settings,
    answers: Answers,
    serving: Serving | None = None,
    client: WebClient | None = None,
    inbox: Inbox | None = None,
) -> SocketModeHandler:
    """The app (remembering in the store) and its Socket Mode connection, not yet connected."""
    serving = serving or serving_for(settings, answers, open_store_for(settings))
    app = build_app(settings, client=client, serving=serving, inbox=inbox)
    return SocketModeHandler(app, settings.slack_app_token, logger=log)


def start_probes(
    settings: Settings, serving: Serving, store: ResilientStore, client: WebClient
) -> ThreadingHTTPServer | None:
    """With HEALTH_PORT set, answer /healthz, /readyz and /metrics there (`serve_probes`).
    Raises SettingsError when that port cannot be listened on."""
    if settings.health_port is None:
        return None
    readiness = Readiness(serving, store, client, time.monotonic)
    try:
        return serve_probes(readiness, settings.health_host, settings.health_port)
    except OSError as error:
        where = f"{settings.health_host}:{settings.health_port}"
        raise SettingsError(f"HEALTH_PORT: cannot listen on {where}: {error.strerror}") from None


def watch_the_knowledge(watch: KnowledgeWatch, serving: Serving, settings: Settings) -> Periodic:
    """Look at the knowledge files every KNOWLEDGE_WATCH_SECONDS; reload once an edit settled."""

    def look() -> None:
        if watch.settled_change():
            log.info("the knowledge files changed")
            reload_knowledge(serving, settings)

    return Periodic("knowledge watch", settings.knowledge_watch_seconds, look).start()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_socket_mode(settings: Settings, answers: Answers) -> None:
    """Connect and serve until Ctrl-C or SIGTERM (a process manager's stop), then disconnect and
    drain the inbox. SIGHUP reloads the knowledge, as does an edit with KNOWLEDGE_WATCH_SECONDS;
    HEALTH_PORT, when set, answers the health probes."""
    store = open_store_for(settings)
    client = build_client(settings)
    serving = serving_for(settings, answers, store)
    inbox = inbox_for(settings, store)
    handler = socket_mode_handler(settings, answers, serving, client, inbox)
    probes = start_probes(settings, serving, store, client)
    signal.signal(signal.SIGTERM, _interrupt)
    watch = KnowledgeWatch(settings.knowledge_dir) if settings.knowledge_watch_seconds else None
    reload_on_hangup(serving, settings, watch)
    start_jobs(serving, client)
    if watch is not None:
        watch_the_knowledge(watch, serving, settings)
    freeze_long_lived_objects()
    log.info("connecting to Slack in Socket Mode")
    inbox.start()
    try:
        handler.start()  # type: ignore[no-untyped-call]  # slack_bolt leaves it unannotated
    finally:
        handler.close()  # type: ignore[no-untyped-call]
        inbox.drain(settings.drain_grace_seconds)
        if probes is not None:
            probes.shutdown()
            probes.server_close()
