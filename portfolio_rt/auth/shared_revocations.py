"""Logouts shared by every instance through Redis.

A token is signed, so any instance accepts it until it expires; a logout must therefore
reach every instance. The instance that handles a logout adds the token's id to a sorted set
(score: the token's expiry) and publishes it; every instance keeps the ids in memory (so a
request never waits on Redis) from the channel, and reloads the set after every
(re)subscribe, which also covers an instance that starts after the logout.
"""

from __future__ import annotations

import time
from typing import cast

import orjson
import structlog
from redis.asyncio import Redis

from ..ops.channel import OFFLINE, ChannelFollower
from .tokens import TokenService

log = structlog.get_logger("portfolio_rt.auth.tokens")


class SharedRevocations(ChannelFollower):
    """This instance's view of every instance's logouts."""

    name = "revocations"

    def __init__(self, redis: Redis, prefix: str, tokens: TokenService) -> None:
        super().__init__(redis, f"{prefix}:auth:revoked:events")
        self.key = f"{prefix}:auth:revoked"
        self._tokens = tokens

    async def share(self, token_id: str, expires_at: float) -> bool:
        """Tell every instance (this one already knows); False when Redis is unreachable."""
        now = time.time()
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.zadd(self.key, {token_id: expires_at})
                pipe.zremrangebyscore(self.key, "-inf", now)
                pipe.publish(self.channel, orjson.dumps([token_id, expires_at]))
                await pipe.execute()
        except OFFLINE as exc:
            log.warning("auth.logout_not_shared", error=type(exc).__name__)
            return False
        return True

    def apply(self, data: bytes) -> None:
        token_id, expires_at = orjson.loads(data)
        self._tokens.remember(str(token_id), float(expires_at))

    async def catch_up(self) -> None:
        revoked = await self._redis.zrangebyscore(self.key, time.time(), "+inf", withscores=True)
        for pair in revoked:  # (member, score) with `withscores`
            token_id, expires_at = cast(tuple[bytes, float], pair)
            self._tokens.remember(token_id.decode(), float(expires_at))
