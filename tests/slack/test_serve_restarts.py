"""`vmdocker serve` stopped mid-burst, by SIGTERM or `kill -9`, while Slack is slow: every acked
mention is answered once the bot is back, none twice but the ones a killed worker was sending."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

from bot.slack.inbox import PER_CHANNEL
from tests.support import SIGNING_SECRET, MockSlack, Signer
from tests.support.harness import wait_until
from tests.support.serve_process import serve_env, serving
from tests.support.signed import mention

WAIT = 20.0
BURST = 12
SLOW = "C0SLOWSLACK"


def send_burst(mock: MockSlack, events_url: str, tag: str) -> list[str]:
    """BURST signed mentions in the slow channel, each acked; their ts (each answer's thread)."""
    events = [mention(f"what is a container? ({n})", channel=SLOW) for n in range(BURST)]
    statuses = [
        Signer().event(event, event_id=f"Ev0{tag}{n:04d}").post(events_url)[0]
        for n, event in enumerate(events)
    ]
    assert statuses == [200] * BURST
    return [event["ts"] for event in events]


def answered_threads(mock: MockSlack) -> Counter[str]:
    return Counter(
        call.body["thread_ts"]
        for call in mock.calls_to("chat.postMessage")
        if call.body.get("channel") == SLOW
    )


def test_sigterm_mid_burst_finishes_the_burst_before_exiting(
    mock: MockSlack, tmp_path: Path
) -> None:
    """The web worker stops taking requests, then the answer process drains its inbox
    (DRAIN_GRACE_SECONDS): the answers in progress and the ones queued behind them all go out
    before it exits."""
    mock.reset()
    env = serve_env(
        mock.api_url, SIGNING_SECRET, f"sqlite:///{tmp_path}/store.sqlite3", LOG_LEVEL="INFO"
    )
    log = tmp_path / "serve.log"
    release = mock.hold(SLOW)
    with serving(env, cwd=tmp_path, log=log) as server:
        threads = send_burst(mock, server.events_url, "TERM")
        mock.wait_held(PER_CHANNEL)  # answers in progress, the rest queued behind them
        server.process.send_signal(signal.SIGTERM)
        wait_until(lambda: "inbox draining" in log.read_text(), timeout=WAIT)
        release.set()  # Slack answers again, during the drain
        server.process.wait(timeout=WAIT)
    assert f"inbox drained: {BURST} item(s) finished during shutdown, 0 left" in log.read_text()
    assert answered_threads(mock) == Counter(threads)  # each once


def test_sigterm_past_the_grace_leaves_the_rest_to_the_next_start(
    mock: MockSlack, tmp_path: Path
) -> None:
    """Slack stays stuck past the grace: the worker exits with the burst in the inbox, and the
    next start answers all of it, each once: the answers that were stuck in flight are found
    in their threads."""
    mock.reset()
    env = serve_env(
        mock.api_url,
        SIGNING_SECRET,
        f"sqlite:///{tmp_path}/store.sqlite3",
        LOG_LEVEL="INFO",
        DRAIN_GRACE_SECONDS="0.2",
        INBOX_LEASE_SECONDS="1",
    )
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    release = mock.hold(SLOW)
    with serving(env, cwd=tmp_path, log=first_log) as server:
        threads = send_burst(mock, server.events_url, "GRACE")
        mock.wait_held(PER_CHANNEL)
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=WAIT)
    assert f"0 item(s) finished during shutdown, {BURST} left" in first_log.read_text()
    release.set()

    with serving(env, cwd=tmp_path, log=second_log):
        wait_until(lambda: set(answered_threads(mock)) == set(threads), timeout=WAIT)
    assert answered_threads(mock) == Counter(threads)  # each once
    assert_the_ones_in_flight_were_found_answered(second_log)


def assert_the_ones_in_flight_were_found_answered(log: Path) -> None:
    """What the stopped worker had sent (Slack got it; the worker never heard back) was found
    in the thread by the worker that resumed it, and not sent again."""
    found = log.read_text().count("was answered before a worker stopped")
    assert 1 <= found <= PER_CHANNEL


def test_kill_9_mid_burst_answers_everything_after_the_restart(
    mock: MockSlack, tmp_path: Path
) -> None:
    mock.reset()
    env = serve_env(
        mock.api_url,
        SIGNING_SECRET,
        f"sqlite:///{tmp_path}/store.sqlite3",
        INBOX_LEASE_SECONDS="1",
    )
    release = mock.hold(SLOW)
    with serving(env, cwd=tmp_path, log=tmp_path / "killed.log") as server:
        threads = send_burst(mock, server.events_url, "KILL")
        mock.wait_held(PER_CHANNEL)
        server.process.kill()
        server.process.wait()
    release.set()  # what the killed worker was sending reaches Slack all the same

    restarted_log = tmp_path / "restarted.log"
    with serving(env, cwd=tmp_path, log=restarted_log):
        wait_until(lambda: set(answered_threads(mock)) == set(threads), timeout=WAIT)
    assert answered_threads(mock) == Counter(threads)  # each once
    assert_the_ones_in_flight_were_found_answered(restarted_log)
