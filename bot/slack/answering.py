"""An answer process of `vmdocker serve`: it answers what the web workers kept and acked.

Started by the serve process (`bot.slack.launch`) as `python -m bot.slack.answering`, at a lower
CPU priority than the web workers, with ANSWER_DIR set. It builds the same Bolt app as a web
worker, receives the items leased to it on its socket (`bot.slack.handoff.Mailbox`) and works on
them through its inbox, in per-channel lanes; its sweeps also take over the items of a process
that died, and those kept while no answer process was up. SIGTERM drains it (`Inbox.drain`);
SIGHUP reloads the knowledge; it dies with the serve process.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import uuid
from pathlib import Path
from types import FrameType

from bot.config import load_settings
from bot.logs import configure_logging
from bot.slack.app import (
    build_app,
    build_client,
    freeze_long_lived_objects,
    inbox_for,
    open_store_for,
    reload_on_hangup,
    serving_for,
)
from bot.slack.handoff import Mailbox
from bot.slack.jobs import start_jobs
from bot.slack.launch import ANSWER_DIR, die_with_parent

log = logging.getLogger(__name__)

WAKE_EVERY_S = 0.5  # how soon a SIGTERM is noticed while no item arrives
# Items arriving together are a burst the web workers are still acking: work on them once
# none has come for QUIET_S (or after ACKS_FIRST_S), so that answering, and the Slack calls
# it makes, take no core from those acks.
QUIET_S = 0.005
ACKS_FIRST_S = 0.05


def main() -> None:
    """Answer until SIGTERM, then drain."""
    die_with_parent()
    settings = load_settings()
    configure_logging(settings)
    stem = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
    store = open_store_for(settings)
    client = build_client(settings)
    serving = serving_for(settings, None, store, client)
    mailbox = Mailbox(Path(os.environ[ANSWER_DIR]), stem)
    inbox = inbox_for(settings, store, owner=mailbox.owner)
    build_app(settings, client=client, serving=serving, inbox=inbox)
    reload_on_hangup(serving, settings)
    start_jobs(serving, client)
    freeze_long_lived_objects()

    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    inbox.start()
    while not stopping.is_set():
        for item in mailbox.receive_burst(WAKE_EVERY_S, quiet=QUIET_S, longest=ACKS_FIRST_S):
            inbox.accept(item)
    for item in mailbox.close():
        inbox.accept(item)  # leased to this process: given back by the drain
    inbox.drain(settings.drain_grace_seconds)


if __name__ == "__main__":
    main()
