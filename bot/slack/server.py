"""HTTP mode: the Bolt app behind Bolt's ASGI adapter, served by uvicorn worker processes.

Slack posts events, slash commands and interactivity to `POST /slack/events`; the edge verifies
each request's signature with SLACK_SIGNING_SECRET (a bad or missing one gets 401). `GET /healthz`
answers 200 once the knowledge is loaded. With installs through OAuth, `GET /slack/install` (the
"Add to Slack" page) and `GET /slack/oauth_redirect` (Slack sends people back there) go to
Bolt's OAuth flow: browsers send them, unsigned; the flow checks its own state instead.
Workers share nothing but the database (the store: the inbox of acked requests, questions,
votes, and installs): each one builds its own app through `create_app`. On SIGTERM uvicorn
stops taking requests; then each worker drains its inbox (`Inbox.drain`) for up to
DRAIN_GRACE_SECONDS before it exits, leaving what it could not finish for the next start.

Events, slash commands and button clicks are kept and acked here, at the edge, without a Bolt
dispatch (`item_of`), but for messages no person typed, which are only acked (`left_alone`):
under `vmdocker serve` each is handed to an answer process
(`bot.slack.handoff`), so a web worker answers only while none is up. Built alone
(`build_http_app` without an answer folder), the worker answers them all itself
(`bot.slack.inbox`), each once no request is being acknowledged (`AcksFirst`), since matching
and rendering would hold the GIL that acks need. Everything else (URL verification, modals,
shortcuts, OAuth) goes to Bolt.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from slack_bolt import App
from slack_bolt.adapter.asgi import SlackRequestHandler
from slack_bolt.adapter.asgi.http_request import AsgiHttpRequest
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import parse_body
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.config import Settings, load_settings
from bot.core.answers import Answers
from bot.logs import configure_logging
from bot.slack.app import (
    LISTENER_THREADS,
    build_app,
    build_client,
    freeze_long_lived_objects,
    inbox_for,
    load_answers,
    open_store_for,
    reload_on_hangup,
    serving_for,
)
from bot.slack.deps import Serving
from bot.slack.handoff import Handoff
from bot.slack.health import PROBE_PATHS, Readiness, answer_probe
from bot.slack.inbox import Inbox, item_of, left_alone
from bot.slack.jobs import start_jobs
from bot.slack.launch import ANSWER_DIR, EVENTS_PATH, die_with_parent
from bot.slack.metrics import ACK_SECONDS
from bot.store.records import InboxItem, utcnow

# Dispatch (signature check, middleware, the ack) never waits for a listener, but the first
# request of a worker waits for auth.test: on threads, it does not hold up the event loop.
DISPATCH_THREADS = 64
# Seconds a listener may wait for acks in progress. Measured on bench_http bursts of 50:
# 0 (no waiting) gave ack p99 85-214 ms, 0.05 gave 75-80 ms, 0.2 no better.
LISTENER_MAX_WAIT = 0.05
MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are a few kilobytes
BODY_TIMEOUT_S = 10.0  # for each part of a body: a client that stops sending is let go

T = TypeVar("T")
Scope = dict[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

log = logging.getLogger(__name__)


class AcksFirst:
    """Acks take precedence over listener work in this process.

    Python runs one thread at a time (the GIL): a listener matching or rendering an answer
    delays every ack still to be sent. Listener work therefore waits to start until no request
    is being acknowledged, for at most `max_wait` seconds so that it never starves.
    """

    def __init__(self, max_wait: float) -> None:
        self.max_wait = max_wait
        self._acking = 0
        self._none_acking = threading.Condition()

    @contextmanager
    def acking(self) -> Iterator[None]:
        """Around one request, from its arrival to its HTTP response."""
        with self._none_acking:
            self._acking += 1
        try:
            yield
        finally:
            with self._none_acking:
                self._acking -= 1
                if not self._acking:
                    self._none_acking.notify_all()

    def wait(self) -> None:
        with self._none_acking:
            self._none_acking.wait_for(lambda: not self._acking, timeout=self.max_wait)


class ListenerExecutor(ThreadPoolExecutor):
    """Bolt's `listener_executor`: each listener starts once `AcksFirst` lets it."""

    def __init__(self, threads: int, acks: AcksFirst) -> None:
        super().__init__(threads, thread_name_prefix="listener")
        self.acks = acks

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        def after_acks() -> T:
            self.acks.wait()
            return fn(*args, **kwargs)

        return super().submit(after_acks)


