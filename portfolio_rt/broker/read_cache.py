"""A short-lived read cache with single-flight, refreshed ahead of expiry while it is read,
serving stale answers when Alpaca fails, and remembering "not found" briefly where asked to."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar, cast

from ..core.errors import NotFound, ServiceError
from ..ops.metrics import CacheResult, Metrics

T = TypeVar("T")

# Failures for which an older answer is better than an error (Alpaca down, slow or limiting).
STALE_SERVABLE_STATUSES = frozenset({429, 502, 503, 504})
REFRESH_AHEAD = 0.8
"""A hit on an answer past this share of its TTL fetches the next one in the background: a
key read steadily never expires under its readers, so none of them waits for Alpaca, and
no answer served is older than its TTL."""


@dataclass(frozen=True)
class _Absent:
    """A remembered "not found" (its message), standing in for a value."""

    message: str


@dataclass(frozen=True)
class Fetched(Generic[T]):
    """A value with its age: `stale` is True when it is served because a refresh failed."""

    value: T
    fetched_at: float
    stale: bool = False
    from_cache: bool = False
    refresh_at: float = 0.0
    """When a read of this answer starts fetching the next one (the cache's clock; 0 when it
    is not kept): until then what is built from it may be answered as is, and from then the
    next read takes the cache's path, which refreshes it ahead of expiry."""


class ReadCache:
    """Per-key TTL cache. Concurrent identical reads share one upstream call (single-flight);
    a key read late in its TTL is refreshed in the background (`REFRESH_AHEAD`); when a
    refresh fails with an upstream error, the last good value (if younger than `max_stale_s`)
    is returned marked stale instead of the error."""

    def __init__(
        self,
        *,
        max_entries: int = 10_000,
        max_stale_s: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
        metrics: Metrics | None = None,
    ) -> None:
        self.max_entries = max_entries
        self._metrics = metrics
        self.max_stale_s = max_stale_s
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
        self._inflight: dict[Hashable, asyncio.Task[Fetched[object]]] = {}
        self._dropped_in_flight: set[Hashable] = set()
        """Keys invalidated while a fetch was out: its answer may predate the change, so it
        is handed to its waiters but not kept."""
        self._versions: dict[object, int] = {}
        """Per account (and `None` for answers about no account): how many times an answer
        about it was stored or dropped. A view built from answers whose owners' versions are
        unchanged is built from the same answers."""

    def version_of(self, account: object) -> tuple[int, int]:
        """The account's version and the version of the answers about no account."""
        versions = self._versions
        return versions.get(account, 0), versions.get(None, 0)

    def _bump(self, key: Hashable) -> None:
        owner = key[1] if isinstance(key, tuple) and len(key) > 1 else None
        self._versions[owner] = self._versions.get(owner, 0) + 1

    def __len__(self) -> int:
        return len(self._entries)

    def invalidate(self, predicate: Callable[[Hashable], bool]) -> int:
        """Drop every entry whose key matches (e.g. one account's after it trades)."""
        doomed = [key for key in self._entries if predicate(key)]
        for key in doomed:
            del self._entries[key]
            self._bump(key)
        self._dropped_in_flight.update(key for key in self._inflight if predicate(key))
        return len(doomed)

    async def get(
        self,
        key: Hashable,
        ttl_s: float,
        fetch: Callable[[], Awaitable[T]],
        *,
        not_found_ttl_s: float = 0.0,
    ) -> Fetched[T]:
        """The value for `key`, fetched at most once per `ttl_s`. With `not_found_ttl_s`, a
        `NotFound` is remembered that long too (and raised again from memory): a name that
        does not exist is not asked for again on every request."""
        now = self._clock()
        entry = self._entries.get(key)
        if entry is not None and isinstance(entry[1], _Absent):
            if now - entry[0] < not_found_ttl_s:
                self._count(key, "hit")
                raise NotFound(entry[1].message)
            entry = None
        if entry is not None and now - entry[0] < ttl_s:
            self._entries.move_to_end(key)
            self._count(key, "hit")
            if now - entry[0] >= ttl_s * REFRESH_AHEAD and key not in self._inflight:
                self._start(key, entry, fetch, not_found_ttl_s, ttl_s)
            refresh_at = entry[0] + ttl_s * REFRESH_AHEAD
            return Fetched(entry[1], entry[0], from_cache=True, refresh_at=refresh_at)  # type: ignore[arg-type]
        task = self._inflight.get(key)
        self._count(key, "miss" if task is None else "shared")
        if task is None:
            task = self._start(key, entry, fetch, not_found_ttl_s, ttl_s)
        return cast(Fetched[T], await asyncio.shield(task))

    def _start(
        self,
        key: Hashable,
        previous: tuple[float, object] | None,
        fetch: Callable[[], Awaitable[T]],
        not_found_ttl_s: float,
        ttl_s: float,
    ) -> asyncio.Task[Fetched[object]]:
        # The refresh runs as its own task, so a caller that gives up (a closed browser tab)
        # cancels only its own wait, never the call the other waiters share.
        refresh = self._refresh(key, previous, fetch, not_found_ttl_s, ttl_s)
        task = cast("asyncio.Task[Fetched[object]]", asyncio.create_task(refresh))
        self._inflight[key] = task
        task.add_done_callback(lambda done: self._settle(key, done))
        return task

    def _count(self, key: Hashable, result: CacheResult) -> None:
        if self._metrics is not None:
            self._metrics.cache_lookup(key, result)

    def _settle(self, key: Hashable, task: asyncio.Task[Fetched[object]]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
            self._dropped_in_flight.discard(key)
        if not task.cancelled():
            task.exception()  # retrieved here too, so no waiter-less failure is reported as lost

    async def _refresh(
        self,
        key: Hashable,
        previous: tuple[float, object] | None,
        fetch: Callable[[], Awaitable[T]],
        not_found_ttl_s: float,
        ttl_s: float,
    ) -> Fetched[T]:
        try:
            value = await fetch()
        except NotFound as exc:
            if not_found_ttl_s > 0:
                self._store(key, _Absent(exc.message))
            raise
        except ServiceError as exc:
            if (
                previous is not None
                and exc.status in STALE_SERVABLE_STATUSES
                and self._clock() - previous[0] <= self.max_stale_s
            ):
                self._count(key, "stale")
                return Fetched(previous[1], previous[0], stale=True, from_cache=True)  # type: ignore[arg-type]
            raise
        if key in self._dropped_in_flight:
            fetched_at = self._clock()
            return Fetched(value, fetched_at, refresh_at=fetched_at)  # theirs, not kept
        fetched_at = self._store(key, value)
        return Fetched(value, fetched_at, refresh_at=fetched_at + ttl_s * REFRESH_AHEAD)

    def _store(self, key: Hashable, value: object) -> float:
        fetched_at = self._clock()
        self._entries[key] = (fetched_at, value)
        self._entries.move_to_end(key)
        self._bump(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return fetched_at
