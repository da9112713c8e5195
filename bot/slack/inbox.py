"""The inbox: every verified event, slash command and button click is kept in the store before
it is acked, and marked done when its listener has run. Nothing Slack was told we received is
lost to a restart or a crash: Slack never resends what it got a 200 for.

`Inbox.keep` is global middleware (after Bolt's signature check): it writes the request to the
store, acks it and queues it (`take`; `vmdocker serve`'s web workers keep requests at the edge
instead and hand them to an answer process, whose inbox `accept`s them). A listener thread then
dispatches the kept payload through the app, marked as coming from the inbox and not verified
again (it was before it was kept); the app processes before it responds, so that dispatch
returns once the listener is done, and the item is marked done.

Each worker holds a lease on its items and renews it every few seconds; an item whose lease ran
out (its worker crashed, or stopped before starting it) is taken by the next sweep of any worker,
at start and then every few seconds. The one way to answer twice is a crash between a reply and
its mark, and a resumed answer first looks for one in its conversation. A slash command older
than a response_url lives is marked so (`response_url_expired`): its listener apologizes by DM.

Requests whose ack carries content (a modal's submission, a menu's options) and shortcuts, whose
trigger lasts 3 seconds, are not kept: they run at once. Messages no person typed (`left_alone`)
are only acked: no listener answers them.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from slack_bolt import Ack, App, BoltContext, BoltResponse
from slack_bolt.request import BoltRequest
from slack_bolt.request.payload_utils import is_block_actions, is_event, is_slash_command
from slack_sdk.errors import SlackApiError

from bot.slack.jobs import Periodic
from bot.slack.metrics import INBOX_DEPTH
from bot.slack.payloads import MessageEvent
from bot.store.memory import InboxStore
from bot.store.records import Admission, InboxItem, InboxKind, utcnow

log = logging.getLogger(__name__)

FROM_INBOX = "vmdocker_inbox_key"  # in a request's context: this dispatch works on a kept item
FAILURE = "vmdocker_failure"  # in a request's context: the error its listener raised
REPLY_SENT = "vmdocker_reply_sent"  # in a request's context: marks it done once its reply is out
RESUMED = "vmdocker_resumed"  # in a request's context: a stopped worker had it before
EXPIRED = "vmdocker_expired"  # in a command's context: its response_url no longer works
RESPONSE_URL_LIFETIME = timedelta(minutes=30)  # Slack's; a command older than this gets sorry
PER_CHANNEL = 4  # items of one channel worked on at once: a slow channel cannot take every thread
MAX_ATTEMPTS = 5  # for items whose listener failed to reach Slack; then they are given up
RETRY_AFTER = timedelta(seconds=30)  # times the attempt number
SWEEP_LIMIT = 50  # items taken over per sweep


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _id_in(value: object) -> str | None:
    """`value["id"]` for Slack's `{"id": ...}` objects, or the value itself when it is a string."""
    return _text(value.get("id")) if isinstance(value, dict) else _text(value)


def item_of(body: dict[str, Any], received_at: datetime) -> InboxItem | None:
    """The inbox item for a request worth keeping, or None: events by their event_id, commands
    and button clicks by their trigger_id."""
    kind: InboxKind
    if is_event(body):
        event = body["event"] if isinstance(body.get("event"), dict) else {}
        kind, key = "event", _text(body.get("event_id"))
        channel = _id_in(event.get("channel")) or _text(event.get("channel_id"))
        user = _id_in(event.get("user"))
    elif is_slash_command(body):
        kind, key = "command", _text(body.get("trigger_id"))
        channel, user = _text(body.get("channel_id")), _text(body.get("user_id"))
    elif is_block_actions(body):
        kind, key = "action", _text(body.get("trigger_id"))
        channel, user = _id_in(body.get("channel")), _id_in(body.get("user"))
    else:
        return None
    if key is None:
        return None  # nothing to tell a retry by: worked on at once, without a durable copy
    team = _text(body.get("team_id")) or _id_in(body.get("team"))
    return InboxItem(
        key=f"{kind}:{key}",
        kind=kind,
        team_id=team,
        channel_id=channel,
        user_id=user,
        body=json.dumps(body, ensure_ascii=False),
        received_at=received_at,
    )


