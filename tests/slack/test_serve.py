"""`vmdocker serve` as a subprocess: signed requests over HTTP, replies reaching the mock Slack."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.core.answers import Answers
from bot.slack.launch import ANSWER_DIR, SERVE_PID, AnswerProcesses
from bot.slack.server import AcksFirst, ListenerExecutor
from tests.conftest import KNOWLEDGE
from tests.support import SIGNING_SECRET, MockSlack, SignedRequest, Signer, assert_valid_delivery
from tests.support.harness import edit_answer, wait_until
from tests.support.mock_api import Install
from tests.support.serve_process import Served, questions_counted_elsewhere, serve_env, serving
from tests.support.signed import PERSON, mention

WAIT = 10.0  # seconds for a reply to reach the mock after the ack
CONTENT_TYPE = "application/x-www-form-urlencoded"
ANSWERING = b"bot.slack.answering"


@pytest.fixture(scope="module")
def served(mock: MockSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    scratch = tmp_path_factory.mktemp("serve")
    env = serve_env(mock.api_url, SIGNING_SECRET, f"sqlite:///{scratch}/store.sqlite3")
    with serving(env, cwd=scratch, log=scratch / "serve.log") as server:
        yield server


@pytest.fixture
def fresh(mock: MockSlack) -> MockSlack:
    mock.reset()
    return mock


def forged(how: str, genuine: SignedRequest) -> SignedRequest:
    """`genuine` spoiled one way: signed with another secret, unsigned, too old, or altered."""
    match how:
        case "wrong secret":
            return Signer(secret="not-the-secret").sign(genuine.body, CONTENT_TYPE)
        case "no signature":
            return SignedRequest(genuine.body, {"content-type": CONTENT_TYPE})
        case "stale timestamp":  # Slack's window is 5 minutes
            return Signer(now=time.time() - 10 * 60).sign(genuine.body, CONTENT_TYPE)
        case "tampered body":
            return SignedRequest(genuine.body.replace("docker", "d0cker"), genuine.headers)
    raise ValueError(how)


def worker_processes(pid: int, kind: bytes = b"spawn_main") -> list[str]:
    """The uvicorn workers under `pid` (spawned children; not multiprocessing's tracker), or
    with `kind` b"bot.slack.answering", its answer processes."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    commands = [Path(f"/proc/{child}/cmdline").read_bytes() for child in children]
    return [child for child, command in zip(children, commands, strict=True) if kind in command]


def test_listeners_wait_while_a_request_is_being_acked() -> None:
    acks = AcksFirst(max_wait=60)
    with ListenerExecutor(2, acks) as pool:
        with acks.acking():
            with acks.acking():
                work = pool.submit(lambda: "answered")
            assert not work.done()  # one request still being acknowledged
        assert work.result(timeout=5) == "answered"


def test_listeners_start_anyway_after_max_wait() -> None:
    """A steady stream of requests must not starve the replies."""
    acks = AcksFirst(max_wait=0)
    with ListenerExecutor(2, acks) as pool, acks.acking():
        assert pool.submit(lambda: "answered").result(timeout=5) == "answered"


def test_healthz_is_ready_with_the_knowledge_loaded(served: Served, answers: Answers) -> None:
    status, body = served.get("/healthz")
    assert status == 200
    assert body == {"status": "ok", "entries": len(answers.knowledge.entries)}


def test_signed_slash_command_is_acked_and_answered_ephemerally(
    served: Served, fresh: MockSlack
) -> None:
    channel = "C0SERVE001"
    request = Signer().command(
        "what is a hypervisor", response_url=fresh.response_url(channel), channel=channel
    )
    status, _ = request.post(served.events_url)
    assert status == 200
    [reply] = fresh.deliveries_to(channel, WAIT)
    assert_valid_delivery(reply)
    if reply.method == "chat.postEphemeral":
        assert reply.body["user"] == PERSON
    else:  # a response_url post: ephemeral unless it says in_channel
        assert reply.body.get("response_type", "ephemeral") == "ephemeral"
    assert "hypervisor" in json.dumps(reply.body).lower()


def test_signed_mention_is_acked_and_answered_in_its_thread(
    served: Served, fresh: MockSlack
) -> None:
    channel = "C0SERVE002"
    event = mention("do containers share the host kernel?", channel=channel)
    status, _ = Signer().event(event).post(served.events_url)
    assert status == 200
    [reply] = fresh.deliveries_to(channel, WAIT)
    assert reply.method == "chat.postMessage"
    assert reply.body["thread_ts"] == event["ts"]
    assert_valid_delivery(reply)


def test_url_verification_challenge_is_answered(served: Served) -> None:
    """Slack checks the Request URL this way when HTTP mode is switched on."""
    body = json.dumps({"token": "t", "challenge": "c0ffee", "type": "url_verification"})
    status, text = Signer().sign(body, "application/json").post(served.events_url)
    assert status == 200
    assert json.loads(text) == {"challenge": "c0ffee"}


@pytest.mark.parametrize(
    "forge",
    ["wrong secret", "no signature", "stale timestamp", "tampered body"],
)
def test_bad_or_missing_signature_gets_401_and_no_reply(
    forge: str, served: Served, fresh: MockSlack
) -> None:
    channel = "C0FORGED01"
    request = forged(
        forge, Signer().command("what is docker", response_url=fresh.response_url(channel))
    )
    status, _ = request.post(served.events_url)
    assert status == 401  # refused before any listener: nothing is queued to reply
    assert [call for call in fresh.sent() if channel in call.path] == []


def test_other_paths_and_methods(served: Served) -> None:
    assert served.get("/slack/events")[0] == 404  # Slack only POSTs
    assert served.get("/")[0] == 404
    assert served.get("/healthz")[0] == 200


def test_several_workers_answer_a_retried_event_once_and_stop_cleanly(
    mock: MockSlack, tmp_path: Path
) -> None:
    """Slack's retry (same event_id, X-Slack-Retry-Num) may reach the other worker: the shared
    store makes sure only one of them answers."""
    env = serve_env(mock.api_url, SIGNING_SECRET, f"sqlite:///{tmp_path}/store.sqlite3")
    with serving(env, cwd=tmp_path, workers=2, log=tmp_path / "serve.log") as server:
        assert len(worker_processes(server.process.pid)) == 2
        # The answer processes start once the web workers serve.
        wait_until(lambda: len(worker_processes(server.process.pid, ANSWERING)) == 2, WAIT)
        mock.reset()
        channels = [f"C0WORKER{index:02d}" for index in range(6)]
        requests = []
        for index, channel in enumerate(channels):
            event = mention("what is a container image?", channel=channel)
            event_id = f"Ev0WORKERS{index:02d}"
            requests += [
                Signer().event(event, event_id=event_id),
                Signer().event(event, event_id=event_id, retry_num=1),
            ]
        with ThreadPoolExecutor(len(requests)) as pool:
            statuses = list(pool.map(lambda request: request.post(server.events_url)[0], requests))
        assert statuses == [200] * len(requests)
        for channel in channels:
            mock.deliveries_to(channel, WAIT)
    # The server has stopped, its workers' listeners finished: every answer sent is recorded.
    assert server.process.returncode == 0
    for channel in channels:
        assert len(mock.deliveries_to(channel, WAIT)) == 1, channel


def test_serve_installs_through_oauth_and_answers_with_the_installed_token(
    mock: MockSlack, tmp_path: Path
) -> None:
    """`vmdocker serve` with SLACK_CLIENT_ID/SECRET and no bot token, over real HTTP."""
    mock.reset()
    env = serve_env(
        mock.api_url,
        SIGNING_SECRET,
        f"sqlite:///{tmp_path}/store.sqlite3",
        SLACK_BOT_TOKEN="",
        SLACK_CLIENT_ID="1111.2222",
        SLACK_CLIENT_SECRET="client-secret",
    )
    with serving(env, cwd=tmp_path, log=tmp_path / "serve.log") as server:
        with urllib.request.urlopen(server.base_url + "/slack/install", timeout=5) as page:
            cookie = page.headers["Set-Cookie"].split(";")[0]
            state = re.search(r"state=([0-9a-f-]+)", page.read().decode())
        assert state is not None
        code = mock.approve(Install("T0SERVED01"))
        back = f"/slack/oauth_redirect?code={code}&state={state.group(1)}"
        request = urllib.request.Request(server.base_url + back, headers={"Cookie": cookie})
        with urllib.request.urlopen(request, timeout=5) as done:
            assert done.status == 200
        [token] = mock.tokens

        event = Signer().event(
            mention("what is a container?", channel="C0SERVED01"), team_id="T0SERVED01"
        )
        assert event.post(server.events_url)[0] == 200
        [reply, *_] = mock.deliveries_to("C0SERVED01", timeout=WAIT)
        assert mock.token_of(reply) == token


def listening(pid: str) -> bool:
    """Whether answer process `pid` has its socket up (before, web workers answer themselves)."""
    variables = Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")
    folder = dict(v.split("=", 1) for v in variables if "=" in v)["VMDOCKER_ANSWER_DIR"]
    return any(Path(folder).glob(f"{pid}-*.sock"))


def test_an_answer_process_killed_is_replaced_and_its_work_taken_over(
    mock: MockSlack, tmp_path: Path
) -> None:
    """`kill -9` of the answer process while it holds a mention: serve starts another, whose
    sweep takes the mention over once its lease runs out, and answers it."""
    mock.reset()
    env = serve_env(
        mock.api_url, SIGNING_SECRET, f"sqlite:///{tmp_path}/store.sqlite3", INBOX_LEASE_SECONDS="1"
    )
    release = mock.hold("C0KILLED01")
    log = tmp_path / "serve.log"
    with serving(env, cwd=tmp_path, log=log) as server:

        def answer_processes() -> list[str]:
            return worker_processes(server.process.pid, ANSWERING)

        wait_until(lambda: len(answer_processes()) == 1 and listening(answer_processes()[0]), WAIT)
        [first] = answer_processes()
        event = Signer().event(mention("what is a container?", channel="C0KILLED01"))
        assert event.post(server.events_url)[0] == 200
        mock.wait_held(1)
        os.kill(int(first), signal.SIGKILL)
        release.set()  # what the killed process was sending reaches Slack all the same
        wait_until(lambda: "was answered before a worker stopped" in log.read_text(), WAIT)
        assert len(answer_processes()) == 1 and first not in answer_processes()
        # /metrics forgets the killed process's gauges
        wait_until(lambda: first not in knowledge_served(server), WAIT)
        assert answer_processes()[0] in knowledge_served(server)
    assert len(mock.deliveries_to("C0KILLED01", WAIT)) == 1


def knowledge_served(served: Served) -> dict[str, str]:
    """From /metrics: the knowledge version each process serves, by pid."""
    status, text = served.get("/metrics")
    assert status == 200 and isinstance(text, str)
    [family] = [
        f for f in text_string_to_metric_families(text) if f.name == "vmdocker_knowledge_entries"
    ]
    return {s.labels["pid"]: s.labels["version"] for s in family.samples if s.value > 0}


def on_a_knowledge_copy(
    mock: MockSlack, tmp_path: Path, **extra: str
) -> tuple[Path, dict[str, str]]:
    """A copy of the knowledge to edit, and the environment of a serve answering from it."""
    folder = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, folder)
    env = serve_env(
        mock.api_url,
        SIGNING_SECRET,
        f"sqlite:///{tmp_path}/store.sqlite3",
        VMDOCKER_KNOWLEDGE_DIR=str(folder),
        VMDOCKER_CACHE_DIR=str(tmp_path / "cache"),
        **extra,
    )
    return folder, env