class ThreadedSlackRequestHandler(SlackRequestHandler):
    """Bolt's ASGI handler, dispatching off the event loop.

    The stock handler calls the synchronous `App.dispatch` on the loop; a worker's first
    dispatch waits for `auth.test`. On a thread, that wait holds up no other request.
    """

    def __init__(self, app: App, executor: ThreadPoolExecutor) -> None:
        super().__init__(app, path=EVENTS_PATH)
        self.executor = executor

    async def dispatch(self, request: AsgiHttpRequest) -> BoltResponse:
        return await self._off_the_loop(self.app.dispatch, request)

    async def handle_installation(self, request: AsgiHttpRequest) -> BoltResponse:
        assert self.app.oauth_flow is not None  # routed here only with OAuth
        return await self._off_the_loop(self.app.oauth_flow.handle_installation, request)

    async def handle_callback(self, request: AsgiHttpRequest) -> BoltResponse:
        assert self.app.oauth_flow is not None
        return await self._off_the_loop(self.app.oauth_flow.handle_callback, request)

    async def _off_the_loop(
        self, handle: Callable[[BoltRequest], BoltResponse], request: AsgiHttpRequest
    ) -> BoltResponse:
        """Run `handle` (it calls Slack or the database) on a dispatch thread."""
        bolt_request = BoltRequest(
            body=await request.get_raw_body(),
            query=request.query_string,
            headers=request.get_headers(),
        )
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, handle, bolt_request)


class Refused(Exception):
    """A request refused at the edge, before Bolt: its status and why (for one log line)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


async def read_body(scope: Scope, receive: Receive) -> bytes:
    """The request body, refused with 413 past MAX_BODY_BYTES: a declared length is refused
    before a byte is read, an undeclared one as soon as it passes the limit; 408 when the
    client stops sending for BODY_TIMEOUT_S."""
    headers = dict(scope.get("headers") or [])
    declared = headers.get(b"content-length", b"0")
    if not declared.isdigit():
        raise Refused(400, "content-length is not a number")
    if int(declared) > MAX_BODY_BYTES:
        raise Refused(413, f"declared body of {int(declared):,} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        try:
            message = await asyncio.wait_for(receive(), BODY_TIMEOUT_S)
        except TimeoutError:
            raise Refused(408, f"body stalled after {size:,} bytes") from None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Refused(413, f"body past {MAX_BODY_BYTES:,} bytes")
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def replay(body: bytes) -> Receive:
    """An ASGI `receive` that hands Bolt the body already read."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def parsed_payload(scope: Scope, body: bytes) -> dict[str, Any] | None:
    """A verified request's payload, parsed as Bolt parses it; None for a body that is none
    (not JSON, not UTF-8: Bolt says what is wrong with it)."""
    headers = dict(scope.get("headers") or [])
    content_type = headers.get(b"content-type", b"").decode("latin-1").split(";")[0] or None
    try:
        parsed = parse_body(body.decode(), content_type)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


class KeptTogether:
    """Requests are kept in batches by one writer thread: what arrives while a batch is being
    written goes in the next one. The event loop never waits for the store (SQLite's lock may
    be held by another process), and a request costs no hop of its own to a thread and back."""

    def __init__(self, keep_all: Callable[[list[InboxItem]], None]) -> None:
        self.keep_all = keep_all
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="keep")
        self._waiting: list[tuple[InboxItem, asyncio.Future[None]]] = []
        self._writing = False

    async def keep(self, item: InboxItem) -> None:
        """Return once `item` is committed (or raise what keeping it raised)."""
        kept = asyncio.get_running_loop().create_future()
        self._waiting.append((item, kept))
        if not self._writing:
            self._write_waiting()
        await kept

    def _write_waiting(self) -> None:
        batch, self._waiting = self._waiting, []
        self._writing = True
        loop = asyncio.get_running_loop()
        writing = loop.run_in_executor(self._writer, self.keep_all, [item for item, _ in batch])

        def written(done: asyncio.Future[None]) -> None:
            error = done.exception()
            for _, kept in batch:
                if kept.done():  # its request was cancelled (the client went away)
                    continue
                if error is None:
                    kept.set_result(None)
                else:
                    kept.set_exception(error)
            self._writing = False
            if self._waiting:
                self._write_waiting()

        writing.add_done_callback(written)