def left_alone(body: dict[str, Any]) -> bool:
    """A `message` event no person typed (the bot's own replies, other bots, edits, deletions):
    every listener of messages wants a person's (`MessageEvent.from_a_person`), so it is acked
    without being kept or dispatched. With message.channels, the bot hears all its own replies."""
    event = body.get("event")
    if not is_event(body) or not isinstance(event, dict) or event.get("type") != "message":
        return False
    try:
        return not MessageEvent.model_validate(event).from_a_person
    except ValidationError:  # a shape no listener relies on
        return True


def reply_sent(context: BoltContext) -> None:
    """Mark the request a listener works on done as soon as its reply is out: if the worker
    stops during what follows (sharing the diagram), the question is not answered a second
    time by the worker that takes the request over."""
    mark = context.get(REPLY_SENT)
    if callable(mark):
        mark()


def response_url_expired(context: BoltContext) -> bool:
    """True for a slash command found too late (a restart) to answer through its response_url."""
    return bool(context.get(EXPIRED))


def was_resumed(context: BoltContext) -> bool:
    """True when a worker that stopped had this request before: it may have replied already."""
    return bool(context.get(RESUMED))


def is_transient(error: Exception) -> bool:
    """A failure to reach Slack that may pass: worth another attempt later."""
    if isinstance(error, SlackApiError):
        status = int(error.response.status_code)
        return status == 429 or status >= 500
    return isinstance(error, OSError)  # refused, reset, timed out (URLError is an OSError)


