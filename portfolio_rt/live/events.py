"""The broker events consumer: Alpaca's event streams applied to the live page as they come.

One per deployment, on the instance that holds the Redis lease (in-process without Redis).
Each stream is followed by its own task: connect from the stream's checkpoint, apply every
event past it (commit first, see `change_log`, then apply here; other instances apply it from
the channel), and reconnect with jittered backoff when the connection drops, ends, or falls
silent for `events.silence_timeout_s` (heartbeats included). A checkpoint Alpaca will not
replay from is a gap: every account is reconciled, then the stream continues from now.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Literal

import structlog
from aiohttp import ClientError, ClientSession

from ..broker.endpoints import AlpacaEndpoints
from ..broker.events import STREAMS, EventStream, EventStreamRefused, read_events
from ..broker.sse import SseError
from ..config import EventsSettings
from ..core.backoff import Backoff
from ..core.tasks import BackgroundTask
from ..ops.channel import OFFLINE
from ..ops.metrics import Metrics
from .change_log import ChangeLog
from .changes import AccountChange, change_of

log = structlog.get_logger("portfolio_rt.events")

FollowerState = Literal["connecting", "live", "reconnecting", "stopped"]
_GAP_STATUSES = frozenset({400, 404, 410, 422})
"""Alpaca refusing a resume point: it cannot replay from there."""


class _Silent(Exception):
    """No line (event or heartbeat) for longer than the silence timeout."""


class StreamFollower(BackgroundTask):
    """Follows one event stream from its checkpoint, for as long as it runs."""

    def __init__(
        self,
        stream: EventStream,
        consumer: EventsConsumer,
    ) -> None:
        super().__init__()
        self.name = f"events-{stream}"
        self.stream = stream
        self._consumer = consumer
        self.state: FollowerState = "connecting"
        self.reconnects = 0
        self.heard_at = 0.0
        self.live_since = 0.0
        self._floor: datetime | None = None
        """When this follower first connected without a checkpoint: on a reconnect before
        any event was applied, the stream is replayed from that day and older events
        skipped (the start's reconciliation covered them)."""

    def _heard(self) -> None:
        self.heard_at = time.monotonic()

    async def _run(self) -> None:
        settings = self._consumer.settings
        backoff = Backoff(settings.reconnect_base_delay_s, settings.reconnect_max_delay_s)
        while True:
            reason = await self._follow_once(backoff)
            self.state = "reconnecting"
            self.reconnects += 1
            self._consumer.metrics_reconnected(self.stream)
            delay = backoff.next()
            log.warning(
                "events.reconnecting",
                stream=self.stream,
                attempt=backoff.attempt,
                delay_s=round(delay, 2),
                reason=reason,
            )
            await asyncio.sleep(delay)

    async def _follow_once(self, backoff: Backoff) -> str:
        """One connection, until it ends; returns why."""
        consumer = self._consumer
        try:
            since = await consumer.change_log.resume_point(self.stream)
        except OFFLINE as offline:
            return f"checkpoint unavailable ({type(offline).__name__})"
        self._heard()
        reading = asyncio.create_task(self._read(since, backoff))
        try:
            while True:
                quarter = consumer.settings.silence_timeout_s / 4
                done, _ = await asyncio.wait({reading}, timeout=quarter)
                if done:
                    break
                if time.monotonic() - self.heard_at > consumer.settings.silence_timeout_s:
                    reading.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await reading
                    return "silent"
            failure = reading.exception()
        finally:
            if not reading.done():
                reading.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reading
        if failure is None:
            return "ended"
        if isinstance(failure, EventStreamRefused):
            if since is not None and failure.status in _GAP_STATUSES:
                await consumer.gap(self.stream, failure.message)
                self._floor = datetime.now(UTC)  # the reconciliation covered all before now
                return "gap"
            return f"refused {failure.status}"
        if isinstance(failure, ClientError | ConnectionError | TimeoutError | SseError):
            return type(failure).__name__
        if isinstance(failure, OFFLINE):
            return f"checkpoint unavailable ({type(failure).__name__})"
        if isinstance(failure, ValueError):  # e.g. a line longer than the reader allows
            return type(failure).__name__
        raise failure

    async def _read(self, since: str | None, backoff: Backoff) -> None:
        consumer = self._consumer
        self.state = "connecting" if self.reconnects == 0 else "reconnecting"
        if since is None and self._floor is None:
            self._floor = datetime.now(UTC)
        floor = self._floor if since is None else None
        events = read_events(
            consumer.session,
            consumer.endpoints,
            self.stream,
            since=since,
            since_date=floor.date() if floor is not None else None,
            on_open=lambda: self._went_live(backoff),
            on_line=self._heard,
            on_bad=lambda reason: consumer.bad_event(self.stream, reason),
        )
        async for event in events:
            if floor is not None and event.at < floor:
                continue
            change = change_of(event)
            if await consumer.change_log.commit(change):
                consumer.applied(change)

    def _went_live(self, backoff: Backoff) -> None:
        """Alpaca accepted the request: the stream is live, even before its first event."""
        self.state = "live"
        self.live_since = time.monotonic()
        backoff.reset()
        log.info("events.live", stream=self.stream, reconnects=self.reconnects)


class EventsConsumer:
    """The three followers, and what applying an event means for this instance."""

    def __init__(
        self,
        settings: EventsSettings,
        *,
        session: ClientSession,
        endpoints: AlpacaEndpoints,
        change_log: ChangeLog,
        apply: Callable[[AccountChange], None],
        reconcile: Callable[[], Awaitable[None]],
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.session = session
        self.endpoints = endpoints
        self.change_log = change_log
        self._apply = apply
        self._reconcile = reconcile
        self._metrics = metrics
        self.followers = {stream: StreamFollower(stream, self) for stream in STREAMS}
        self.recent: deque[tuple[str, str]] = deque(maxlen=10_000)
        """The last applied events, (stream, id), oldest first: what an operator (or a test)
        checks against Alpaca's own record."""
        self.applied_count = 0
        self.last_lag_s: float | None = None
        self.gaps = 0
        self.started = False

    def start(self) -> None:
        self.started = True
        for follower in self.followers.values():
            follower.start()

    async def close(self) -> None:
        self.started = False
        for follower in self.followers.values():
            await follower.close()
            follower.state = "stopped"

    @property
    def healthy(self) -> bool:
        """Every stream connected: changes arrive as they happen."""
        return self.started and all(f.state == "live" for f in self.followers.values())

    def applied(self, change: AccountChange) -> None:
        self.applied_count += 1
        self.recent.append((change.stream, change.event_id))
        self.last_lag_s = max(0.0, time.time() - change.at)
        if self._metrics is not None:
            self._metrics.event_applied(change.stream, change.kind, self.last_lag_s)
        self._apply(change)

    def bad_event(self, stream: str, reason: str) -> None:
        log.warning("events.bad_event", stream=stream, reason=reason)
        if self._metrics is not None:
            self._metrics.event_bad(stream)

    def metrics_reconnected(self, stream: str) -> None:
        if self._metrics is not None:
            self._metrics.events_reconnected(stream)

    async def gap(self, stream: str, message: str) -> None:
        """Alpaca cannot replay the stream from its checkpoint: reconcile every account,
        then follow the stream from now on."""
        self.gaps += 1
        log.error("events.gap", stream=stream, alpaca_said=message[:200])
        await self.change_log.forget(stream)
        await self._reconcile()

    def readiness(self) -> dict[str, object]:
        last: dict[str, str] = {}
        for stream, event_id in reversed(self.recent):
            last.setdefault(stream, event_id)
        return {
            "ok": self.healthy,
            "streams": {s: f.state for s, f in self.followers.items()},
            "last_event_id": last,
            "applied": self.applied_count,
            "lag_s": None if self.last_lag_s is None else round(self.last_lag_s, 3),
            "reconnects": sum(f.reconnects for f in self.followers.values()),
            "gaps": self.gaps,
        }
