"""Faults against `vmdocker serve` and the mock Slack: does the bot lose or repeat anything?

Each scenario starts `vmdocker serve` (as a subprocess, on loopback, pointed at the mock Slack
Web API of tests/support running in this process), sends signed app mentions, breaks something,
and counts, per mention, the answers that reached the mock:

- sigterm-1w / sigterm-2w: SIGTERM mid-burst (Slack taking 1 s a call), 1 or 2 workers; the
  server is started again on the same database.
- sigterm-short-grace: the same with DRAIN_GRACE_SECONDS=0.5: what the drain cannot finish waits
  in the inbox for the restart.
- kill-9: `kill -9` of one of two web workers mid-burst; uvicorn starts a new one. The web
  workers hold nothing: what they kept, the answer processes answer.
- kill-9-answer: `kill -9` of one of two answer processes mid-burst; serve starts a new one, and
  the answer processes take over the dead one's items when their lease (INBOX_LEASE_SECONDS)
  runs out.
- sighup: SIGHUP three times as 60 mentions arrive, 2 workers: every process reloads the
  knowledge while requests come in; a request refused or dropped then would be lost.
- slow-channel: one channel's Slack calls stuck for 10 s with 20 mentions there; the delay of
  an answer in another channel.
- huge-body: an unsigned 100 MB POST: time to the refusal, server memory and log growth.
- pg-outage: PostgreSQL refuses connections for 20 s (ALLOW_CONNECTIONS false and the bot's
  connections ended) while mentions keep coming: answered, recorded, counted as not written.
- pg-lock: ACCESS EXCLUSIVE lock on the questions table for 10 s: the answer delays meanwhile.

It prints one row per scenario: sent, answered once, answered twice, lost, and the recovery
time (from the fault to the last answer) or the figure the scenario measures.

    .venv/bin/python -m benchmarks.bench_faults [--scenarios sigterm-1w,kill-9,...]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import socket
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support import SIGNING_SECRET, Call, MockSlack, Signer
from tests.support.serve_process import serve_env, serving
from tests.support.signed import mention

RUN = uuid.uuid4().hex[:6].upper()
WAIT = 60.0


@dataclass
class Row:
    scenario: str
    sent: int
    once: int
    twice: int
    lost: int
    figure: str


def is_answer(call: Call) -> bool:
    """An answer card, not the diagram image posted after it (a reused upload)."""
    return any(block.get("type") != "image" for block in call.blocks or [{}])


def answers_per_thread(mock: MockSlack, channels: set[str]) -> Counter[str]:
    return Counter(
        call.body["thread_ts"]
        for call in mock.calls_to("chat.postMessage")
        if call.body.get("channel") in channels and call.body.get("thread_ts") and is_answer(call)
    )


def answered_in(mock: MockSlack, channel: str) -> int:
    calls = mock.calls_to("chat.postMessage")
    return sum(1 for c in calls if c.body.get("channel") == channel and is_answer(c))


def send_mentions(url: str, channels: list[str], tag: str) -> list[str]:
    """One signed mention per channel, all at once; the ts of each (its answer's thread)."""
    events = [
        mention("what is the difference between a vm and a container", channel=c) for c in channels
    ]

    def send(index: int) -> int:
        return Signer().event(events[index], event_id=f"Ev{RUN}{tag}{index:04d}").post(url)[0]

    with ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(send, range(len(events))))
    refused = [status for status in statuses if status != 200]
    if refused:
        print(f"  {tag}: {len(refused)} request(s) not acked with 200: {Counter(refused)}")
    return [event["ts"] for event in events]


def tally(
    scenario: str, mock: MockSlack, threads: list[str], channels: set[str], figure: str
) -> Row:
    answered = answers_per_thread(mock, channels)
    return Row(
        scenario,
        sent=len(threads),
        once=sum(1 for ts in threads if answered[ts] == 1),
        twice=sum(1 for ts in threads if answered[ts] >= 2),
        lost=sum(1 for ts in threads if answered[ts] == 0),
        figure=figure,
    )


