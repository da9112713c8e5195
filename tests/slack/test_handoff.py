"""From web workers to answer processes (`bot.slack.handoff`), on a real SQLite store and real
Unix sockets: each item is kept leased to the answer process it is sent to, a channel always
goes to the same one, what cannot be sent is left for any process's sweep, and while none is up
the web worker takes the items itself."""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.slack.handoff import Handoff, Mailbox
from bot.store.database import Store
from bot.store.records import InboxItem, utcnow

LEASE = timedelta(seconds=30)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.from_url(f"sqlite:///{tmp_path / 'handoff.sqlite3'}")
    yield opened
    opened.close()


@pytest.fixture
def folder() -> Iterator[Path]:
    # AF_UNIX paths are short (108 bytes): pytest's own tmp_path may be too long.
    short = Path(tempfile.mkdtemp(prefix="vmd-", dir="/tmp"))
    yield short
    shutil.rmtree(short)


def nowhere(items: list[InboxItem]) -> None:
    raise AssertionError(f"{[i.key for i in items]} not handed over: an answer process is up")


def item(key: str, channel: str) -> InboxItem:
    return InboxItem(
        key=f"event:{key}", kind="event", channel_id=channel, body="{}", received_at=utcnow()
    )


def test_items_go_to_one_answer_process_per_channel_leased_to_it(
    store: Store, folder: Path
) -> None:
    first, second = Mailbox(folder, "101-aaaaaa"), Mailbox(folder, "102-bbbbbb")
    handoff = Handoff(folder, store, lease=LEASE, here=nowhere)
    items = [item(f"E{n}", f"C{n % 5}") for n in range(20)]
    handoff.take_all(items)

    got = {mailbox.owner: mailbox.receive(timeout=1) for mailbox in (first, second)}
    assert sorted(i.key for kept in got.values() for i in kept) == sorted(i.key for i in items)
    channels = {owner: {i.channel_id for i in kept} for owner, kept in got.items()}
    assert not channels[first.owner] & channels[second.owner]  # a channel has one process
    # Leased to the process it went to: nobody else takes it before the lease runs out.
    assert store.claim_open(owner="sweeper", lease=LEASE, limit=50) == []
    assert store.renew(owner=first.owner, lease=LEASE) == len(got[first.owner])
    handoff.close()
    first.close()
    second.close()


def test_a_retry_is_kept_once_and_sent_once(store: Store, folder: Path) -> None:
    mailbox = Mailbox(folder, "103-cccccc")
    handoff = Handoff(folder, store, lease=LEASE, here=nowhere)
    handoff.take_all([item("E1", "C1")])
    handoff.take_all([item("E1", "C1")])  # Slack's retry of the same event
    assert [i.key for i in mailbox.receive(timeout=1)] == ["event:E1"]
    assert mailbox.close() == []
    handoff.close()


def test_with_no_answer_process_up_the_web_worker_takes_the_items_itself(
    store: Store, folder: Path
) -> None:
    here: list[InboxItem] = []
    Handoff(folder, store, lease=LEASE, here=here.extend).take_all([item("E1", "C1")])
    assert [i.key for i in here] == ["event:E1"]  # kept and answered by this process's inbox


def test_an_item_sent_to_a_process_gone_is_left_to_the_next_sweep(
    store: Store, folder: Path
) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as dead:
        dead.bind(str(folder / "104-dddddd.sock"))  # died without taking its socket away
    Handoff(folder, store, lease=LEASE, here=nowhere).take_all([item("E1", "C1")])
    [taken] = store.claim_open(owner="survivor", lease=LEASE, limit=50)
    assert taken.key == "event:E1"


def test_items_sent_while_a_mailbox_closes_are_returned_by_close(
    store: Store, folder: Path
) -> None:
    mailbox = Mailbox(folder, "105-eeeeee")
    handoff = Handoff(folder, store, lease=LEASE, here=nowhere)
    handoff.take_all([item("E1", "C1"), item("E2", "C1")])
    assert [i.key for i in mailbox.close()] == ["event:E1", "event:E2"]
    handoff.close()


def test_a_burst_is_received_together_once_it_goes_quiet(store: Store, folder: Path) -> None:
    mailbox = Mailbox(folder, "106-ffffff")
    handoff = Handoff(folder, store, lease=LEASE, here=nowhere)
    handoff.take_all([item("E1", "C1")])
    handoff.take_all([item("E2", "C2")])
    burst = mailbox.receive_burst(1, quiet=0.05, longest=1)
    assert [i.key for i in burst] == ["event:E1", "event:E2"]
    assert mailbox.receive_burst(0, quiet=0.05, longest=1) == []
    mailbox.close()
    handoff.close()
