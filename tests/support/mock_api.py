"""A local stand-in for Slack's Web API: a real HTTP server that records calls, answers like Slack.

Point `WebClient(base_url=mock.api_url)` at it. Besides `/api/<method>` it serves the
`response_url`s (`mock.response_url()`) and file upload URLs it hands out, so every request the
app makes stays on 127.0.0.1. Any call can be made to fail on demand with `mock.fail(...)`.

Installs through OAuth: `mock.approve(...)` is a person approving an install in their workspace;
it returns the `code` Slack would send back to the redirect URL. `oauth.v2.access` exchanges it
for that workspace's bot token (and a refresh token when rotating), and `auth.test` with a token
answers for the workspace it belongs to.
"""

from __future__ import annotations

import itertools
import json
import sys
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import Enum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

BOT_USER_ID = "U0BOT00001"
BOT_ID = "B0BOT00001"
TEAM_ID = "T0TEAM0001"

RESPONSE_URL = "response_url"  # the `method` recorded for POSTs to a response_url
UPLOAD = "file_upload"  # the `method` recorded for the upload POST of files_upload_v2

Json = dict[str, Any]

POLL_INTERVAL_S = 0.01  # how soon stop() returns; the default half second adds up
ROTATED_TOKEN_LIFETIME_S = 12 * 3600
HOLD_LIMIT_S = 10.0  # a held call is answered after this even if never released


class Failure(Enum):
    """Ways a call can fail, as Slack fails them."""

    RATE_LIMITED = "rate_limited"  # HTTP 429 with Retry-After
    INVALID_BLOCKS = "invalid_blocks"  # HTTP 200, {"ok": false, "error": "invalid_blocks"}
    SERVER_ERROR = "server_error"  # HTTP 500
    CHANNEL_NOT_FOUND = "channel_not_found"  # HTTP 200, {"ok": false, "error": ...}


@dataclass(frozen=True)
class Call:
    """One request that reached the mock: the API method (or RESPONSE_URL/UPLOAD) and its body."""

    method: str
    path: str
    body: Json
    headers: dict[str, str]
    answered: int = 200  # the HTTP status the mock answered with

    @property
    def blocks(self) -> list[Json] | None:
        blocks = self.body.get("blocks")
        if blocks is None and isinstance(self.body.get("view"), dict):
            blocks = self.body["view"].get("blocks")
        return blocks if isinstance(blocks, list) else None

    @property
    def attachments(self) -> list[Json]:
        """The message's `attachments` (where its table travels); empty when it has none."""
        attachments = self.body.get("attachments")
        return attachments if isinstance(attachments, list) else []


@dataclass(frozen=True)
class Install:
    """A workspace (or, org-wide, an Enterprise Grid org) that approved an install."""

    team_id: str | None
    installer: str = "U0INSTALL1"
    enterprise_id: str | None = None
    expires_in: int | None = None  # token rotation on: seconds the token lasts; a refresh token

    @property
    def org_wide(self) -> bool:
        return self.team_id is None


@dataclass
class _Planned:
    failure: Failure
    retry_after: int


