"""Scale-out over one shared Redis: a lease for the single stream reader, prices fanned out
over pub/sub, and the price map mirrored to a hash in batches.

- `StreamLease`: `SET NX PX` taken and renewed every ttl/3 by one Lua script; the holder runs
  the market feed. A holder that cannot renew for a whole ttl steps down, so two readers never
  overlap for long; a dead holder's lease expires and another instance takes it.
- `PricePublisher` (the holder only): every `fanout_interval_s`, the prices changed since the
  last batch go out in one pipelined PUBLISH + HSET (never a Redis call per tick), with the
  feed's status; an empty batch is still sent every second as the leader's heartbeat.
- `PriceSubscriber` (every instance): applies batches to its own price map (marking symbols
  dirty, so its own flusher pushes to its own clients) and catches up from the hash after every
  (re)subscribe (see `channel`). The same channel carries the broker events the leader
  applied (`{"c": change}`, published by `change_log`), which every instance applies too.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgpack
import structlog
from redis.asyncio import Redis

from ..config import RealtimeSettings
from ..core.tasks import BackgroundTask
from ..ops.channel import OFFLINE, ChannelFollower
from .prices import PriceMap

log = structlog.get_logger("portfolio_rt.live")

_TAKE_OR_RENEW = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_HEARTBEAT_S = 1.0


class Keys:
    def __init__(self, prefix: str) -> None:
        self.lease = f"{prefix}:stream:lease"
        self.prices = f"{prefix}:prices"
        self.channel = f"{prefix}:prices:fanout"


class StreamLease(BackgroundTask):
    """Takes and keeps the stream-reader lease; calls `on_elected` / `on_deposed`."""

    name = "stream-lease"

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        instance_id: str,
        ttl_s: float,
        on_elected: Callable[[], Awaitable[None]],
        on_deposed: Callable[[], Awaitable[None]],
    ) -> None:
        super().__init__()
        self._redis = redis
        self._keys = keys
        self.instance_id = instance_id
        self.ttl_s = ttl_s
        self._on_elected = on_elected
        self._on_deposed = on_deposed
        self.is_leader = False
        self.renewed_at = 0.0
        self.redis_ok = False

    async def attempt(self) -> bool | None:
        """Take or renew the lease; None when Redis could not be asked."""
        try:
            got = await self._redis.eval(
                _TAKE_OR_RENEW, 1, self._keys.lease, self.instance_id, int(self.ttl_s * 1000)
            )
        except OFFLINE as exc:
            if self.redis_ok:
                log.warning("redis.unavailable", during="lease", error=type(exc).__name__)
            self.redis_ok = False
            return None
        self.redis_ok = True
        return bool(got)

    async def _run(self) -> None:
        while True:
            started = time.monotonic()
            got = await self.attempt()
            if got:
                self.renewed_at = started
                if not self.is_leader:
                    self.is_leader = True
                    log.info("stream.lease_taken", instance=self.instance_id)
                    await self._on_elected()
            elif self.is_leader and (
                got is False or time.monotonic() - self.renewed_at > self.ttl_s * 0.9
            ):
                self.is_leader = False
                log.warning(
                    "stream.lease_lost", instance=self.instance_id, redis_ok=got is not None
                )
                await self._on_deposed()
            await asyncio.sleep(self.ttl_s / 3)

    async def release(self) -> None:
        """Give the lease up at shutdown so another instance takes the stream at once."""
        if not self.is_leader:
            return
        self.is_leader = False
        with contextlib.suppress(*OFFLINE):
            async with asyncio.timeout(1.0):
                await self._redis.eval(_RELEASE, 1, self._keys.lease, self.instance_id)


class PricePublisher(BackgroundTask):
    """The leader's batches: changed prices and the feed status, one pipeline per interval."""

    name = "price-publisher"

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        instance_id: str,
        prices: PriceMap,
        interval_s: float,
        is_leader: Callable[[], bool],
        status: Callable[[], str],
        events_ok: Callable[[], bool] = lambda: False,
    ) -> None:
        super().__init__()
        self._redis = redis
        self._keys = keys
        self._id = instance_id
        self._prices = prices
        self._interval_s = interval_s
        self._is_leader = is_leader
        self._status = status
        self._events_ok = events_ok
        self.batches = 0

    async def publish_once(self) -> None:
        batch = self._prices.take_unpublished()
        payload = msgpack.packb(
            {"i": self._id, "s": self._status(), "e": self._events_ok(), "p": batch}
        )
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.publish(self._keys.channel, payload)
                if batch:
                    pipe.hset(self._keys.prices, mapping=batch)  # type: ignore[arg-type, unused-ignore]
                await pipe.execute()
        except OFFLINE as exc:
            log.warning("redis.publish_failed", symbols=len(batch), error=type(exc).__name__)
            if self._prices.unpublished is not None:  # mirror them with the next batch
                self._prices.unpublished.update(batch)
            raise
        self.batches += 1

    async def _run(self) -> None:
        last = 0.0
        while True:
            await asyncio.sleep(self._interval_s)
            if not self._is_leader():
                self._prices.take_unpublished()  # followers' prices came from the leader
                continue
            if not self._prices.unpublished and time.monotonic() - last < _HEARTBEAT_S:
                continue
            with contextlib.suppress(*OFFLINE):
                await self.publish_once()
                last = time.monotonic()