class Inbox:
    """Keeps, queues, resumes and drains this process's share of the inbox."""

    def __init__(
        self,
        memory: InboxStore,
        *,
        lease: timedelta = timedelta(seconds=30),
        clock: Callable[[], datetime] = utcnow,
        owner: str | None = None,
        takes_over: bool = True,
    ) -> None:
        self.memory = memory
        self.lease = lease
        self.takes_over = takes_over  # whether its sweeps take items whose lease ran out
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._clock = clock
        self._app: App | None = None
        self._executor: Executor | None = None
        self._lock = threading.Condition()
        self._started: dict[str, bool] = {}  # items of this process not yet done: started?
        self._lanes: dict[str | None, deque[InboxItem]] = {}
        self._running: dict[str | None, int] = {}
        self._finished = 0
        self._closed = False
        self._sweeper: Periodic | None = None

    def serve(self, app: App, executor: Executor) -> None:
        """Work on items by dispatching them to `app`, on `executor`'s threads."""
        self._app = app
        self._executor = executor

    # --- the middleware -----------------------------------------------------------

    def keep(
        self, body: dict[str, Any], ack: Ack, context: BoltContext, next: Callable[[], None]
    ) -> BoltResponse | None:
        """Global middleware: keep and ack a request worth keeping, and queue it; ack a
        message no person typed, and nothing more (`left_alone`); a request coming back from
        the inbox (or not worth keeping) goes on to its listener."""
        if FROM_INBOX in context:
            next()
            return None
        if left_alone(body):
            return ack()
        item = item_of(body, self._clock())
        if item is None:
            next()
            return None
        self.take(item)
        return ack()

    def take(self, item: InboxItem) -> None:
        """Keep `item`, leased to this process, and queue it; a key kept before (Slack's retry)
        is not worked on twice. Returns once it is committed: the caller may ack."""
        self._queue_if_first(item, self.memory.admit(item, owner=self.owner, lease=self.lease))

    def take_all(self, items: list[InboxItem]) -> None:
        """`take` for items that arrived together, kept in one transaction."""
        admissions = [Admission(item, self.owner, self.lease) for item in items]
        admitted = self.memory.admit_all(admissions)
        for item, first in zip(items, admitted, strict=True):
            self._queue_if_first(item, first)

    def _queue_if_first(self, item: InboxItem, first: bool) -> None:
        if first:
            self._queue(item)
        else:
            log.info("%s already received; not worked on twice", item.key)

    def accept(self, item: InboxItem) -> None:
        """Queue an item another process kept and leased to this one (`bot.slack.handoff`)."""
        self._queue(item)

    # --- working on items ---------------------------------------------------------

    def _queue(self, item: InboxItem) -> None:
        """Run `item` in its channel's lane: at most PER_CHANNEL of a channel's items at once."""
        channel = item.channel_id
        with self._lock:
            if self._closed or item.key in self._started:
                return  # closed: kept with our lease, for the next start
            self._started[item.key] = False
            self._lanes.setdefault(channel, deque()).append(item)
            if self._running.get(channel, 0) >= PER_CHANNEL:
                return
            self._running[channel] = self._running.get(channel, 0) + 1
        assert self._executor is not None, "Inbox.serve was not called"
        self._executor.submit(self._run_lane, channel)

    def _run_lane(self, channel: str | None) -> None:
        while True:
            with self._lock:
                lane = self._lanes.get(channel)
                if self._closed or not lane:
                    self._running[channel] -= 1
                    if not self._running[channel]:
                        del self._running[channel]
                        self._lanes.pop(channel, None)
                    return
                item = lane.popleft()
                self._started[item.key] = True
            try:
                self._work(item)
            except Exception as error:  # never let one item stop the lane
                log.error("inbox: working on %s failed: %r", item.key, error, exc_info=error)
            with self._lock:
                self._started.pop(item.key, None)
                self._finished += 1
                self._lock.notify_all()

    def _work(self, item: InboxItem) -> None:
        assert self._app is not None, "Inbox.serve was not called"
        if item.attempts > 1:
            log.warning(
                "inbox: resuming %s, received %s (attempt %d); a reply sent before its worker "
                "stopped is looked for in conversations, where Slack lets the bot read them",
                item.key,
                item.received_at.isoformat(timespec="seconds"),
                item.attempts,
            )
        replied = threading.Event()

        def reply_out() -> None:
            self.memory.finish(item.key, outcome="replied")
            replied.set()

        request = self._request(item, reply_out)
        self._app.dispatch(request)
        failure = request.context.get(FAILURE)
        if failure is None:
            if not replied.is_set():  # an item whose reply went out is done already
                self.memory.finish(item.key, outcome="done")
        elif is_transient(failure) and item.attempts < MAX_ATTEMPTS:
            after = RETRY_AFTER * item.attempts
            self.memory.release([item.key], after=after)
            log.warning("inbox: %s failed to reach Slack; trying again in %s", item.key, after)
        else:
            self.memory.finish(item.key, outcome="failed")

    def _request(self, item: InboxItem, reply_out: Callable[[], None]) -> BoltRequest:
        """The kept payload as a request to the app, marked as the inbox's (`reply_out` marks
        it done once its reply is out). Its signature was verified before it was kept, so it
        goes in as a Socket Mode request, which Bolt does not verify: signing it again for the
        check to pass cost CPU twice for nothing."""
        expired = self._clock() - item.received_at > RESPONSE_URL_LIFETIME
        context = {
            FROM_INBOX: item.key,
            REPLY_SENT: reply_out,
            RESUMED: item.attempts > 1,
            EXPIRED: item.kind == "command" and expired,
        }
        return BoltRequest(body=json.loads(item.body), context=context, mode="socket_mode")

    # --- resuming and draining ----------------------------------------------------

    def sweep(self) -> int:
        """Renew this worker's leases and take over items whose lease ran out (unless it does not
        take over); return how many were taken."""
        self.memory.renew(owner=self.owner, lease=self.lease)
        taken = (
            self.memory.claim_open(owner=self.owner, lease=self.lease, limit=SWEEP_LIMIT)
            if self.takes_over
            else []
        )
        for item in taken:
            self._queue(item)
        if taken:
            log.info("inbox: took over %d unfinished item(s)", len(taken))
        depth = self.memory.inbox_depth()
        if depth is not None:
            INBOX_DEPTH.set(depth)
        return len(taken)

    def start(self) -> None:
        """Sweep now (what a stopped worker left) and then every sixth of a lease."""
        every = self.lease.total_seconds() / 6
        self._sweeper = Periodic("inbox sweep", every, self.sweep).start()

    def drain(self, grace: float) -> tuple[int, int]:
        """Stop sweeping, let the items in progress finish for up to `grace` seconds, and give
        back the ones not started, for the next start; return (finished, left)."""
        if self._sweeper is not None:
            self._sweeper.stop()
        with self._lock:
            log.info("inbox draining: %d item(s) for up to %g s", len(self._started), grace)
            finished_before = self._finished
            self._lock.wait_for(lambda: not self._started, timeout=grace)
            self._closed = True
            not_started = [key for key, started in self._started.items() if not started]
            left = len(self._started)
            finished = self._finished - finished_before
        self.memory.release(not_started)
        log.info(
            "inbox drained: %d item(s) finished during shutdown, %d left for the next start",
            finished,
            left,
        )
        return finished, left
