"""`vmdocker serve`'s first process: it binds the port, starts the web workers (uvicorn's, with
`bot.slack.server:create_app` in each) and as many answer processes (`bot.slack.answering`),
starts again any that dies, and stops them all on SIGTERM: the web workers first, then the
answer processes, which drain. On SIGHUP (or an edit, with KNOWLEDGE_WATCH_SECONDS) every one
of them reloads the knowledge in place, once this process has found it valid. Web workers only
verify, keep and ack (`bot.slack.handoff`); the answer processes run at a lower CPU priority,
so answering never delays an ack for the cores.

This process serves no request, so it imports uvicorn and the knowledge loader (the command
line has checked the knowledge with it already), and nothing of Bolt, SQLAlchemy or the store:
each child imports what it works with, and they start the sooner. The HTTP protocol
the workers run is here too, so this process can name it without importing the app.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from socket import socket

import uvicorn
from prometheus_client import multiprocess
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.supervisors.multiprocess import Multiprocess

from bot.config import Settings
from bot.core.knowledge import KnowledgeError, KnowledgeWatch, load_knowledge

APP_FACTORY = "bot.slack.server:create_app"
EVENTS_PATH = "/slack/events"  # where Slack posts events, commands and interactivity
HEAD_TIMEOUT_S = 10.0  # for a request's line and headers, from connect or the last response
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"  # the workers' shared metrics folder
ANSWER_DIR = "VMDOCKER_ANSWER_DIR"  # where the answer processes' sockets are
SERVE_PID = "VMDOCKER_SERVE_PID"  # the process the children die with
ANSWER_PROCESS = [sys.executable, "-m", "bot.slack.answering"]
ANSWER_NICENESS = 10  # the answer processes' CPU priority, below the web workers'
STOP_MARGIN_S = 5.0  # past their drain grace, answer processes still running are killed
PR_SET_PDEATHSIG = 1  # prctl(2)

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


def die_with_parent() -> None:
    """Have Linux kill this child of `vmdocker serve` when the serve process dies, even by
    `kill -9`: an orphan would go on working beside the next start. Elsewhere, nothing."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except AttributeError:
        return
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if str(os.getppid()) != os.environ.get(SERVE_PID, str(os.getppid())):
        os._exit(1)  # the serve process died before the line above


