"""Benchmark `vmdocker serve` on loopback: signed slash commands and app mentions.

Starts the mock Slack Web API (tests/support) in this process and `vmdocker serve` as a
subprocess pointed at it, then sends signed requests (half `/vmdocker <question>`, half
`app_mention` events, each in its own channel so its reply can be found) three ways:

- burst:  `--concurrency` requests sent at once, then wait for all their replies; repeated.
          What "50 concurrent requests" means for one burst of traffic.
- closed: `--concurrency` in flight at all times, a new request as soon as one is acked. It
          saturates the server: by Little's law the ack time is concurrency / throughput, and
          since acks no longer wait for replies, replies queue up behind the whole run.
- open:   a fixed offered rate (`--rate` for `--seconds`), whatever the responses: reply
          times without a closed loop's queue.

For each it prints requests per second acked and replied, p50/p99 time to the HTTP ack, and
p50/p99 time until the reply reached the mock. Slack's limit for the ack is 3 s; the target
is p99 under 100 ms at 50 concurrent requests. Loopback only, bounded in count and time.

`--peer bare-bolt` instead compares, in the same run, bursts sent in turn to vmdocker and to a
minimal Bolt app that acks inline and does nothing else (`benchmarks.bare_bolt`, as many
workers): ack p50/p99 of each and their ratio ours / bare (goal: 1.5 at most), and the server
CPU (its processes' user + system time, from /proc) per answered request (goal: 3 ms at most).

Run it as a module from the repository root, so the test harness imports as a package:

    .venv/bin/python -m benchmarks.bench_http [--workers 2] [--concurrency 50]
        [--requests 1000] [--rate 100 --seconds 10] [--scenarios burst,closed,open]
    .venv/bin/python -m benchmarks.bench_http --peer bare-bolt [--requests 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from multiprocessing.connection import Connection
from pathlib import Path

import uvloop

from tests.support import SIGNING_SECRET, Call, MockSlack, SignedRequest, Signer
from tests.support.mock_api import DELIVERIES, RESPONSE_URL
from tests.support.serve_process import (
    READY_TIMEOUT,
    Served,
    free_port,
    process_cpu_seconds,
    serve_env,
    serving,
)
from tests.support.signed import mention

QUESTIONS = [
    "what is the difference between a vm and a container",
    "do containers have their own kernel",
    "why do containers start faster than virtual machines",
    "what is a hypervisor",
    "is docker more secure than a vm",
    "how big is a docker image compared to a vm image",
    "can I run windows containers on linux",
    "what does docker virtualize",
]


RUN = uuid.uuid4().hex[:8].upper()
REPLY_TIMEOUT = 30.0  # seconds for a scenario's last reply to reach the mock
PEER_GOAL_RATIO = 1.5  # ack p50 and p99, ours / bare Bolt's
CPU_GOAL_MS = 3.0  # server CPU per answered request
YARDSTICK_STEPS = 1_000_000


class TimedMock(MockSlack):
    """The mock Web API, also noting when each delivery arrived and for which channel."""

    def start(self) -> TimedMock:
        # http.server listens with a backlog of 5: at 50 concurrent replies the kernel drops
        # connections and the Web API client waits a 1 s SYN retry. Slack's API does not.
        ThreadingHTTPServer.request_queue_size = 1024
        super().start()
        return self

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[str, float] = {}
        self._arrivals_lock = threading.Lock()

    def _record(self, call: Call) -> None:
        now = time.monotonic()  # CLOCK_MONOTONIC: the same clock in every process
        if call.method in DELIVERIES:
            key = call.path if call.method == RESPONSE_URL else str(call.body.get("channel"))
            with self._arrivals_lock:
                self.arrivals.setdefault(key, now)
        super()._record(call)

    def arrivals_so_far(self) -> dict[str, float]:
        with self._arrivals_lock:
            return dict(self.arrivals)


def serve_mock(requests: Connection) -> None:
    """The mock Slack's own process: its threads never hold the load generator's GIL, which
    would delay the moment an ack is read and inflate the measured ack times."""
    mock = TimedMock().start()
    requests.send(mock.base_url)
    while requests.recv() == "arrivals":
        requests.send(mock.arrivals_so_far())
    mock.stop()


class MockProcess:
    """`TimedMock` in a child process; asked for its arrival times over a pipe."""

    def __init__(self) -> None:
        self._pipe, child = multiprocessing.get_context("fork").Pipe()
        self._process = multiprocessing.get_context("fork").Process(
            target=serve_mock, args=(child,), daemon=True
        )
        self._process.start()
        self.base_url: str = self._pipe.recv()

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def response_url(self, name: str) -> str:
        return f"{self.base_url}/response/{name}"  # as MockSlack.response_url

    def arrivals(self) -> dict[str, float]:
        self._pipe.send("arrivals")
        arrived: dict[str, float] = self._pipe.recv()
        return arrived

    def stop(self) -> None:
        self._pipe.send("stop")
        self._process.join(timeout=10)


@dataclass
class Sample:
    kind: str  # "command" or "mention"
    channel: str  # every request has its own channel, so its reply can be found
    request: SignedRequest
    response_path: str = ""  # a slash command's response_url path on the mock
    sent: float = 0.0
    acked: float = 0.0
    status: int = 0


def build_samples(mock: MockProcess, count: int, prefix: str) -> list[Sample]:
    signer = Signer(SIGNING_SECRET)
    samples = []
    for index in range(count):
        channel = f"C{prefix}{index:06d}"
        question = QUESTIONS[index % len(QUESTIONS)]
        if index % 2:
            event_id = f"Ev{RUN}{prefix}{index:06d}"  # unique across runs: a reused store dedupes
            request = signer.event(mention(question, channel=channel), event_id=event_id)
            samples.append(Sample("mention", channel, request))
        else:
            url = mock.response_url(f"{prefix}{index}")
            request = signer.command(question, response_url=url, channel=channel)
            samples.append(Sample("command", channel, request, url.removeprefix(mock.base_url)))
    return samples


async def post(port: int, sample: Sample) -> None:
    """One request on its own connection, as Slack sends them; records send and ack times."""
    body = sample.request.body.encode()
    head = [
        "POST /slack/events HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{name}: {value}" for name, value in sample.request.headers.items()),
    ]
    sample.sent = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()
    status_line = await reader.readline()
    await reader.read()
    sample.acked = time.monotonic()
    sample.status = int(status_line.split()[1]) if status_line else 0
    writer.close()


@dataclass
class Outcome:
    """One scenario's samples, timed; `first_sent` to the last ack or reply is its duration."""

    name: str
    offered: str
    samples: list[Sample]
    arrivals: dict[str, float]
    server_cpu: float

    def reply_times(self) -> list[float]:
        times = [reply_arrival(self.arrivals, sample) for sample in self.samples]
        return [moment for moment in times if moment is not None]

    def row(self) -> str:
        first = min(sample.sent for sample in self.samples)
        acked = len(self.samples) / (max(sample.acked for sample in self.samples) - first)
        arrived = self.reply_times()
        replied = len(arrived) / (max(arrived) - first) if arrived else 0.0
        acks = [(sample.acked - sample.sent) * 1000 for sample in self.samples]
        replies = [
            (moment - sample.sent) * 1000
            for sample in self.samples
            if (moment := reply_arrival(self.arrivals, sample)) is not None
        ]
        not_ok = sum(1 for sample in self.samples if sample.status != 200)
        cpu = self.server_cpu / len(self.samples) * 1000
        return (
            f"{self.name:7} {self.offered:>14} {len(self.samples):5} {acked:7.0f} {replied:7.0f}"
            f" {quantiles(acks)} {quantiles(replies)} {not_ok:4} "
            f"{len(self.samples) - len(replies):4} {cpu:6.1f}"
        )

    def ack_p99(self) -> float:
        return percentile([(sample.acked - sample.sent) * 1000 for sample in self.samples], 0.99)