@dataclass
class MockSlack:
    """The mock server; use as a context manager or call `start()`/`stop()`."""

    host: str = "127.0.0.1"
    calls: list[Call] = field(default_factory=list)
    _failures: dict[str, deque[_Planned]] = field(default_factory=lambda: defaultdict(deque))
    _answers: dict[str, Callable[[Json], Json]] = field(default_factory=dict)
    latency: float = 0.0  # seconds every call takes (a slow Slack), for benchmarks
    _holds: dict[str, threading.Event] = field(default_factory=dict)
    _posted: list[Json] = field(default_factory=list)  # what chat.postMessage posted
    _held: int = 0
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _codes: dict[str, Install] = field(default_factory=dict)  # approved, not yet exchanged
    tokens: dict[str, Install] = field(default_factory=dict)  # every token handed out
    _refresh: dict[str, Install] = field(default_factory=dict)

    # --- lifecycle ---------------------------------------------------------

    def start(self) -> MockSlack:
        handler = type("Handler", (_Handler,), {"mock": self})
        self._server = _QuietServer((self.host, 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(POLL_INTERVAL_S,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> MockSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server, "start() the mock first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        """The `base_url` for `WebClient` (and `SLACK_API_URL`)."""
        return f"{self.base_url}/api/"

    def response_url(self, name: str = "cmd") -> str:
        """A `response_url` served by this mock, as Slack puts in commands and actions."""
        return f"{self.base_url}/response/{name}"

    # --- test controls -----------------------------------------------------

    def reset(self) -> None:
        """Forget recorded calls, planned failures and custom answers (between tests)."""
        with self._changed:
            self.calls.clear()
            self._failures.clear()
            self._answers.clear()
            self._posted.clear()
            for release in self._holds.values():
                release.set()
            self._holds.clear()
            self._codes.clear()
            self.tokens.clear()
            self._refresh.clear()

    def fail(self, method: str, failure: Failure, *, times: int = 1, retry_after: int = 0) -> None:
        """Make the next `times` calls to `method` fail; `retry_after` is the 429's wait in s."""
        with self._changed:
            for _ in range(times):
                self._failures[method].append(_Planned(failure, retry_after))

    def hold(self, channel: str) -> threading.Event:
        """Calls about `channel` wait unanswered until the returned event is set (at most
        HOLD_LIMIT_S): Slack slow for one channel. `wait_held` sees them waiting."""
        release = threading.Event()
        with self._changed:
            self._holds[channel] = release
        return release

    def wait_held(self, count: int, timeout: float = 5.0) -> None:
        """Block until `count` calls are waiting on a `hold`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._held < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} held call(s), saw {self._held}")
                self._changed.wait(left)

    def _wait_if_held(self, body: Json) -> None:
        with self._changed:
            release = self._holds.get(str(body.get("channel")))
            if release is None:
                return
            self._held += 1
            self._changed.notify_all()
        release.wait(HOLD_LIMIT_S)
        with self._changed:
            self._held -= 1

    def answer(self, method: str, build: Callable[[Json], Json]) -> None:
        """Answer `method` with `build(request_body)` instead of the built-in answer."""
        self._answers[method] = build

    def approve(self, install: Install) -> str:
        """Someone approved the install; the `code` Slack appends to the redirect URL."""
        code = f"code-{next(self._ids)}"
        with self._changed:
            self._codes[code] = install
        return code

    def token_of(self, call: Call) -> str:
        """The token a call was made with (its Authorization header)."""
        return call.headers.get("authorization", "").removeprefix("Bearer ")

    def _exchange(self, body: Json) -> Json:
        """oauth.v2.access: a code for a new install's token, or a refresh token for a new one."""
        with self._changed:
            if body.get("grant_type") == "refresh_token":
                install = self._refresh.pop(str(body.get("refresh_token")), None)
                if install is not None:  # a refreshed token lasts Slack's 12 hours
                    install = replace(install, expires_in=ROTATED_TOKEN_LIFETIME_S)
            else:
                install = self._codes.pop(str(body.get("code")), None)
            if install is None:
                return {"ok": False, "error": "invalid_code"}
            token = f"xoxb-{install.team_id or install.enterprise_id}-{next(self._ids)}"
            self.tokens[token] = install
            answer: Json = {
                "ok": True,
                "access_token": token,
                "token_type": "bot",
                "scope": "chat:write,commands",
                "bot_user_id": BOT_USER_ID,
                "app_id": "A0VMDOCKER",
                "team": {"id": install.team_id, "name": "Team"} if install.team_id else None,
                "enterprise": (
                    {"id": install.enterprise_id, "name": "Org"} if install.enterprise_id else None
                ),
                "authed_user": {"id": install.installer},
                "is_enterprise_install": install.org_wide,
            }
            if install.expires_in is not None:
                refresh = f"xoxe-1-{next(self._ids)}"
                self._refresh[refresh] = install
                answer |= {"refresh_token": refresh, "expires_in": install.expires_in}
            return answer

    def _auth_test(self, token: str) -> Json:
        """auth.test for the workspace a handed-out token belongs to (the default one else)."""
        install = self.tokens.get(token)
        if install is None:
            return {**AUTH_TEST, "team_id": TEAM_ID}
        return {
            **AUTH_TEST,
            "team_id": install.team_id,
            "enterprise_id": install.enterprise_id,
            "is_enterprise_install": install.org_wide,
        }

    def calls_to(self, method: str) -> list[Call]:
        with self._changed:
            return [call for call in self.calls if call.method == method]

    def sent(self) -> list[Call]:
        """Every call that delivers something to people (messages, views, response_url posts)."""
        with self._changed:
            return [call for call in self.calls if call.method in DELIVERIES]

    def deliveries_to(self, channel: str, timeout: float = 10.0, *, count: int = 1) -> list[Call]:
        """Block until `count` things reached people in `channel` (a message, or a post to that
        channel's response_url); return all of it."""

        def to_channel(call: Call) -> bool:
            return call.method in DELIVERIES and (
                call.body.get("channel") == channel or call.path.endswith(f"/{channel}")
            )

        return self._wait(to_channel, count, f"fewer than {count} reached {channel}", timeout)

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until `count` calls to `method` were answered (listeners run after the ack)."""
        expected = f"expected {count} call(s) to {method}"
        return self._wait(lambda call: call.method == method, count, expected, timeout)

    def _wait(
        self, wanted: Callable[[Call], bool], count: int, failure: str, timeout: float
    ) -> list[Call]:
        """Block until `count` recorded calls are `wanted`; fail with `failure` after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [call for call in self.calls if wanted(call)]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [call.method for call in self.calls]
                    raise AssertionError(f"{failure}; saw {seen}")
                self._changed.wait(left)

    # --- serving -----------------------------------------------------------

    def _record(self, call: Call) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _planned_failure(self, method: str) -> _Planned | None:
        with self._changed:
            queue = self._failures.get(method)
            return queue.popleft() if queue else None

    def _history(self, body: Json) -> list[Json]:
        """The bot's messages posted in a channel (conversations.history) or in one thread
        (conversations.replies: `ts` is the thread), newer than `oldest`."""
        thread = body.get("ts")
        oldest = float(body.get("oldest") or 0)
        return [
            message
            for message in list(self._posted)
            if message["channel"] == body.get("channel")
            and message["thread_ts"] == thread
            and float(message["ts"]) > oldest
        ]

    def _ts(self) -> str:
        """Later than any test event's ts (`signed.next_ts`): the bot's replies come after."""
        return f"1720000000.{next(self._ids):06d}"

    def _builtin_answer(self, method: str, body: Json, token: str) -> Json:
        custom = self._answers.get(method)
        if custom:
            return custom(body)
        refusal = _table_refusal(body) if method in MESSAGE_METHODS else None
        if refusal:
            return {"ok": False, "error": refusal}
        channel = str(body.get("channel", "C0CHANNEL1"))
        user = str(body.get("user", body.get("users", "U0PERSON01")))
        match method:
            case "auth.test":
                return self._auth_test(token)
            case "oauth.v2.access":
                return self._exchange(body)
            case "api.test":
                return {"ok": True}
            case "chat.postMessage" | "chat.update":
                ts = str(body.get("ts") or self._ts())
                message = {"type": "message", "text": body.get("text", ""), "ts": ts}
                if method == "chat.postMessage":
                    posted = {**message, "user": BOT_USER_ID, "channel": channel}
                    self._posted.append({**posted, "thread_ts": body.get("thread_ts")})
                return {"ok": True, "channel": channel, "ts": ts, "message": message}
            case "chat.postEphemeral":
                return {"ok": True, "message_ts": self._ts()}
            case "views.open":
                view = body.get("view")
                view = json.loads(view) if isinstance(view, str) else view
                return {"ok": True, "view": {"id": f"V{next(self._ids):08d}", **(view or {})}}
            case "conversations.replies" | "conversations.history":
                return {"ok": True, "messages": self._history(body), "has_more": False}
            case "usergroups.users.list":
                return {"ok": True, "users": []}
            case "chat.getPermalink":
                ts = str(body.get("message_ts", "")).replace(".", "")
                link = f"https://example.slack.com/archives/{channel}/p{ts}"
                return {"ok": True, "channel": channel, "permalink": link}
            case "views.publish":
                view = body.get("view")
                view = json.loads(view) if isinstance(view, str) else view
                return {"ok": True, "view": {"id": f"V{next(self._ids):08d}", **(view or {})}}
            case "conversations.open":
                return {"ok": True, "channel": {"id": "D" + user.split(",")[0][1:]}}
            case "conversations.info":
                return {
                    "ok": True,
                    "channel": {"id": channel, "name": "general", "is_member": True},
                }
            case "conversations.list":
                return {
                    "ok": True,
                    "channels": [{"id": "C0CHANNEL1", "name": "general", "is_member": True}],
                    "response_metadata": {"next_cursor": ""},
                }
            case "users.info":
                return {
                    "ok": True,
                    "user": {
                        "id": user,
                        "name": "pat",
                        "real_name": "Pat Example",
                        "is_bot": False,
                        "tz": "Europe/Paris",
                        "profile": {"display_name": "pat", "real_name": "Pat Example"},
                    },
                }
            case "files.getUploadURLExternal":
                file_id = f"F{next(self._ids):08d}"
                return {
                    "ok": True,
                    "upload_url": f"{self.base_url}/upload/{file_id}",
                    "file_id": file_id,
                }
            case "files.completeUploadExternal":
                files = body.get("files")
                files = json.loads(files) if isinstance(files, str) else files or []
                return {
                    "ok": True,
                    "files": [{"id": f["id"], "title": f.get("title", "")} for f in files],
                }
            case (
                "assistant.threads.setSuggestedPrompts"
                | "assistant.threads.setTitle"
                | "assistant.threads.setStatus"
                | "functions.completeSuccess"
                | "functions.completeError"
            ):
                return {"ok": True}
            case _:
                return {"ok": False, "error": "unknown_method"}


AUTH_TEST: Json = {
    "ok": True,
    "url": "https://example.slack.com/",
    "team": "Example",
    "user": "vmdocker",
    "user_id": BOT_USER_ID,
    "bot_id": BOT_ID,
    "is_enterprise_install": False,
}

DELIVERIES = frozenset(
    {"chat.postMessage", "chat.postEphemeral", "chat.update", "views.publish", RESPONSE_URL}
)
MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update"})


def _table_refusal(body: Json) -> str | None:
    """Slack's error for a misplaced table: `invalid_blocks` for a table in `blocks` (a message
    carries its table in `attachments`), `invalid_attachments` for more than one table."""
    blocks = body.get("blocks")
    if isinstance(blocks, list) and any(
        isinstance(b, dict) and b.get("type") == "table" for b in blocks
    ):
        return "invalid_blocks"
    attachments = body.get("attachments")
    tables = [
        block
        for attachment in (attachments if isinstance(attachments, list) else [])
        if isinstance(attachment, dict)
        for block in attachment.get("blocks", [])
        if isinstance(block, dict) and block.get("type") == "table"
    ]
    return "invalid_attachments" if len(tables) > 1 else None


def _parse_body(raw: bytes, content_type: str) -> Json:
    if content_type.startswith("application/json"):
        parsed = json.loads(raw or b"{}")
        return parsed if isinstance(parsed, dict) else {"_json": parsed}
    if content_type.startswith("application/x-www-form-urlencoded"):
        form: Json = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        for key in ("blocks", "view", "attachments", "files"):
            if isinstance(form.get(key), str) and form[key][:1] in "[{":
                form[key] = json.loads(form[key])
        return form
    return {"_bytes": len(raw)}


class _QuietServer(ThreadingHTTPServer):
    """Says nothing when a client hung up before its answer (a bot process killed mid-call)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    mock: MockSlack
    protocol_version = "HTTP/1.1"
    # Its headers and body go out in two writes: with Nagle's algorithm, a client that keeps its
    # connection open (as the bot's does) would wait for a delayed ACK, 40 ms, on every call.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests read `mock.calls`, not the access log."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        content_type = self.headers.get("Content-Type", "")
        is_upload = self.path.startswith("/upload/")
        body = {"_bytes": len(raw)} if is_upload else _parse_body(raw, content_type)
        headers = {key.lower(): value for key, value in self.headers.items()}
        if self.path.startswith("/api/"):
            method = self.path[len("/api/") :].split("?")[0]
            if "token" in body and "authorization" not in headers:
                headers["authorization"] = f"Bearer {body.pop('token')}"
        elif self.path.startswith("/response/"):
            method = RESPONSE_URL
        elif is_upload:
            method = UPLOAD
        else:
            self._send(404, {"ok": False, "error": "not_found"}, Call("", self.path, body, headers))
            return
        call = Call(method, self.path, body, headers)
        self.mock._wait_if_held(body)
        if self.mock.latency:
            time.sleep(self.mock.latency)
        planned = self.mock._planned_failure(method)
        if planned is not None:
            self._fail(planned, call)
        elif method == RESPONSE_URL:
            self._send_text(200, "ok", call)
        elif method == UPLOAD:
            self._send_text(200, f"OK - {len(raw)}", call)
        else:
            token = self.mock.token_of(call)
            self._send(200, self.mock._builtin_answer(method, body, token), call)

    def do_GET(self) -> None:
        self.do_POST()

    def _fail(self, planned: _Planned, call: Call) -> None:
        match planned.failure:
            case Failure.RATE_LIMITED:
                self._send(
                    429,
                    {"ok": False, "error": "ratelimited"},
                    call,
                    {"Retry-After": str(planned.retry_after)},
                )
            case Failure.INVALID_BLOCKS | Failure.CHANNEL_NOT_FOUND:
                self._send(200, {"ok": False, "error": planned.failure.value}, call)
            case Failure.SERVER_ERROR:
                self._send_text(500, "Internal Server Error", call)

    def _send(
        self, status: int, payload: Json, call: Call, extra: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        self._write(status, data, "application/json; charset=utf-8", call, extra)

    def _send_text(self, status: int, text: str, call: Call) -> None:
        self._write(status, text.encode(), "text/plain; charset=utf-8", call, None)

    def _write(
        self,
        status: int,
        data: bytes,
        content_type: str,
        call: Call,
        extra: dict[str, str] | None,
    ) -> None:
        if call.method:  # recorded before answering, so the caller never outruns the record
            self.mock._record(
                Call(call.method, call.path, call.body, call.headers, answered=status)
            )
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()
