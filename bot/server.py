"""HTTP mode: the Bolt app behind Bolt's ASGI adapter, served by uvicorn worker processes.

Slack posts events, slash commands and interactivity to `POST /slack/events`; Bolt verifies each
request's signature with SLACK_SIGNING_SECRET (a bad or missing one gets 401). `GET /healthz`
answers 200 once the knowledge is loaded. Workers share nothing but the database (the store:
answered event ids, questions, votes): each one builds its own app through `create_app`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import uvicorn
from slack_bolt import App
from slack_bolt.adapter.asgi import SlackRequestHandler
from slack_bolt.adapter.asgi.http_request import AsgiHttpRequest
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from bot.answers import Answers
from bot.app import build_app
from bot.config import Settings, load_settings
from bot.store import open_store

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
APP_FACTORY = "bot.server:create_app"
# Each in-flight request holds a thread only until its listener calls ack(); Slack waits 3 s.
DISPATCH_THREADS = 64

Scope = dict[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger(__name__)


class ThreadedSlackRequestHandler(SlackRequestHandler):
    """Bolt's ASGI handler, dispatching off the event loop.

    The stock handler calls the synchronous `App.dispatch` on the loop, and dispatch waits for
    the listener's ack; on a thread, one slow request no longer holds up every other one.
    """

    def __init__(self, app: App, executor: ThreadPoolExecutor) -> None:
        super().__init__(app, path=EVENTS_PATH)
        self.executor = executor

    async def dispatch(self, request: AsgiHttpRequest) -> BoltResponse:
        bolt_request = BoltRequest(
            body=await request.get_raw_body(),
            query=request.query_string,
            headers=request.get_headers(),
        )
        loop = asyncio.get_running_loop()
        response: BoltResponse = await loop.run_in_executor(
            self.executor, self.app.dispatch, bolt_request
        )
        return response


class HttpApp:
    """The ASGI application: the readiness probe, and everything else to Bolt."""

    def __init__(self, app: App, answers: Answers) -> None:
        self.answers = answers
        self.slack = ThreadedSlackRequestHandler(
            app, ThreadPoolExecutor(DISPATCH_THREADS, thread_name_prefix="slack-dispatch")
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == HEALTH_PATH:
            await self._health(scope, send)
            return
        await self.slack(scope, receive, send)

    async def _health(self, scope: Scope, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await _send(send, 405, {"error": "method not allowed"})
            return
        await _send(send, 200, {"status": "ok", "entries": len(self.answers.knowledge.entries)})


async def _send(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(payload))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def build_http_app(settings: Settings, answers: Answers | None = None) -> HttpApp:
    """The ASGI app for these settings; it is ready once this returns (knowledge loaded)."""
    answers = answers or Answers.from_settings(settings)
    app = build_app(settings, answers=answers, memory=open_store(settings))
    return HttpApp(app, answers)


def create_app() -> HttpApp:
    """uvicorn's app factory: each worker process loads settings and knowledge on its own."""
    settings = load_settings()
    logging.basicConfig(level=settings.log_level, format="%(levelname)s %(name)s: %(message)s")
    return build_http_app(settings)


def serve(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Run uvicorn until interrupted; the caller has already validated settings and knowledge."""
    # Workers read their settings from the environment: pin the folder the parent validated.
    os.environ["VMDOCKER_KNOWLEDGE_DIR"] = str(settings.knowledge_dir.resolve())
    log.info("serving Slack on http://%s:%d%s with %d worker(s)", host, port, EVENTS_PATH, workers)
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=settings.log_level == "DEBUG",
    )