HEADER = (
    f"{'':7} {'offered':>14} {'sent':>5} {'acked/s':>7} {'reply/s':>7}"
    f" {'ack p50':>8} {'p99':>7} {'max':>7} {'reply p50':>9} {'p99':>7} {'max':>7}"
    f" {'!200':>4} {'lost':>4} {'cpu ms':>6}"
)


def quantiles(millis: list[float]) -> str:
    if not millis:
        return f"{'-':>8} {'-':>7} {'-':>7}"
    return f"{percentile(millis, 0.5):8.1f} {percentile(millis, 0.99):7.1f} {max(millis):7.1f}"


def reply_arrival(arrivals: dict[str, float], sample: Sample) -> float | None:
    """When the sample's reply reached the mock (a message in its channel or its response_url)."""
    times = [arrivals.get(sample.channel), arrivals.get(sample.response_path)]
    present = [moment for moment in times if moment is not None]
    return min(present) if present else None


async def replies_in(mock: MockProcess, samples: list[Sample], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        arrivals = mock.arrivals()
        if all(reply_arrival(arrivals, sample) is not None for sample in samples):
            return
        await asyncio.sleep(0.02)


async def closed_loop(port: int, samples: list[Sample], concurrency: int) -> None:
    """`concurrency` requests in flight; each ack lets the next one go."""
    gate = asyncio.Semaphore(concurrency)

    async def bounded(sample: Sample) -> None:
        async with gate:
            await post(port, sample)

    await asyncio.gather(*(bounded(sample) for sample in samples))


async def bursts(mock: MockProcess, port: int, samples: list[Sample], size: int) -> None:
    """`size` requests at once; the next burst once every reply of this one arrived."""
    for start in range(0, len(samples), size):
        burst = samples[start : start + size]
        await asyncio.gather(*(post(port, sample) for sample in burst))
        await replies_in(mock, burst, REPLY_TIMEOUT)


async def open_loop(port: int, samples: list[Sample], rate: float) -> None:
    """Request i goes out at i / rate seconds, whether or not earlier ones were answered."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    tasks = []
    for index, sample in enumerate(samples):
        await asyncio.sleep(max(0.0, started + index / rate - loop.time()))
        tasks.append(asyncio.create_task(post(port, sample)))
    await asyncio.gather(*tasks)


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid` and its children (the uvicorn workers)."""
    return sum(process_cpu_seconds(pid).values())


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def run_scenario(name: str, args: argparse.Namespace, mock: MockProcess, served: Served) -> Outcome:
    """Send one scenario's requests, wait for its replies (bounded), and time them."""
    count = round(args.rate * args.seconds) if name == "open" else args.requests
    samples = build_samples(mock, count, name[0].upper())
    if name == "burst":
        sending = bursts(mock, served.port, samples, args.concurrency)
        offered = f"{args.concurrency} at once"
    elif name == "closed":
        sending = closed_loop(served.port, samples, args.concurrency)
        offered = f"{args.concurrency} in flight"
    else:
        sending = open_loop(served.port, samples, args.rate)
        offered = f"{args.rate:g}/s x {args.seconds:g} s"
    cpu = tree_cpu_seconds(served.process.pid)

    async def measured() -> None:
        await asyncio.wait_for(sending, args.max_seconds)
        await replies_in(mock, samples, REPLY_TIMEOUT)

    uvloop.run(measured())
    cpu = tree_cpu_seconds(served.process.pid) - cpu
    return Outcome(name, offered, samples, mock.arrivals(), cpu)


def wait_for_answer_processes(served: Served, count: int) -> None:
    """Until `count` answer processes listen, as /readyz says: they start once the web workers
    serve, and their start-up is no part of what a request costs."""
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        body = served.get("/readyz")[1]
        if isinstance(body, dict) and body.get("answer_processes", count) >= count:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{count} answer processes did not come up")


@contextmanager
def bare_bolt(env: dict[str, str], workers: int) -> Iterator[Served]:
    """`benchmarks.bare_bolt` on a free port, up once it answers HTTP; stopped after."""
    port = free_port()
    command = [sys.executable, "-m", "benchmarks.bare_bolt", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        text=True,
    )
    peer = Served(process, port)
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            try:
                peer.get("/")  # 404: listening
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("benchmarks.bare_bolt did not start") from None
                time.sleep(0.05)
        yield peer
    finally:
        peer.stop()


@dataclass
class Side:
    """One server of the comparison: its bursts' samples and the CPU its processes used."""

    name: str
    served: Served
    samples: list[Sample]
    cpu: float = 0.0

    def acks(self) -> list[float]:
        return [(sample.acked - sample.sent) * 1000 for sample in self.samples]


def compare_with_peer(
    args: argparse.Namespace, mock: MockProcess, ours: Served, peer: Served
) -> tuple[Side, Side, dict[str, float]]:
    """Bursts of `--concurrency`, to each server in turn (ABBA order, so neither always goes
    first after a pause), until each got `--requests`. Ours is waited on until every reply
    arrived; the peer sends none."""
    sides = [Side("vmdocker", ours, []), Side("bare Bolt", peer, [])]
    rounds = max(1, args.requests // args.concurrency)
    started = {side.name: tree_cpu_seconds(side.served.process.pid) for side in sides}
    for index in range(rounds):
        for side in sides if index % 2 == 0 else sides[::-1]:
            burst = build_samples(mock, args.concurrency, f"{side.name[0].upper()}{index:03d}")

            async def send(burst: list[Sample] = burst, side: Side = side) -> None:
                await asyncio.gather(*(post(side.served.port, sample) for sample in burst))
                if side.served is ours:
                    await replies_in(mock, burst, REPLY_TIMEOUT)

            uvloop.run(send())
            side.samples.extend(burst)
    for side in sides:
        side.cpu = tree_cpu_seconds(side.served.process.pid) - started[side.name]
    return sides[0], sides[1], mock.arrivals()


def python_steps_ms() -> float:
    """CPU milliseconds for YARDSTICK_STEPS steps of a plain Python loop: how fast this machine
    runs Python, to set CPU figures measured on different machines side by side."""
    started = time.process_time()
    total = 0
    for step in range(YARDSTICK_STEPS):
        total += step
    return (time.process_time() - started) * 1000


def print_comparison(
    ours: Side, peer: Side, arrivals: dict[str, float], args: argparse.Namespace
) -> bool:
    """The two sides' ack times, their ratios and the CPU per request; True if all goals met."""
    print(
        f"{len(ours.samples)} requests to each, in alternating bursts of {args.concurrency} "
        f"(half /vmdocker, half app_mention), {args.workers} workers each; ack = from sending "
        f"to the HTTP response, in ms"
    )
    print(f"{'':10} {'ack p50':>8} {'p99':>7} {'max':>7} {'!200':>5} {'cpu ms/request':>15}")
    answered = sum(1 for sample in ours.samples if reply_arrival(arrivals, sample) is not None)
    for side, count in ((ours, answered), (peer, len(peer.samples))):
        not_ok = sum(1 for sample in side.samples if sample.status != 200)
        cpu = side.cpu / max(1, count) * 1000
        print(f"{side.name:10} {quantiles(side.acks())} {not_ok:5} {cpu:15.2f}")
    p50 = percentile(ours.acks(), 0.5) / percentile(peer.acks(), 0.5)
    p99 = percentile(ours.acks(), 0.99) / percentile(peer.acks(), 0.99)
    cpu_ms = ours.cpu / max(1, answered) * 1000
    print(f"ours/bare  {p50:8.2f} {p99:7.2f}   (goal: {PEER_GOAL_RATIO} at most each)")
    print(
        f"vmdocker server CPU per answered request: {cpu_ms:.2f} ms ({answered} of "
        f"{len(ours.samples)} answered; goal: {CPU_GOAL_MS} ms at most)"
    )
    print(
        f"this machine: {python_steps_ms():.0f} ms of CPU for {YARDSTICK_STEPS:,} steps of a "
        "Python loop (CPU figures from two machines compare in proportion to it)"
    )
    return (
        max(p50, p99) <= PEER_GOAL_RATIO and cpu_ms <= CPU_GOAL_MS and answered == len(ours.samples)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="`vmdocker serve --workers`")
    parser.add_argument("--concurrency", type=int, default=50, help="burst size, closed loop")
    parser.add_argument("--requests", type=int, default=1000, help="per burst/closed scenario")
    parser.add_argument("--rate", type=float, default=100, help="open loop: requests/s")
    parser.add_argument("--seconds", type=float, default=10, help="open loop: for how long")
    parser.add_argument("--scenarios", default="burst,closed,open", help="which, in order")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured requests first")
    parser.add_argument("--max-seconds", type=float, default=120, help="per scenario's sending")
    parser.add_argument(
        "--database-url", help="the store (default: a fresh SQLite file in a temporary folder)"
    )
    parser.add_argument(
        "--peer", choices=["bare-bolt"], help="instead of the scenarios: bursts, side by side"
    )
    args = parser.parse_args()
    names = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    if unknown := set(names) - {"burst", "closed", "open"}:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")

    mock = MockProcess()
    outcomes = []
    try:
        with tempfile.TemporaryDirectory() as scratch:
            database = args.database_url or f"sqlite:///{scratch}/bench.sqlite3"
            env = serve_env(mock.api_url, SIGNING_SECRET, database)
            log = Path(scratch) / "serve.log"
            with serving(env, cwd=Path(scratch), workers=args.workers, log=log) as served:
                wait_for_answer_processes(served, args.workers)
                warmup = build_samples(mock, args.warmup, "W")
                uvloop.run(closed_loop(served.port, warmup, 10))
                uvloop.run(replies_in(mock, warmup, REPLY_TIMEOUT))
                if args.peer:
                    with bare_bolt(env, args.workers) as peer:
                        peer_warmup = build_samples(mock, args.warmup, "P")
                        uvloop.run(closed_loop(peer.port, peer_warmup, 10))
                        ours, bare, arrivals = compare_with_peer(args, mock, served, peer)
                    met = print_comparison(ours, bare, arrivals, args)
                    errors = [line for line in log.read_text().splitlines() if "ERROR" in line]
                    print(
                        f"server log ERROR lines: {len(errors)}; load average "
                        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
                    )
                    return 0 if met else 1
                for name in names:
                    outcomes.append(run_scenario(name, args, mock, served))
                errors = [line for line in log.read_text().splitlines() if "ERROR" in line]
    finally:
        mock.stop()

    store = "SQLite" if not args.database_url else args.database_url.split(":")[0]
    print(
        f"vmdocker serve --workers {args.workers}, store on {store}: signed requests, half "
        f"/vmdocker, half app_mention; times in ms from sending; cpu = server CPU per request"
    )
    print(HEADER)
    for outcome in outcomes:
        print(outcome.row())
    print(
        f"{os.cpu_count()} cores shared with the load generator and mock Slack "
        f"(load average {os.getloadavg()[0]:.1f}); server log ERROR lines: {len(errors)}"
    )
    for line in errors[:3]:
        print(f"    {line[:160]}")
    for outcome in outcomes:
        if outcome.name in ("burst", "closed"):
            verdict = "meets" if outcome.ack_p99() < 100 else "MISSES"
            print(f"{outcome.name}: {verdict} the target, p99 ack under 100 ms")
    failed = any(
        sample.status != 200 or reply_arrival(outcome.arrivals, sample) is None
        for outcome in outcomes
        for sample in outcome.samples
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