class HttpApp:
    """The ASGI application: the readiness probe; requests worth keeping kept (`keep`, with the
    others of their turn of the event loop) and acked; everything else to Bolt. The edge checks
    each first (size, then signature): a refused request costs one short log line, never its
    body, and never reaches Bolt. `inbox`, for what this process answers itself, is started and
    drained with the server."""

    def __init__(
        self,
        app: App,
        serving: Serving,
        acks: AcksFirst,
        signing_secret: str,
        readiness: Readiness,
        keep: Callable[[list[InboxItem]], None],
        inbox: Inbox,
        drain_grace: float,
    ) -> None:
        self.serving = serving
        self.kept = KeptTogether(keep)
        self.inbox = inbox
        self.drain_grace = drain_grace
        self.acks = acks
        self.readiness = readiness
        self.verifier = SignatureVerifier(signing_secret)
        flow = app.oauth_flow
        self.oauth_paths = {flow.install_path, flow.redirect_uri_path} if flow else set()
        self.slack = ThreadedSlackRequestHandler(
            app, ThreadPoolExecutor(DISPATCH_THREADS, thread_name_prefix="slack-dispatch")
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # lasts as long as the server
            await self._lifespan(receive, send)
        elif scope["type"] != "http":
            return
        elif scope["path"] in PROBE_PATHS:
            loop = asyncio.get_running_loop()  # /readyz may wait on Slack: off the event loop
            answer = await loop.run_in_executor(
                self.slack.executor, answer_probe, scope["method"], scope["path"], self.readiness
            )
            await _send_bytes(send, *answer)
        elif scope["path"] in self.oauth_paths and scope["method"] == "GET":
            await self.slack(scope, receive, send)  # Bolt's OAuth flow: unsigned, state-checked
        elif scope["path"] != EVENTS_PATH or scope["method"] != "POST":
            await _send(send, 404, {"error": "not found"})
        else:
            with self.acks.acking(), ACK_SECONDS.time():
                try:
                    body = await read_body(scope, receive)
                    self._verify(scope, body)
                except Refused as refused:
                    peer = (scope.get("client") or ["unknown"])[0]
                    log.warning("refused a request from %s: %s", peer, refused.reason)
                    await _send(send, refused.status, {"error": refused.reason})
                    return
                payload = parsed_payload(scope, body)
                if payload is not None and left_alone(payload):
                    await _send_bytes(send, 200, b"", "text/plain;charset=utf-8")
                    return
                item = item_of(payload, utcnow()) if payload is not None else None
                if item is None:
                    await self.slack(scope, replay(body), send)
                    return
                await self.kept.keep(item)
                await _send_bytes(send, 200, b"", "text/plain;charset=utf-8")

    def _verify(self, scope: Scope, body: bytes) -> None:
        """401 unless Slack signed `body` with our signing secret, recently."""
        headers = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope.get("headers") or []
        }
        try:
            valid = self.verifier.is_valid_request(body, headers)
        except (ValueError, TypeError):  # a timestamp that is no number
            valid = False
        if not valid:
            raise Refused(401, f"bad or missing signature ({len(body):,} bytes)")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """Start the inbox's sweeps with the server; drain it when the server stops (after
        uvicorn stopped taking requests)."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.inbox.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(None, self.inbox.drain, self.drain_grace)
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _send(send: Send, status: int, body: dict[str, Any]) -> None:
    await _send_bytes(send, status, json.dumps(body).encode(), "application/json")


async def _send_bytes(send: Send, status: int, payload: bytes, content_type: str) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", b"%d" % len(payload)),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def build_http_app(
    settings: Settings, answers: Answers | None = None, *, answer_dir: Path | None = None
) -> HttpApp:
    """The ASGI app for these settings; it is ready once this returns (knowledge loaded). With
    `answer_dir`, kept requests go to the answer processes whose sockets are there; without,
    this process answers them."""
    answers = answers or load_answers(settings)
    acks = AcksFirst(max_wait=LISTENER_MAX_WAIT)
    store = open_store_for(settings)
    client = build_client(settings)
    serving = serving_for(settings, answers, store, client)
    # Under serve, the answer processes take over items whose lease ran out: not the web workers.
    inbox = inbox_for(settings, store, takes_over=answer_dir is None)
    app = build_app(
        settings,
        client=client,
        serving=serving,
        listener_executor=ListenerExecutor(LISTENER_THREADS, acks),
        inbox=inbox,
    )
    keep, answerers = inbox.take_all, None
    if answer_dir is not None:
        handoff = Handoff(answer_dir, store, lease=inbox.lease, here=inbox.take_all)
        keep = handoff.take_all

        def answerers() -> int:
            return len(handoff.answerers())

    readiness = Readiness(serving, store, client, time.monotonic, answerers)
    return HttpApp(
        app,
        serving,
        acks,
        settings.slack_signing_secret,
        readiness,
        keep,
        inbox,
        drain_grace=settings.drain_grace_seconds,
    )


def create_app() -> HttpApp:
    """uvicorn's app factory: each web worker loads settings and knowledge on its own, and
    hands what it keeps to the answer processes of `vmdocker serve` (ANSWER_DIR)."""
    answer_dir = os.environ.get(ANSWER_DIR)
    if answer_dir:
        die_with_parent()
    settings = load_settings()
    configure_logging(settings)
    http_app = build_http_app(settings, answer_dir=Path(answer_dir) if answer_dir else None)
    reload_on_hangup(http_app.serving, settings)  # serve's parent passes SIGHUP on to each worker
    start_jobs(http_app.serving, http_app.readiness.client)
    freeze_long_lived_objects()
    return http_app