def test_sighup_reloads_every_process_and_metrics_name_only_the_version_serving(
    mock: MockSlack, tmp_path: Path
) -> None:
    """An edit, then SIGHUP to serve: every worker reloads in place (none is restarted, so no
    connection is dropped), the next answer has the edit, and /metrics shows each at the new
    version (the old one at 0). A broken edit then is refused in one log line naming the file,
    and the edit before it goes on serving. No warning of a library reaches the log."""
    folder, env = on_a_knowledge_copy(mock, tmp_path)
    log = tmp_path / "serve.log"
    with serving(env, cwd=tmp_path, workers=2, log=log) as server:

        def children() -> set[str]:
            pid = server.process.pid
            return set(worker_processes(pid)) | set(worker_processes(pid, ANSWERING))

        wait_until(lambda: len(children()) == 4 and len(knowledge_served(server)) == 4, WAIT)
        [before] = set(knowledge_served(server).values())
        workers = children()

        edit_answer(folder, "Edited while serve was running.")
        os.kill(server.process.pid, signal.SIGHUP)

        def reloaded() -> bool:
            served = knowledge_served(server)
            return set(served) == workers and before not in served.values()

        wait_until(reloaded, WAIT)
        assert children() == workers
        assert len(set(knowledge_served(server).values())) == 1

        def answer_in(channel: str) -> str:
            mock.reset()
            command = Signer().command(
                "why do containers start faster than vms",
                response_url=mock.response_url(channel),
                channel=channel,
            )
            assert command.post(server.events_url)[0] == 200
            [reply] = mock.deliveries_to(channel, WAIT)
            return json.dumps(reply.body)

        assert "Edited while serve was running." in answer_in("C0RELOAD01")

        (folder / "entries" / "broken.md").write_text("---\nid: Not A Slug\n---\n")
        os.kill(server.process.pid, signal.SIGHUP)
        wait_until(lambda: "reload refused" in log.read_text(), WAIT)
        assert "Edited while serve was running." in answer_in("C0RELOAD02")
    output = log.read_text()
    [refused] = [line for line in output.splitlines() if "reload refused" in line]
    assert "broken.md" in refused
    assert "Warning" not in output and "will be unused" not in output, output


