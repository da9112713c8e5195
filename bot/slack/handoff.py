"""From `vmdocker serve`'s web workers to its answer processes: the web workers only verify, keep
and ack, so answering never holds the interpreter lock or the cores their acks need.

Each answer process listens on a Unix socket in one folder (`launch.ANSWER_DIR`), named after
its inbox owner (`Mailbox`); items travel as lines of JSON. A web worker keeps an item leased to
one of them, chosen by the item's channel so that a channel's items share one process's lanes,
and sends it the item once it is committed (`Handoff`). With no answer process up (the second
after a start) the web worker answers the item itself, leased to it: kept in the store if the
store answers, and worked on all the same if it does not. An item that cannot be sent (its
process just died) is given back, for the next sweep of any answer process to take.
"""

from __future__ import annotations

import logging
import os
import selectors
import socket
import time
import zlib
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from pathlib import Path
from typing import cast

from bot.store.memory import InboxStore
from bot.store.records import Admission, InboxItem

log = logging.getLogger(__name__)

SUFFIX = ".sock"
SEND_TIMEOUT_S = 1.0  # a send waits this long at most for an answer process to read
READ_BYTES = 1 << 16
LOOK_AGAIN_S = 1.0  # how long a worker trusts its list of answer processes


def owner_named(stem: str) -> str:
    """The inbox owner of the answer process whose socket is `stem` + SUFFIX (on this host)."""
    return f"{socket.gethostname()}:{stem}"


def _bucket(channel: str | None, count: int) -> int:
    """The same one of `count` for every item of a channel."""
    return zlib.crc32((channel or "").encode()) % count


class Handoff:
    """A web worker's side: keep each item leased to an answer process, then send it there."""

    def __init__(
        self,
        folder: Path,
        memory: InboxStore,
        *,
        lease: timedelta,
        here: Callable[[list[InboxItem]], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folder = folder
        self.memory = memory
        self.lease = lease
        self.here = here  # keeps and answers items in this process (`Inbox.take_all`)
        self._clock = clock
        self._connections: dict[str, socket.socket] = {}
        self._stems: list[str] = []
        self._looked_at = float("-inf")

    def take_all(self, items: list[InboxItem]) -> None:
        """Keep items that arrived together, in one transaction (committed when this returns:
        the caller may ack), and hand each over; a key kept before (Slack's retry) is not
        handed over twice. With no answer process up, `here` takes them."""
        answerers = self.answerers()
        if not answerers:
            self.here(items)
            return
        stems = [answerers[_bucket(item.channel_id, len(answerers))] for item in items]
        admissions = [
            Admission(item, owner_named(stem), self.lease)
            for item, stem in zip(items, stems, strict=True)
        ]
        kept = self.memory.admit_all(admissions)
        for item, stem, first in zip(items, stems, kept, strict=True):
            if not first:
                log.info("%s already received; not worked on twice", item.key)
            elif not self._send(stem, item):
                self._looked_at = float("-inf")
                self.memory.release([item.key])

    def answerers(self) -> list[str]:
        """The answer processes' socket names, looked at again every LOOK_AGAIN_S (and each
        time while there are none: the first comes up a second or so after a start)."""
        now = self._clock()
        if not self._stems or now - self._looked_at > LOOK_AGAIN_S:
            names = os.listdir(self.folder)
            self._stems = sorted(name[: -len(SUFFIX)] for name in names if name.endswith(SUFFIX))
            self._looked_at = now
        return self._stems

    def _send(self, stem: str, item: InboxItem) -> bool:
        line = item.model_dump_json().encode() + b"\n"  # JSON escapes every newline inside
        try:
            connection = self._connections.get(stem)
            if connection is None:
                connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                connection.settimeout(SEND_TIMEOUT_S)
                self._connections[stem] = connection
                connection.connect(str(self.folder / (stem + SUFFIX)))
            connection.sendall(line)
        except OSError as error:  # gone, or not reading: the sweep takes the item
            log.warning("inbox: could not hand %s to %s: %s", item.key, stem, error)
            self._connections.pop(stem).close()
            return False
        return True

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()


class Mailbox:
    """An answer process's side: its socket, where the web workers send the items leased to it."""

    def __init__(self, folder: Path, stem: str) -> None:
        self.path = folder / (stem + SUFFIX)
        self.owner = owner_named(stem)
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(str(self.path))
        self._listener.listen()
        self._listener.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._partial: dict[socket.socket, bytes] = {}  # each worker's line not yet whole

    def receive(self, timeout: float) -> list[InboxItem]:
        """The items sent since the last call, waiting up to `timeout` seconds for the first."""
        items: list[InboxItem] = []
        while ready := self._selector.select(timeout):
            timeout = 0  # then all there is, without waiting
            for key, _ in ready:
                if key.fileobj is self._listener:
                    self._accept()
                else:
                    items.extend(self._read(cast(socket.socket, key.fileobj)))
        return items

    def _accept(self) -> None:
        with suppress(BlockingIOError):
            connection, _ = self._listener.accept()
            connection.setblocking(False)
            self._selector.register(connection, selectors.EVENT_READ)
            self._partial[connection] = b""

    def _read(self, connection: socket.socket) -> list[InboxItem]:
        try:
            data = connection.recv(READ_BYTES)
        except BlockingIOError:
            return []
        except OSError:
            data = b""
        if not data:  # the worker went away
            self._selector.unregister(connection)
            self._partial.pop(connection, None)
            connection.close()
            return []
        *lines, self._partial[connection] = (self._partial[connection] + data).split(b"\n")
        return [InboxItem.model_validate_json(line) for line in lines]

    def receive_burst(self, timeout: float, *, quiet: float, longest: float) -> list[InboxItem]:
        """The items sent since the last call, waiting up to `timeout` seconds for the first,
        then for more until none comes for `quiet` seconds, or for `longest` in all."""
        items = self.receive(timeout)
        if items:
            until = time.monotonic() + longest
            while (left := until - time.monotonic()) > 0:
                more = self.receive(min(quiet, left))
                if not more:
                    break
                items.extend(more)
        return items

    def close(self) -> list[InboxItem]:
        """Take the socket away, so that no worker sends here any more, and return the items
        sent before that were not received yet."""
        self.path.unlink(missing_ok=True)
        left = self.receive(timeout=0)
        self._listener.close()
        for connection in self._partial:
            connection.close()
        self._selector.close()
        return left
