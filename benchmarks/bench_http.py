"""Benchmark `vmdocker serve` on loopback: signed slash commands and app mentions, N at a time.

Starts the mock Slack Web API (tests/slack) in this process and `vmdocker serve` as a
subprocess pointed at it, then sends a fixed number of signed requests (half `/vmdocker
<question>`, half `app_mention` events, each in its own channel so its reply can be found) with
at most `--concurrency` in flight. Prints requests per second, p50/p99 time to the HTTP ack,
and p50/p99 time until the reply reached the mock. Slack's limit for the ack is 3 s; the target
here is p99 under 100 ms at 50 concurrent requests.

    .venv/bin/python benchmarks/bench_http.py [--requests 1000] [--concurrency 50] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.serve_process import serve_env, serving  # noqa: E402
from tests.slack import SIGNING_SECRET, Call, MockSlack, SignedRequest, Signer  # noqa: E402
from tests.slack.mock_api import DELIVERIES, RESPONSE_URL  # noqa: E402
from tests.slack.signed import mention  # noqa: E402

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
        now = time.perf_counter()
        if call.method in DELIVERIES:
            key = call.path if call.method == RESPONSE_URL else str(call.body.get("channel"))
            with self._arrivals_lock:
                self.arrivals.setdefault(key, now)
        super()._record(call)


@dataclass
class Sample:
    kind: str  # "command" or "mention"
    channel: str  # every request has its own channel, so its reply can be found
    request: SignedRequest
    response_path: str = ""  # a slash command's response_url path on the mock
    sent: float = 0.0
    acked: float = 0.0
    status: int = 0


def build_samples(mock: TimedMock, count: int, prefix: str) -> list[Sample]:
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
    sample.sent = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()
    status_line = await reader.readline()
    await reader.read()
    sample.acked = time.perf_counter()
    sample.status = int(status_line.split()[1]) if status_line else 0
    writer.close()


async def send_all(port: int, samples: list[Sample], concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def bounded(sample: Sample) -> None:
        async with gate:
            await post(port, sample)

    await asyncio.gather(*(bounded(sample) for sample in samples))


def reply_time(mock: TimedMock, sample: Sample) -> float | None:
    arrived = [mock.arrivals.get(sample.channel), mock.arrivals.get(sample.response_path)]
    times = [moment for moment in arrived if moment is not None]
    return min(times) - sample.sent if times else None


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid` and its children (the uvicorn workers), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    total = 0.0
    for process in [str(pid), *children]:
        fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def spread(millis: list[float]) -> str:
    if not millis:
        return "-"
    return (
        f"p50 {percentile(millis, 0.5):7.1f} ms   p99 {percentile(millis, 0.99):7.1f} ms   "
        f"max {max(millis):7.1f} ms"
    )


def wait_for_replies(mock: TimedMock, samples: list[Sample], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(reply_time(mock, sample) is not None for sample in samples):
            return
        time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="measured requests")
    parser.add_argument("--concurrency", type=int, default=50, help="requests in flight")
    parser.add_argument("--workers", type=int, default=2, help="`vmdocker serve --workers`")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured requests first")
    parser.add_argument("--max-seconds", type=float, default=120, help="give up after this")
    parser.add_argument(
        "--database-url", help="the store (default: a fresh SQLite file in a temporary folder)"
    )
    args = parser.parse_args()

    mock = TimedMock().start()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            database = args.database_url or f"sqlite:///{scratch}/bench.sqlite3"
            env = serve_env(mock.api_url, SIGNING_SECRET, database)
            log = Path(scratch) / "serve.log"
            with serving(env, cwd=Path(scratch), workers=args.workers, log=log) as served:
                warmup = build_samples(mock, args.warmup, "W")
                asyncio.run(asyncio.wait_for(send_all(served.port, warmup, 10), args.max_seconds))
                wait_for_replies(mock, warmup, 10)
                samples = build_samples(mock, args.requests, "B")
                server_cpu = tree_cpu_seconds(served.process.pid)
                own_cpu = time.process_time()
                started = time.perf_counter()
                asyncio.run(
                    asyncio.wait_for(
                        send_all(served.port, samples, args.concurrency), args.max_seconds
                    )
                )
                elapsed = time.perf_counter() - started
                wait_for_replies(mock, samples, 30)
                server_cpu = tree_cpu_seconds(served.process.pid) - server_cpu
                own_cpu = time.process_time() - own_cpu
                errors = [line for line in log.read_text().splitlines() if "ERROR" in line]
    finally:
        mock.stop()

    not_ok = sum(1 for sample in samples if sample.status != 200)
    missing = sum(1 for sample in samples if reply_time(mock, sample) is None)
    print(
        f"vmdocker serve --workers {args.workers}: {args.requests} signed requests "
        f"(half /vmdocker, half app_mention), {args.concurrency} concurrent, "
        f"store on {'SQLite' if not args.database_url else args.database_url.split(':')[0]}"
    )
    print(f"  throughput      {args.requests / elapsed:8.1f} requests/s ({elapsed:.2f} s)")
    print(f"  non-200 acks: {not_ok}   replies missing: {missing}")
    for kind in ("all", "command", "mention"):
        chosen = [sample for sample in samples if kind in ("all", sample.kind)]
        acks = [(sample.acked - sample.sent) * 1000 for sample in chosen]
        replies = [t * 1000 for sample in chosen if (t := reply_time(mock, sample)) is not None]
        print(f"  {kind:8} time to ack   {spread(acks)}")
        print(f"  {kind:8} time to reply {spread(replies)}")
    print(
        f"  CPU per request: server {server_cpu / args.requests * 1000:.1f} ms, "
        f"load generator + mock Slack {own_cpu / args.requests * 1000:.1f} ms "
        f"({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f})"
    )
    print(f"  server log ERROR lines: {len(errors)}")
    for line in errors[:3]:
        print(f"    {line[:160]}")
    p99 = percentile([(sample.acked - sample.sent) * 1000 for sample in samples], 0.99)
    verdict = "meets" if p99 < 100 else "MISSES"
    print(f"  {verdict} the target: p99 ack under 100 ms")
    return 0 if not_ok == 0 and missing == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