def test_log_format_json_makes_every_line_of_serve_one_json_object(
    mock: MockSlack, tmp_path: Path
) -> None:
    """uvicorn's own records and Python's warnings included: a log collector parses them all."""
    env = serve_env(
        mock.api_url,
        SIGNING_SECRET,
        f"sqlite:///{tmp_path}/store.sqlite3",
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
    )
    log = tmp_path / "serve.log"
    with serving(env, cwd=tmp_path, workers=2, log=log) as server:
        unsigned = SignedRequest("token=forged", {"content-type": CONTENT_TYPE})
        assert unsigned.post(server.events_url)[0] == 401
    records = [json.loads(line) for line in log.read_text().splitlines()]
    loggers = {record["logger"] for record in records}
    assert {"uvicorn.error", "bot.slack.launch", "bot.slack.server"} <= loggers, loggers


def test_a_metrics_folder_the_operator_names_starts_empty(mock: MockSlack, tmp_path: Path) -> None:
    """The last run's counts in PROMETHEUS_MULTIPROC_DIR are not added to this run's."""
    folder = tmp_path / "metrics"
    folder.mkdir()
    env = serve_env(
        mock.api_url,
        SIGNING_SECRET,
        f"sqlite:///{tmp_path}/store.sqlite3",
        PROMETHEUS_MULTIPROC_DIR=str(folder),
    )
    questions_counted_elsewhere(folder, "dm", "declined", times=7)  # by the last run
    assert list(folder.glob("*.db"))
    with serving(env, cwd=tmp_path, log=tmp_path / "serve.log") as server:
        status, text = server.get("/metrics")
    assert status == 200 and "vmdocker_knowledge_entries" in str(text)
    assert 'surface="dm"' not in str(text)


