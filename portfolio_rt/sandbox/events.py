"""The sandbox's event log: every change Alpaca's Broker API reports as a server-sent event.

One list per stream (trades, funding, accounts, journals, non-trade activity), in the order the
events happened. Each event gets an integer id counting up within its stream (the v1 streams'
`event_id`) and a ULID counting up across all streams (the v2 `event_id`, the v1
`event_ulid`). History the demo personas write while the world is built is recorded first
and numbered once, in time order, when the world is sealed; from then on an event is numbered
as it happens, so ids only ever grow and a reader resuming from an id misses nothing.
Accounts replayed lazily on first use (load-test accounts) write no events about their past
(it would arrive after ids already handed out), only about what happens to them afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from .ulid import UlidFactory

Stream = Literal["trades", "funding", "accounts", "journals", "nta"]
STREAMS: tuple[Stream, ...] = ("trades", "funding", "accounts", "journals", "nta")


@dataclass(slots=True)
class Event:
    """One change: when, whose, and the stream's own fields (JSON-ready, ids added on the
    way out); `seq` and `ulid` are given when the event is logged."""

    stream: Stream
    at: datetime
    account_id: UUID
    body: dict[str, Any]
    seq: int = 0
    ulid: str = ""


@dataclass
class _StreamLog:
    events: list[Event] = field(default_factory=list)
    waiter: asyncio.Future[None] | None = None

    def wake(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done() and not waiter.get_loop().is_closed():
            waiter.set_result(None)


class EventLog:
    """Every stream's events; `record` is the ledger's only way to say something happened."""

    def __init__(self, seed: int | str = 0) -> None:
        self._ulids = UlidFactory(seed)
        self._logs: dict[Stream, _StreamLog] = {s: _StreamLog() for s in STREAMS}
        self._pending: list[Event] = []
        self._quiet_until: dict[UUID, datetime] = {}
        self.sealed = False

    def record(self, stream: Stream, at: datetime, account_id: UUID, body: dict[str, Any]) -> None:
        quiet = self._quiet_until.get(account_id)
        if quiet is not None and at <= quiet:
            return
        event = Event(stream, at, account_id, body)
        if self.sealed:
            self._number(event)
        else:
            self._pending.append(event)

    def seal(self) -> None:
        """Number the history written so far, in time order; later events follow it."""
        if self.sealed:
            return
        for event in sorted(self._pending, key=lambda e: e.at):
            self._number(event)
        self._pending = []
        self.sealed = True

    def forget_past(self, account_id: UUID, until: datetime) -> None:
        """Write no events of this account dated up to `until` (a lazily built account's
        past, including the work that falls due from it later)."""
        self._quiet_until[account_id] = until

    def events(self, stream: Stream) -> list[Event]:
        """The stream's events so far, oldest first (the list itself: append-only)."""
        return self._logs[stream].events

    async def wait(self, stream: Stream, timeout_s: float) -> None:
        """Until the stream has a new event, or `timeout_s` passed."""
        log = self._logs[stream]
        loop = asyncio.get_running_loop()
        # A new one when the last was woken, or belongs to another loop (a world outlives the
        # loop of the server that first streamed from it, as a test suite's shared sandbox does).
        if log.waiter is None or log.waiter.done() or log.waiter.get_loop() is not loop:
            log.waiter = loop.create_future()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await asyncio.shield(log.waiter)

    def _number(self, event: Event) -> None:
        log = self._logs[event.stream]
        event.seq = len(log.events) + 1
        event.ulid = self._ulids.make(event.at)
        log.events.append(event)
        log.wake()


@dataclass(frozen=True)
class Window:
    """Which of a stream's events a request asked for: from a date, an integer id or a ULID
    (history; none of them: only what happens from now on), up to an optional end of the
    same kind, after which the stream ends. Both ends are inclusive."""

    since: date | None = None
    until: date | None = None
    since_id: int | None = None
    until_id: int | None = None
    since_ulid: str | None = None
    until_ulid: str | None = None

    @property
    def has_history(self) -> bool:
        return self.since is not None or self.since_id is not None or self.since_ulid is not None

    def start(self, events: list[Event]) -> int:
        """The index of the first event to send."""
        if not self.has_history:
            return len(events)
        for index, event in enumerate(events):
            if self._from(event):
                return index
        return len(events)

    def _from(self, event: Event) -> bool:
        if self.since is not None:
            return event.at.date() >= self.since
        if self.since_id is not None:
            return event.seq >= self.since_id
        return self.since_ulid is not None and event.ulid >= self.since_ulid

    def beyond(self, event: Event) -> bool:
        """True for the first event past the window's end (the stream then ends)."""
        if self.until is not None:
            return event.at.date() > self.until
        if self.until_id is not None:
            return event.seq > self.until_id
        return self.until_ulid is not None and event.ulid > self.until_ulid

    def ended_by(self, today: date) -> bool:
        """A date window whose last day is over: no later event can belong to it."""
        return self.until is not None and today > self.until
