"""The Bolt app: one Web API client, verified requests, answered-once events, every listener.

`build_app` has no side effects: nothing is called on Slack until the first request (Bolt then
runs `auth.test` once to learn the bot's ids). The same app serves HTTP (`bot.server`) and
Socket Mode (`bot.socket_mode`). Listeners run after the ack (`process_before_response=False`):
both modes are long-running processes, so Slack always gets its ack well within 3 seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot import listeners
from bot.answers import Answers
from bot.config import Settings
from bot.listeners import onboarding
from bot.listeners.delivery import describe_api_error
from bot.memory import InProcessMemory, Memory
from bot.onboarding import Onboarding

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 2  # each waits for the Retry-After Slack sent with the 429


def build_client(settings: Settings) -> WebClient:
    """The Web API client: `SLACK_API_URL`, the bot token, and retries on HTTP 429."""
    client = WebClient(token=settings.slack_bot_token or None, base_url=settings.slack_api_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES))
    return client


def answer_each_event_once(memory: Memory) -> Callable[..., BoltResponse | None]:
    """Global middleware: Slack's retries (X-Slack-Retry-Num) carry the same event_id; only the
    first delivery is processed, the others are acknowledged and dropped."""

    def skip_seen_events(body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
        event_id = body.get("event_id")
        if isinstance(event_id, str) and not memory.claim_event(event_id):
            log.info("event %s already handled; acknowledged without answering again", event_id)
            return BoltResponse(status=200, body="")
        next()
        return None

    return skip_seen_events


def log_listener_error(error: Exception, body: dict[str, Any]) -> None:
    """Global error handler: name the Web API method and Slack's error code; keep serving."""
    if isinstance(error, SlackApiError):
        log.error("Slack API %s", describe_api_error(error))
    else:
        kind = body.get("type") or body.get("command") or "request"
        log.error("listener failed on %s: %r", kind, error, exc_info=error)


def build_app(
    settings: Settings,
    client: WebClient | None = None,
    answers: Answers | None = None,
    *,
    memory: Memory | None = None,
) -> App:
    """The vmdocker Bolt app.

    `client` defaults to `build_client(settings)`; `answers` to the knowledge in the settings;
    `memory` (event dedupe, question and vote records) to a bounded in-process one. Pass the
    store (`bot.store.open_store(settings)`) to dedupe and remember across workers.
    """
    answers = answers or Answers.from_settings(settings)
    memory = memory or InProcessMemory()
    app = App(
        client=client or build_client(settings),
        signing_secret=settings.slack_signing_secret,
        token_verification_enabled=False,
        process_before_response=False,
    )
    app.use(answer_each_event_once(memory))
    app.error(log_listener_error)
    listeners.register(app, answers, memory, admins=frozenset(settings.admin_user_ids))
    onboarding.register(app, settings=settings, onboarding=Onboarding(answers), memory=memory)
    return app