def test_a_sighup_as_an_answer_process_starts_reloads_it_once_up_rather_than_killing_it(
    mock: MockSlack,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """SIGHUP's default is to end a process: one sent before the answer process handles it
    (it loads for a while first) waits, and reloads the knowledge once it is handled."""
    env = serve_env(
        mock.api_url, SIGNING_SECRET, f"sqlite:///{tmp_path}/store.sqlite3", LOG_LEVEL="INFO"
    )
    for name, value in {**env, ANSWER_DIR: str(tmp_path), SERVE_PID: str(os.getpid())}.items():
        monkeypatch.setenv(name, value)
    answerers = AnswerProcesses(1, tmp_path, drain_grace=1)
    answerers.start()
    answerers.signal(signal.SIGHUP)  # well before it has loaded anything
    [process] = answerers.processes
    logged: list[str] = []

    def reloaded_or_ended() -> bool:
        logged.append(capfd.readouterr().err)
        return "knowledge reloaded" in "".join(logged) or process.poll() is not None

    wait_until(reloaded_or_ended, WAIT)
    assert process.poll() is None, process.returncode  # -1: ended by the SIGHUP
    answerers.stop()


def test_serve_watching_the_knowledge_reloads_an_edit_and_refuses_a_broken_one_once(
    mock: MockSlack, tmp_path: Path
) -> None:
    folder, env = on_a_knowledge_copy(
        mock, tmp_path, KNOWLEDGE_WATCH_SECONDS="0.1", LOG_LEVEL="INFO"
    )
    log = tmp_path / "serve.log"
    with serving(env, cwd=tmp_path, workers=1, log=log) as server:
        wait_until(lambda: len(knowledge_served(server)) == 2, WAIT)  # a web worker, an answerer
        [before] = set(knowledge_served(server).values())
        edit_answer(folder, "Edited and watched.")
        wait_until(lambda: before not in knowledge_served(server).values(), WAIT)
        wait_until(lambda: len(set(knowledge_served(server).values())) == 1, WAIT)

        broken = folder / "entries" / "broken.md"
        broken.write_text("---\nid: Not A Slug\n---\n")
        wait_until(lambda: "reload refused" in log.read_text(), WAIT)
        broken.unlink()  # the knowledge as it was: the watch reloads that too
        wait_until(lambda: log.read_text().count("every worker reloads") == 2, WAIT)
        assert set(knowledge_served(server).values()) != {before}
    refusals = [line for line in log.read_text().splitlines() if "reload refused" in line]
    assert len(refusals) == 1 and "broken.md" in refusals[0]
