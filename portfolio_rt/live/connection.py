"""One authenticated live socket's state: the account it watches, its seq and its bounded
outgoing queue. `send` never awaits, so the flusher and handlers are plain functions."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Literal

from . import messages

Kind = Literal["snapshot", "update", "positions", "subscribed", "status", "error"]

TOPICS = frozenset({"value", "positions"})
"""What a socket may subscribe to: `value` (updates; on by default) and `positions`."""


LATEST = b""
"""A queued positions message to be rendered complete when written (see `send_positions`)."""


def _never(*_payloads: bytes) -> bool:
    return False


class LiveConnection:
    """What the hub sends to one socket; the transport's writer task drains `queue`.

    An update replaces an update still waiting in the queue (a slow client gets only the
    latest value); a positions message arriving while another still waits turns the waiting
    one into a complete message rendered when it is written (the latest state of every
    position, so no moved price is lost); any other message past `max_pending` marks the
    client overflowed, and the transport closes it. An update or positions message for an
    idle socket (nothing queued, no write in progress) skips the queue: `write_now` puts it
    on the wire at once.
    """

    def __init__(
        self,
        conn_id: int,
        account_id: str,
        max_pending: int,
        *,
        token_id: str = "",
        issued_at: float = 0.0,
    ) -> None:
        self.id = conn_id
        self.account_id = account_id
        self.token_id = token_id
        """The session (token id) the socket was opened with: it lives no longer."""
        self.issued_at = issued_at
        self.max_pending = max_pending
        self.queue: deque[tuple[Kind, bytes]] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self.seq = 0
        self.overflowed = False
        self.closed = False
        self.replaced = 0
        self.ready = True
        """False until the snapshot is queued: nothing may go out before it."""
        self.sending_since = 0.0
        """Loop time the write in progress started (0: not writing); see `LiveHub.sweep`."""
        self.abort: Callable[[], None] = lambda: None
        """Drops the TCP connection (set by the transport)."""
        self.write_now: Callable[..., bool] = _never
        """Writes messages (each its own frame, all in one write) to the socket at once if it
        can take them without waiting (set by the transport); False leaves them to the queue."""
        self.ending: tuple[int, str] | None = None
        """Set by `end`: the close code and reason the writer closes the socket with."""
        self.topics: set[str] = {"value"}
        self.complete_positions: Callable[[], bytes | None] = lambda: None
        """A complete positions message of the account as it stands (set by the transport);
        what a queued positions message becomes when a later one overtakes it."""

    def end(self, code: int, reason: str) -> None:
        """Close the socket with `code` (its session ended or expired): nothing more is sent
        but an error saying why; the writer task does the closing."""
        if self.ending is not None or self.closed:
            return
        self.ending = (code, reason)
        self.ready = False
        self.queue.clear()
        self.wake()

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def send(self, data: bytes, kind: Kind = "status") -> None:
        """Queue one message (never blocks)."""
        if self.closed or self.overflowed or not self.ready:
            return
        queue = self.queue
        if kind == "update" and queue and queue[-1][0] == "update":
            queue[-1] = ("update", data)
            self.replaced += 1
        elif len(queue) >= self.max_pending:
            self.overflowed = True
        else:
            queue.append((kind, data))
        self.wake()

    def wake(self) -> None:
        """Wake the writer if it waits (a future, not an Event: this runs per update)."""
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self) -> None:
        """The writer's wait for something to send (or for the connection to close)."""
        if self.queue or self.closed or self.overflowed or self.ending:
            return
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def send_positions(self, body: bytes) -> bool:
        """A positions message serialised once for the account. True when it went straight
        to the socket. One waiting in the queue already is marked to be rendered complete at
        write time (`LATEST`), and this one dropped: the complete one carries it."""
        if self.closed or self.overflowed or not self.ready:
            return False
        queue = self.queue
        if not queue and not self.sending_since and self.write_now(body):
            return True
        for i, (kind, _data) in enumerate(queue):
            if kind == "positions":
                queue[i] = ("positions", LATEST)
                self.replaced += 1
                return False
        self.send(body, "positions")
        return False

    def send_update(self, body: bytes, positions: bytes | None = None) -> bool:
        """An update serialised once for the account; this socket's seq is added here. With
        the account's positions message of the same step, when this socket takes them, both
        go out in one write (one system call for the two).

        True when it went straight to the socket, False when it was queued (or dropped: the
        socket is closed or has no snapshot yet)."""
        if self.closed or self.overflowed or not self.ready:
            return False
        if positions is not None and "positions" not in self.topics:
            positions = None
        if "value" not in self.topics:
            return positions is not None and self.send_positions(positions)
        data = messages.with_seq(body, self.next_seq())
        if not self.queue and not self.sending_since:
            written = self.write_now(data) if positions is None else self.write_now(data, positions)
            if written:
                return True
        self.send(data, "update")
        if positions is not None:
            self.send_positions(positions)
        return False
