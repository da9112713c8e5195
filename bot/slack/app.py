"""The Bolt app: one Web API client, verified requests, the inbox, every listener.

`build_app` has no side effects: nothing is called on Slack until the first request (Bolt then
runs `auth.test` once to learn the bot's ids). The same app serves HTTP (`bot.slack.server`) and
Socket Mode (`bot.slack.socket_mode`).

Acks never wait for work: every verified event, command and button click is kept in the inbox
and acked before any listener runs, by `vmdocker serve`'s web workers at the edge
(`bot.slack.server`) or else by the first global middleware (`bot.slack.inbox.Inbox.keep`).
The inbox then dispatches it (again, after the middleware) on the listener pool of the process
that answers it, where the app processes it before responding, so the inbox knows when its
work is done. Slack's retries of an event are told apart there too, across workers.
"""

from __future__ import annotations

import gc
import logging
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import timedelta
from types import FrameType
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.request.payload_utils import is_block_actions, is_slash_command
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.config import Settings
from bot.core.answers import Answers
from bot.core.knowledge import KnowledgeWatch
from bot.core.prepared import prepared_answers
from bot.slack import listeners
from bot.slack.delivery import describe_api_error
from bot.slack.deps import Deps, Serving, provide
from bot.slack.inbox import FAILURE, Inbox
from bot.slack.metrics import STORE_ERRORS
from bot.slack.oauth import Installs, oauth_for
from bot.slack.payloads import BadPayload
from bot.slack.webclient import KeepAliveWebClient, sdk_loggers_at_root_level
from bot.store.memory import InboxStore, InProcessMemory, SharedMemory
from bot.store.resilient import ResilientStore, open_store

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 2  # each waits for the Retry-After Slack sent with the 429
SERVER_ERROR_RETRIES = 2  # 5xx from Slack, with backoff
SLACK_TIMEOUT_S = 10  # per Web API call; a stuck call fails rather than holding a thread
# Listeners mostly wait on the Web API (a mention with a diagram makes four calls): Bolt's
# default pool of 5 threads would cap each process at 5 replies in progress. `serve` runs one
# answer process per web worker, each with this many; 16 each cost about 0.3 ms of CPU more per
# answer in threads waiting for the interpreter lock (benchmarks/bench_http.py), and left
# more writers waiting for SQLite's lock under a backlog. Twice PER_CHANNEL, so a slow channel
# leaves half of them to the others.
LISTENER_THREADS = 8


class _TokenCarriedByClient(logging.Filter):
    """Drops Bolt's warning that SLACK_BOT_TOKEN goes unused because a client was given too:
    Bolt reads that variable itself, and the client `build_client` makes carries that token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


TOKEN_CARRIED_BY_CLIENT = _TokenCarriedByClient()


def build_client(settings: Settings) -> WebClient:
    """The Web API client: `SLACK_API_URL`, the bot token, a timeout, connections kept open,
    and slack_sdk's retry handlers for HTTP 429 and 5xx (a dropped connection is retried by its
    default one). slack_sdk's loggers take the root logger's level (`sdk_loggers_at_root_level`):
    call this once logging is configured. Bolt's warning that the token goes unused is dropped."""
    sdk_loggers_at_root_level()
    logging.getLogger("slack_bolt.App").addFilter(TOKEN_CARRIED_BY_CLIENT)
    client = KeepAliveWebClient(
        token=settings.slack_bot_token or None,
        base_url=settings.slack_api_url,
        timeout=SLACK_TIMEOUT_S,
    )
    client.retry_handlers.extend(
        [
            RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
            ServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
        ]
    )
    return client


def load_answers(settings: Settings) -> Answers:
    """The knowledge folder and match thresholds the settings name, prepared before when they
    were (VMDOCKER_CACHE_DIR; raises KnowledgeError)."""
    return prepared_answers(
        settings.knowledge_dir,
        answer_threshold=settings.match_answer_threshold,
        suggest_threshold=settings.match_suggest_threshold,
        cache_dir=settings.cache_dir,
    )


def open_store_for(settings: Settings) -> ResilientStore:
    """The store at DATABASE_URL, with the settings' retention and question-text choice."""
    return open_store(
        settings.database_url,
        store_question_text=settings.store_question_text,
        retention_days=settings.retention_days,
        on_failure=lambda what: STORE_ERRORS.labels(what=what).inc(),
    )


def serving_for(
    settings: Settings,
    answers: Answers | None = None,
    memory: SharedMemory | None = None,
    client: WebClient | None = None,
) -> Serving:
    """What listeners get: the answers (the knowledge in the settings by default), the memory
    and the onboarding and learning settings. The memory defaults to a bounded in-process one,
    or to the store with installs through OAuth, whose tokens are kept there; `client` (default
    `build_client(settings)`) is then the one that exchanges codes and refreshes tokens."""
    oauth = None
    if settings.installs_through_oauth:
        memory = memory or open_store_for(settings)  # creates the installs' tables
        oauth = oauth_for(settings, client or build_client(settings))
    memory = memory or InProcessMemory()
    installs = Installs(
        store=oauth.settings.installation_store if oauth else None,
        memory=memory,
        delete_data=settings.delete_data_on_uninstall,
    )
    deps = Deps.build(
        answers or load_answers(settings),
        memory,
        onboarding_channels=settings.onboarding_channels,
        installs=installs,
        admins=settings.admin_user_ids,
        greeting=settings.onboarding_greeting,
        editors=settings.knowledge_editors,
        # Teaching needs the database: misses and taught wordings live there only.
        learning=memory if isinstance(memory, ResilientStore) else None,
        misses_channel=settings.misses_channel,
        experts_channel=settings.experts_channel if isinstance(memory, ResilientStore) else "",
    )
    return Serving(deps, memory, oauth=oauth)


