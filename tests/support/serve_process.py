"""`vmdocker serve` as a subprocess on a free loopback port, for the HTTP tests and benchmark."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.slack.launch import MULTIPROC_DIR

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 60.0  # seconds for the workers to load the knowledge on a busy 2-core machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def process_cpu_seconds(pid: int) -> dict[int, float]:
    """User + system CPU seconds of `pid` and of each of its children (uvicorn's workers), read
    from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    used = {}
    for process in [pid, *map(int, children)]:
        fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        used[process] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return used


@dataclass
class Served:
    """A running `vmdocker serve`: its process and where to reach it."""

    process: subprocess.Popen[str]
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def events_url(self) -> str:
        return f"{self.base_url}/slack/events"

    def get(self, path: str) -> tuple[int, dict[str, Any] | str]:
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=5) as response:
                body = response.read().decode()
                status = response.status
        except urllib.error.HTTPError as error:
            body, status = error.read().decode(), error.code
        try:
            return status, json.loads(body)
        except json.JSONDecodeError:
            return status, body

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"vmdocker serve exited {self.process.returncode}")
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("vmdocker serve did not become ready")

    def stop(self) -> int:
        """SIGTERM, as a process manager would, and the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def questions_counted_elsewhere(folder: Path, surface: str, band: str, times: int = 1) -> None:
    """Another process counts `times` questions in the metrics folder `folder`, as a worker of
    `vmdocker serve` would."""
    env = {**os.environ, MULTIPROC_DIR: str(folder), "PYTHONPATH": str(ROOT)}
    count = f"QUESTIONS.labels({surface!r}, {band!r}).inc({times})"
    program = f"from bot.slack.metrics import QUESTIONS; {count}"
    subprocess.run([sys.executable, "-c", program], env=env, check=True)


def serve_env(api_url: str, secret: str, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a served app talking to a stand-in Slack at `api_url`."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SLACK_")}
    env.update(
        SLACK_BOT_TOKEN="xoxb-test-token",
        SLACK_SIGNING_SECRET=secret,
        SLACK_API_URL=api_url,
        DATABASE_URL=database_url,
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


@contextmanager
def serving(
    env: Mapping[str, str], *, cwd: Path, workers: int = 1, log: Path | None = None
) -> Iterator[Served]:
    """Start `python -m bot serve` (cwd without a `.env`), wait for /healthz, stop it after."""
    port = free_port()
    command = [sys.executable, "-m", "bot", "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    with open(log or os.devnull, "w") as output:
        process = subprocess.Popen(
            command, env=dict(env), cwd=cwd, stdout=output, stderr=subprocess.STDOUT, text=True
        )
    served = Served(process, port)
    try:
        served.wait_ready()
        yield served
    finally:
        served.stop()