@contextmanager
def hangups_held() -> Iterator[None]:
    """SIGHUP blocked while children start: they inherit the block and lift it once they
    handle the signal (`reload_on_hangup`), so one sent meanwhile has them reload then rather
    than kill them, SIGHUP's default. This process's own waits until the block is lifted."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGHUP})


class AnswerProcesses:
    """The answer processes: started at a lower priority, started again when one dies (its
    socket removed, its items left to the others' sweeps), stopped after the web workers."""

    def __init__(self, count: int, folder: Path, drain_grace: float) -> None:
        self.count = count
        self.folder = folder
        self.drain_grace = drain_grace
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        self.processes = [self._spawn() for _ in range(self.count)]

    def _spawn(self) -> subprocess.Popen[bytes]:
        with hangups_held():
            process = subprocess.Popen(ANSWER_PROCESS)
        with suppress(OSError):  # exited already: keep_alive will see it
            os.setpriority(os.PRIO_PROCESS, process.pid, ANSWER_NICENESS)
        return process

    def keep_alive(self) -> None:
        for index, process in enumerate(self.processes):
            if process.poll() is None:
                continue
            code = process.returncode
            log.warning("answer process %d exited (%d); starting another", process.pid, code)
            for left in self.folder.glob(f"{process.pid}-*"):
                left.unlink(missing_ok=True)
            self.processes[index] = self._spawn()

    def signal(self, signum: int) -> None:
        for process in self.processes:
            with suppress(ProcessLookupError):
                process.send_signal(signum)

    def stop(self) -> None:
        """SIGTERM: each drains for up to the grace, and is killed if it is still there after."""
        self.signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(self.drain_grace + STOP_MARGIN_S)
            except subprocess.TimeoutExpired:
                log.error("answer process %d did not stop; killed", process.pid)
                process.kill()
                process.wait()


class Supervisor(Multiprocess):
    """uvicorn's supervisor of the web workers, keeping the answer processes beside them."""

    def __init__(
        self,
        config: uvicorn.Config,
        sockets: list[socket],
        answerers: AnswerProcesses,
        knowledge: Path,
        watch_every: float = 0,
    ) -> None:
        super().__init__(config, sockets)
        self.answerers = answerers
        self.knowledge = knowledge
        self.children: set[int] = set()  # the pids seen at the last look
        self.watch = KnowledgeWatch(knowledge) if watch_every else None
        self.watch_every = watch_every
        self.next_look = time.monotonic() + watch_every

    def init_processes(self) -> None:
        """The web workers first, the answer processes once those serve: starting together,
        they would take cores from the web workers on their way to ready."""
        with hangups_held():
            super().init_processes()
        for process in self.processes:
            process.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit)
        self.answerers.start()
        self.forget_the_gone()  # nothing is gone yet: this notes who is here

    def keep_subprocess_alive(self) -> None:
        with hangups_held():
            super().keep_subprocess_alive()
        if not self.should_exit.is_set():
            self.answerers.keep_alive()
        self.forget_the_gone()
        self.look_at_the_knowledge()

    def forget_the_gone(self) -> None:
        """Drop the per-process gauges of children gone since the last look (died and started
        again), as prometheus_client asks of the parent: else /metrics lists them forever."""
        children = {process.pid for process in self.processes} | {
            process.pid for process in self.answerers.processes
        }
        for pid in self.children - children:
            multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
        self.children = {pid for pid in children if pid is not None}

    def look_at_the_knowledge(self) -> None:
        """With KNOWLEDGE_WATCH_SECONDS, reload as on SIGHUP once an edit has settled."""
        if self.watch is None or time.monotonic() < self.next_look:
            return
        self.next_look = time.monotonic() + self.watch_every
        if self.watch.settled_change():
            log.info("the knowledge files changed")
            self.reload_everywhere()

    def handle_hup(self) -> None:
        if self.watch is not None:
            self.watch.reloaded()
        self.reload_everywhere()

    def reload_everywhere(self) -> None:
        """Every child reloads the knowledge in place (`reload_on_hangup`), once this process
        has found it valid: a broken edit is refused here, in one log line naming each problem,
        and every child goes on serving what it has. uvicorn would restart the web workers
        instead, closing the connections they had accepted but not yet read."""
        try:
            load_knowledge(self.knowledge)
        except KnowledgeError as error:
            log.error(
                "knowledge reload refused, every worker still serves the knowledge loaded "
                "before: %s",
                "; ".join(error.problems),
            )
            return
        log.info("every worker reloads the knowledge")
        for pid in (process.pid for process in self.processes):
            if pid is not None:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGHUP)
        self.answerers.signal(signal.SIGHUP)

    def join_all(self) -> None:
        super().join_all()  # no web worker takes requests any more: the answerers may drain
        self.answerers.stop()


def serve(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Serve until SIGTERM or Ctrl-C, with `workers` web workers and as many answer processes;
    the caller has already validated settings and knowledge."""
    # The children read their settings from the environment: pin the folder validated here.
    knowledge = settings.knowledge_dir.resolve()
    os.environ["VMDOCKER_KNOWLEDGE_DIR"] = str(knowledge)
    os.environ[SERVE_PID] = str(os.getpid())
    scratch = Path(tempfile.mkdtemp(prefix="vmdocker-serve-"))
    answers = scratch / "answer"
    answers.mkdir()
    os.environ[ANSWER_DIR] = str(answers)
    # The children write their metrics to one folder, so /metrics in any worker sums them all.
    # One the operator names is emptied first, as prometheus_client asks: else the last run's
    # counts would be added to this one's, and its processes listed as if alive.
    if folder := os.environ.get(MULTIPROC_DIR):
        for left in Path(folder).glob("*.db"):
            left.unlink(missing_ok=True)
    else:
        (scratch / "metrics").mkdir()
        os.environ[MULTIPROC_DIR] = str(scratch / "metrics")
    log.info("serving Slack on http://%s:%d%s with %d worker(s)", host, port, EVENTS_PATH, workers)
    config = uvicorn.Config(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_config=None,  # uvicorn's records go through the root logger, in LOG_FORMAT
        log_level=settings.log_level.lower(),
        access_log=settings.log_level == "DEBUG",
        http=HeadTimeoutProtocol,
    )
    try:
        answerers = AnswerProcesses(workers, answers, settings.drain_grace_seconds)
        watch = settings.knowledge_watch_seconds
        Supervisor(config, [config.bind_socket()], answerers, knowledge, watch).run()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