class PriceSubscriber(ChannelFollower):
    """Every instance: batches from the leader into the local price map."""

    name = "price-subscriber"

    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        instance_id: str,
        prices: PriceMap,
        on_change: Callable[[dict[str, Any]], None] = lambda _change: None,
    ) -> None:
        super().__init__(redis, keys.channel)
        self._keys = keys
        self._id = instance_id
        self._prices = prices
        self._on_change = on_change
        self.leader_status = "reconnecting"
        self.leader_events_ok = False
        self.heard_at = 0.0

    def apply(self, data: bytes) -> None:
        message: dict[str, Any] = msgpack.unpackb(data)
        change = message.get("c")
        if change is not None:  # a broker event the leader applied
            if message.get("i") != self._id:
                self._on_change(change)
            return
        self.heard_at = time.monotonic()
        self.leader_status = str(message.get("s", "live"))
        self.leader_events_ok = bool(message.get("e"))
        if message.get("i") != self._id:
            self._prices.update(message.get("p") or {})

    async def catch_up(self) -> None:
        """Load the mirrored prices (after a (re)subscribe, to cover what was missed)."""
        raw = await self._redis.hgetall(self._keys.prices)
        prices = {
            (k.decode() if isinstance(k, bytes) else str(k)): float(v) for k, v in raw.items()
        }
        self._prices.update(prices)


class RedisBus:
    """The lease, the publisher and the subscriber of one instance."""

    def __init__(
        self,
        redis: Redis,
        settings: RealtimeSettings,
        prefix: str,
        instance_id: str,
        prices: PriceMap,
        *,
        on_elected: Callable[[], Awaitable[None]],
        on_deposed: Callable[[], Awaitable[None]],
        status: Callable[[], str],
        events_ok: Callable[[], bool] = lambda: False,
        on_change: Callable[[dict[str, Any]], None] = lambda _change: None,
    ) -> None:
        self.redis = redis
        self.keys = Keys(prefix)
        self.instance_id = instance_id
        prices.track_unpublished(True)
        self.lease = StreamLease(
            redis, self.keys, instance_id, settings.lease_ttl_s, on_elected, on_deposed
        )
        self.publisher = PricePublisher(
            redis,
            self.keys,
            instance_id,
            prices,
            settings.fanout_interval_s,
            lambda: self.lease.is_leader,
            status,
            events_ok,
        )
        self.subscriber = PriceSubscriber(redis, self.keys, instance_id, prices, on_change)
        self._silence_s = max(3.0, settings.fanout_interval_s * 10)

    @property
    def is_leader(self) -> bool:
        return self.lease.is_leader

    def leader_events_ok(self) -> bool:
        """Whether the leader's broker event streams flow (as of its last heartbeat)."""
        return self.leader_status() != "reconnecting" and self.subscriber.leader_events_ok

    def leader_status(self) -> str:
        """What followers show: the leader's feed status, or reconnecting when it went quiet."""
        if time.monotonic() - self.subscriber.heard_at > self._silence_s:
            return "reconnecting"
        return self.subscriber.leader_status

    def start(self) -> None:
        self.subscriber.start()
        self.publisher.start()
        self.lease.start()

    async def close(self) -> None:
        await self.lease.close()
        await self.lease.release()
        await self.publisher.close()
        await self.subscriber.close()

    async def ping(self, timeout_s: float = 1.0) -> bool:
        try:
            async with asyncio.timeout(timeout_s):
                return bool(await self.redis.ping())
        except OFFLINE:
            return False