def wait_for_answers(
    mock: MockSlack, threads: list[str], channels: set[str], timeout: float
) -> float | None:
    """Seconds until every thread got an answer, or None after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if set(threads) <= set(answers_per_thread(mock, channels)):
            return time.monotonic() - start
        time.sleep(0.05)
    return None


def wait_for_log(log: Path, needle: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while needle not in log.read_text(errors="replace"):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{needle!r} never appeared in {log}")
        time.sleep(0.05)


def worker_pids(parent: int, kind: bytes = b"spawn_main") -> list[int]:
    """The children of `vmdocker serve` whose command line holds `kind`: uvicorn's web workers
    (spawned), or b"bot.slack.answering" for the answer processes."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [int(child) for child in children if kind in Path(f"/proc/{child}/cmdline").read_bytes()]


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


# --- scenarios -----------------------------------------------------------------------


def sigterm(mock: MockSlack, scratch: Path, *, workers: int, grace: str, name: str) -> Row:
    """SIGTERM while 60 mentions are being answered by a slow Slack, then start again."""
    mock.reset()
    mock.latency = 1.0
    channels = [f"C{RUN}{name[:3].upper()}{n:03d}" for n in range(60)]
    database = f"sqlite:///{scratch}/{name}.sqlite3"
    env = serve_env(
        mock.api_url, SIGNING_SECRET, database, LOG_LEVEL="INFO", DRAIN_GRACE_SECONDS=grace
    )
    log = scratch / f"{name}.log"
    with serving(env, cwd=scratch, workers=workers, log=log) as server:
        threads = send_mentions(server.events_url, channels, name[:4].upper())
        time.sleep(0.5)  # mid-burst: answers in flight
        stopped_at = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=WAIT)
    drained = re.findall(r"(\d+) item\(s\) finished during shutdown, (\d+) left", log.read_text())
    with serving(env, cwd=scratch, workers=workers, log=scratch / f"{name}-again.log"):
        wait_for_answers(mock, threads, set(channels), WAIT)
        recovered = time.monotonic() - stopped_at
        time.sleep(1.0)  # late duplicates, if any, would arrive now
    mock.latency = 0.0
    left = sum(int(rest) for _, rest in drained)
    return tally(name, mock, threads, set(channels), f"{recovered:.1f} s; {left} left by the drain")


def kill_9(mock: MockSlack, scratch: Path, *, kind: bytes, name: str, tag: str) -> Row:
    """`kill -9` of one of the two children of `kind` (see `worker_pids`) mid-burst; `tag`
    (letters) tells its channels apart."""
    mock.reset()
    mock.latency = 1.0
    channels = [f"C{RUN}K{tag}{n:03d}" for n in range(60)]
    env = serve_env(
        mock.api_url,
        SIGNING_SECRET,
        f"sqlite:///{scratch}/{name}.sqlite3",
        INBOX_LEASE_SECONDS="10",
    )
    with serving(env, cwd=scratch, workers=2, log=scratch / f"{name}.log") as server:
        threads = send_mentions(server.events_url, channels, f"K{tag}")
        time.sleep(0.5)
        killed_at = time.monotonic()
        os.kill(worker_pids(server.process.pid, kind)[0], signal.SIGKILL)
        wait_for_answers(mock, threads, set(channels), WAIT)
        recovered = time.monotonic() - killed_at
        time.sleep(1.0)
    mock.latency = 0.0
    figure = f"{recovered:.1f} s (lease 10 s)"
    return tally(f"{name} (1 of 2)", mock, threads, set(channels), figure)


def sighup(mock: MockSlack, scratch: Path) -> Row:
    """SIGHUP three times, 0.1 s apart, while 60 mentions are sent and answered."""
    mock.reset()
    mock.latency = 0.2
    channels = [f"C{RUN}HUP{n:03d}" for n in range(60)]
    env = serve_env(
        mock.api_url, SIGNING_SECRET, f"sqlite:///{scratch}/sighup.sqlite3", LOG_LEVEL="INFO"
    )
    log = scratch / "sighup.log"
    with serving(env, cwd=scratch, workers=2, log=log) as server:

        def hang_up() -> None:
            for _ in range(3):
                time.sleep(0.1)
                server.process.send_signal(signal.SIGHUP)

        hangups = threading.Thread(target=hang_up)
        hangups.start()
        threads = send_mentions(server.events_url, channels, "HUP")
        hangups.join()
        took = wait_for_answers(mock, threads, set(channels), WAIT)
        time.sleep(1.0)
    mock.latency = 0.0
    text = log.read_text()
    reloads = text.count("knowledge reloaded")
    died = len(re.findall(r"answer process \d+ exited|Child process \[\d+\] died", text))
    answered = "not all answered" if took is None else f"all answered in {took:.1f} s"
    figure = f"{answered}; {reloads} reloads, {died} process(es) died"
    return tally("sighup x3 (2 workers)", mock, threads, set(channels), figure)