def freeze_long_lived_objects() -> None:
    """Take everything allocated so far out of the garbage collector's sight (`gc.freeze()`).

    Called once the knowledge (entries, token indexes, the Home view) and the app are built:
    they live as long as the process, yet every full collection would walk them all again,
    holding the GIL while acks wait (a 138 ms one was seen inside a burst of 50 requests).
    """
    gc.freeze()


def reload_knowledge(serving: Serving, settings: Settings) -> None:
    """Load the knowledge again: only a valid knowledge base replaces the one serving
    (`Serving.reload`), and is frozen like the first."""
    if serving.reload(lambda: load_answers(settings)):
        freeze_long_lived_objects()


def reload_on_hangup(
    serving: Serving, settings: Settings, watch: KnowledgeWatch | None = None
) -> None:
    """SIGHUP reloads the knowledge in this process, off the signal handler (and tells `watch`,
    if any, that what is there now serves). A SIGHUP held back while this process started
    (`vmdocker serve` blocks it) comes now."""

    def reload_and_note() -> None:
        if watch is not None:
            watch.reloaded()
        reload_knowledge(serving, settings)

    def reload(signum: int, frame: FrameType | None) -> None:
        threading.Thread(target=reload_and_note, name="reload").start()

    signal.signal(signal.SIGHUP, reload)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGHUP})


def inbox_for(
    settings: Settings, memory: InboxStore, owner: str | None = None, *, takes_over: bool = True
) -> Inbox:
    """The inbox keeping requests in `memory` (the store), leased as the settings say, to
    `owner` (default: a name of its own); `takes_over` the items whose lease ran out."""
    return Inbox(
        memory,
        lease=timedelta(seconds=settings.inbox_lease_seconds),
        owner=owner,
        takes_over=takes_over,
    )


def acknowledge_first(body: dict[str, Any], ack: Ack, next: Callable[[], None]) -> None:
    """Global middleware: ack slash commands and button clicks before their listener runs.

    Their ack carries nothing (answers go to the response_url or the Web API), so the
    listeners need not ack; a listener that does anyway changes nothing. (The inbox acked
    these requests already; this is the ack of the inbox's own dispatch, which nobody reads.)
    """
    if is_slash_command(body) or is_block_actions(body):
        ack()
    next()


def log_listener_error(error: Exception, body: dict[str, Any], context: BoltContext) -> None:
    """Global error handler, the one place listener errors are logged: a malformed payload or a
    Slack API error in one line, anything else with its traceback. The request was acked; the
    error is left in its context for the inbox to decide whether to try again."""
    context[FAILURE] = error
    if isinstance(error, BadPayload):
        log.warning("ignored a malformed payload: %s", error)
    elif isinstance(error, SlackApiError):
        log.error("Slack API %s", describe_api_error(error))
    else:
        kind = body.get("type") or body.get("command") or "request"
        log.error("listener failed on %s: %r", kind, error, exc_info=error)


def build_app(
    settings: Settings,
    client: WebClient | None = None,
    answers: Answers | None = None,
    *,
    memory: SharedMemory | None = None,
    listener_executor: Executor | None = None,
    serving: Serving | None = None,
    inbox: Inbox | None = None,
) -> App:
    """The vmdocker Bolt app: one workspace's bot token, or installs in many through OAuth.

    `client` defaults to `build_client(settings)`; `answers` to the knowledge in the settings;
    `memory` (the inbox, question and vote records) to a bounded in-process one. Pass the
    store (`open_store_for(settings)`) to keep requests and remember across workers.
    `listener_executor` runs the listeners (default: `LISTENER_THREADS` threads). `inbox`
    defaults to one on the serving memory; pass one to start and drain it (`Inbox.start`).
    """
    client = client or build_client(settings)
    serving = serving or serving_for(settings, answers, memory, client)
    oauth = serving.oauth
    inbox = inbox or inbox_for(settings, serving.shared)
    executor = listener_executor or ThreadPoolExecutor(
        LISTENER_THREADS, thread_name_prefix="listener"
    )
    app = App(
        name="vmdocker",  # without one, Bolt reads the call stack for a file name (0.1 s)
        client=client,
        # An `Authorize` instance is taken as is (App's type hint names only functions).
        authorize=oauth.authorize if oauth else None,  # type: ignore[arg-type]
        oauth_settings=oauth.settings if oauth else None,
        signing_secret=settings.slack_signing_secret,
        token_verification_enabled=False,
        process_before_response=True,  # the inbox's dispatch returns once the work is done
        listener_executor=executor,
    )
    app.use(inbox.keep)
    app.use(acknowledge_first)
    app.use(provide(serving))
    app.error(log_listener_error)
    listeners.register(app)
    inbox.serve(app, executor)
    return app
