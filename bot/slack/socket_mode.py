"""Socket Mode: the Bolt app over a WebSocket Slack opens for us, no public URL needed.

Bolt's built-in Socket Mode client asks `apps.connections.open` (with the app-level token) for
a WebSocket URL, acknowledges every envelope by its `envelope_id`, and reconnects on its own.
"""

from __future__ import annotations

import logging
import signal
from types import FrameType

from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.config import Settings
from bot.core.answers import Answers
from bot.slack.app import (
    build_app,
    freeze_long_lived_objects,
    open_store_for,
    reload_on_hangup,
    serving_for,
)
from bot.slack.deps import Serving

log = logging.getLogger(__name__)


def socket_mode_handler(
    settings: Settings, answers: Answers, serving: Serving | None = None
) -> SocketModeHandler:
    """The app (remembering in the store) and its Socket Mode connection, not yet connected."""
    serving = serving or serving_for(settings, answers, open_store_for(settings))
    app = build_app(settings, serving=serving)
    return SocketModeHandler(app, settings.slack_app_token, logger=log)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run_socket_mode(settings: Settings, answers: Answers) -> None:
    """Connect and serve until Ctrl-C or SIGTERM (a process manager's stop), then disconnect.
    SIGHUP reloads the knowledge."""
    serving = serving_for(settings, answers, open_store_for(settings))
    handler = socket_mode_handler(settings, answers, serving)
    signal.signal(signal.SIGTERM, _interrupt)
    reload_on_hangup(serving, settings)
    freeze_long_lived_objects()
    log.info("connecting to Slack in Socket Mode")
    try:
        handler.start()  # type: ignore[no-untyped-call]  # slack_bolt leaves it unannotated
    finally:
        handler.close()  # type: ignore[no-untyped-call]