def slow_channel(mock: MockSlack, scratch: Path) -> Row:
    mock.reset()
    slow = f"C{RUN}SLOW"
    fast = f"C{RUN}FAST"
    env = serve_env(mock.api_url, SIGNING_SECRET, f"sqlite:///{scratch}/slow.sqlite3")
    with serving(env, cwd=scratch, log=scratch / "slow.log") as server:
        release = mock.hold(slow)
        send_mentions(server.events_url, [slow] * 20, "SLOW")
        time.sleep(0.3)
        asked = time.monotonic()
        [ts] = send_mentions(server.events_url, [fast], "FAST")
        wait_for_answers(mock, [ts], {fast}, WAIT)
        delay = time.monotonic() - asked
        release.set()
        deadline = time.monotonic() + WAIT
        while answered_in(mock, slow) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
    answered_slow = answered_in(mock, slow)
    return Row(
        "slow-channel",
        21,
        answered_slow + 1,
        0,
        20 - answered_slow,
        f"other channel answered in {delay * 1000:.0f} ms",
    )


def huge_body(mock: MockSlack, scratch: Path) -> Row:
    mock.reset()
    env = serve_env(mock.api_url, SIGNING_SECRET, f"sqlite:///{scratch}/huge.sqlite3")
    log = scratch / "huge.log"
    with serving(env, cwd=scratch, log=log) as server:
        before = rss_kib([server.process.pid])
        log_before = log.stat().st_size
        size = 100 * 1024 * 1024
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", server.port)) as connection:
            head = (
                f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {size}\r\n\r\n"
            )
            connection.sendall(head.encode())
            with contextlib.suppress(OSError):  # the server may close before the rest
                connection.sendall(b"x" * (1024 * 1024))
            status_line = connection.recv(200).split(b"\r\n")[0].decode()
        refused_in = time.monotonic() - started
        after = rss_kib([server.process.pid])
        log_lines = log.read_bytes()[log_before:].decode(errors="replace").count("\n")
    return Row(
        "huge-body (100 MB)",
        1,
        0,
        0,
        0,
        f"{status_line!r} in {refused_in * 1000:.0f} ms; "
        f"RSS {before // 1024}->{after // 1024} MiB; {log_lines} log line(s)",
    )


@contextmanager
def scratch_database(base_url: str) -> Iterator[str]:
    """A new PostgreSQL database for one scenario, dropped afterwards."""
    name = f"vmdocker_faults_{RUN.lower()}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            connection.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def pg_outage(mock: MockSlack, scratch: Path, base_url: str) -> Row:
    mock.reset()
    with scratch_database(base_url) as url:
        admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
        name = make_url(url).database
        env = serve_env(mock.api_url, SIGNING_SECRET, url)
        log = scratch / "pg-outage.log"
        channels: list[str] = []
        threads: list[str] = []
        with serving(env, cwd=scratch, log=log) as server:
            with admin.connect() as connection:
                connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                    ),
                    {"n": name},
                )
            outage_end = time.monotonic() + 20
            n = 0
            while time.monotonic() < outage_end:
                channel = f"C{RUN}PGO{n:03d}"
                channels.append(channel)
                threads += send_mentions(server.events_url, [channel], f"PGO{n:03d}")
                n += 1
                time.sleep(0.2)
            with admin.connect() as connection:
                connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
            restored_at = time.monotonic()
            wait_for_answers(mock, threads, set(channels), WAIT)
            # one question after the outage: the store works again and logs the count
            channels.append(f"C{RUN}PGOAFTER")
            threads += send_mentions(server.events_url, [channels[-1]], "PGOAFTER")
            wait_for_answers(mock, threads, set(channels), WAIT)
            time.sleep(6)  # the store rests 5 s after a failure before it tries again
            threads_after = send_mentions(server.events_url, [f"C{RUN}PGOLAST"], "PGOLAST")
            channels.append(f"C{RUN}PGOLAST")
            threads += threads_after
            wait_for_answers(mock, threads, set(channels), WAIT)
            time.sleep(1)
            recovered = time.monotonic() - restored_at
        with create_engine(url).connect() as connection:
            recorded = connection.execute(text("SELECT count(*) FROM vmdocker_questions")).scalar()
        admin.dispose()
    counted = re.findall(r"(\d+) record\(s\) could not be written", log.read_text())
    row = tally("pg-outage (20 s)", mock, threads, set(channels), "")
    row.figure = (
        f"{recorded} questions recorded, {sum(map(int, counted))} records counted as not written; "
        f"answers caught up {recovered:.1f} s after"
    )
    return row


