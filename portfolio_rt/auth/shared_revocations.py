"""Logouts shared by every instance through Redis.

A token is signed, so any instance accepts it until it expires; a logout (or "log out
everywhere") must therefore reach every instance. The instance that handles it adds the end
to a sorted set (score: when it stops mattering) and publishes it; every instance keeps the
ends in memory (so a request never waits on Redis) from the channel, and reloads the set after
every (re)subscribe, which also covers an instance that starts after the logout. After such a
reload it writes back (and publishes) the ends it knows that the set lacks: a Redis restarted
without its data gets them again from any instance that lived through it.
"""

from __future__ import annotations

import time
from typing import cast

import structlog
from redis.asyncio import Redis

from ..ops.channel import OFFLINE, ChannelFollower
from .revocations import Revocations, SessionEnd

log = structlog.get_logger("portfolio_rt.auth")


class SharedRevocations(ChannelFollower):
    """This instance's view of every instance's logouts."""

    name = "revocations"

    def __init__(self, redis: Redis, prefix: str, revocations: Revocations) -> None:
        super().__init__(redis, f"{prefix}:auth:ended:events")
        self.key = f"{prefix}:auth:ended"
        self._revocations = revocations

    async def record(self, end: SessionEnd) -> bool:
        """Tell every instance (this one already knows); False when Redis is unreachable."""
        data = end.dumps()
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zadd(self.key, {data: end.until})
                pipe.zremrangebyscore(self.key, "-inf", time.time())
                pipe.publish(self.channel, data)
                await pipe.execute()
        except OFFLINE as exc:
            log.warning("auth.logout_not_shared", error=type(exc).__name__)
            return False
        return True

    def apply(self, data: bytes) -> None:
        try:
            self._revocations.apply(SessionEnd.loads(data))
        except ValueError:
            log.warning("auth.bad_logout_message")

    async def catch_up(self) -> None:
        stored = await self._redis.zrangebyscore(self.key, time.time(), "+inf")
        known = set()
        for raw in cast(list[bytes], stored):
            known.add(raw)
            self.apply(raw)
        missing = {
            data: end.until
            for end in self._revocations.entries()
            if (data := end.dumps()) not in known
        }
        if missing:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.zadd(self.key, missing)
                for data in missing:  # instances that reloaded the empty set learn them too
                    pipe.publish(self.channel, data)
                await pipe.execute()
            log.info("auth.logouts_restored", count=len(missing))