def pg_lock(mock: MockSlack, scratch: Path, base_url: str) -> Row:
    mock.reset()
    with scratch_database(base_url) as url:
        env = serve_env(mock.api_url, SIGNING_SECRET, url)
        delays: list[float] = []
        channels: list[str] = []
        threads: list[str] = []
        with serving(env, cwd=scratch, log=scratch / "pg-lock.log") as server:
            locker = create_engine(url)
            locked = threading.Event()
            done = threading.Event()

            def hold_lock() -> None:
                with locker.begin() as connection:
                    connection.execute(
                        text("LOCK TABLE vmdocker_questions IN ACCESS EXCLUSIVE MODE")
                    )
                    locked.set()
                    done.wait(10)

            holder = threading.Thread(target=hold_lock)
            holder.start()
            locked.wait(10)
            for n in range(10):
                channel = f"C{RUN}PGL{n:03d}"
                channels.append(channel)
                asked = time.monotonic()
                threads += send_mentions(server.events_url, [channel], f"PGL{n:03d}")
                wait_for_answers(mock, threads, set(channels), WAIT)
                delays.append(time.monotonic() - asked)
                time.sleep(0.5)
            done.set()
            holder.join()
            locker.dispose()
    row = tally("pg-lock (10 s)", mock, threads, set(channels), "")
    median = sorted(delays)[len(delays) // 2]
    row.figure = (
        f"answer delay while locked: max {max(delays) * 1000:.0f} ms, median {median * 1000:.0f} ms"
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--scenarios",
        default=(
            "sigterm-1w,sigterm-2w,sigterm-short-grace,kill-9,kill-9-answer,sighup,slow-channel,"
            "huge-body,pg-outage,pg-lock"
        ),
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "VMDOCKER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    chosen = args.scenarios.split(",")
    rows: list[Row] = []
    with MockSlack() as mock, tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        runs: dict[str, Callable[[], Row]] = {
            "sigterm-1w": lambda: sigterm(mock, scratch, workers=1, grace="20", name="sigterm-1w"),
            "sigterm-2w": lambda: sigterm(mock, scratch, workers=2, grace="20", name="sigterm-2w"),
            "sigterm-short-grace": lambda: sigterm(
                mock, scratch, workers=1, grace="0.5", name="sigterm-short-grace"
            ),
            "kill-9": lambda: kill_9(mock, scratch, kind=b"spawn_main", name="kill-9", tag="WEB"),
            "kill-9-answer": lambda: kill_9(
                mock, scratch, kind=b"bot.slack.answering", name="kill-9-answer", tag="ANS"
            ),
            "sighup": lambda: sighup(mock, scratch),
            "slow-channel": lambda: slow_channel(mock, scratch),
            "huge-body": lambda: huge_body(mock, scratch),
            "pg-outage": lambda: pg_outage(mock, scratch, args.postgres),
            "pg-lock": lambda: pg_lock(mock, scratch, args.postgres),
        }
        for name in chosen:
            print(f"running {name} ...", flush=True)
            rows.append(runs[name]())
    print()
    print(f"{'scenario':<22} {'sent':>5} {'once':>5} {'twice':>6} {'lost':>5}  recovery / figure")
    for row in rows:
        counts = f"{row.sent:>5} {row.once:>5} {row.twice:>6} {row.lost:>5}"
        print(f"{row.scenario:<22} {counts}  {row.figure}")


if __name__ == "__main__":
    main()
