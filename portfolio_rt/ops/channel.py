"""Following one Redis pub/sub channel through Redis outages.

Pub/sub delivers only while subscribed, so a follower reloads the state the channel's
messages change (`catch_up`) after every (re)subscribe, then applies messages as they come.
Reads use a real timeout: redis-py raises while Redis is down, and busy-loops on a 0 timeout.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from ..core.backoff import Backoff
from ..core.tasks import BackgroundTask

log = structlog.get_logger("portfolio_rt.redis")

OFFLINE = (RedisError, OSError, TimeoutError)
"""What a Redis call raises while Redis is unreachable or restarting."""


class ChannelFollower(BackgroundTask):
    """Subclasses implement `apply` (one message) and `catch_up` (the state after a gap)."""

    def __init__(self, redis: Redis, channel: str) -> None:
        super().__init__()
        self._redis = redis
        self.channel = channel
        self.connected = False

    def apply(self, data: bytes) -> None:
        raise NotImplementedError

    async def catch_up(self) -> None:
        """Load what the messages missed while unsubscribed would have changed."""

    async def _run(self) -> None:
        backoff = Backoff(0.2, 2.0)
        while True:
            pubsub = self._redis.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                await self.catch_up()
                if not self.connected:
                    log.info("redis.subscribed", channel=self.channel)
                self.connected = True
                backoff.reset()
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        self.apply(message["data"])
            except OFFLINE as exc:
                if self.connected:
                    log.warning("redis.unavailable", during="subscribe", error=type(exc).__name__)
                self.connected = False
                await asyncio.sleep(backoff.next())
            finally:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(1.0):
                        await pubsub.aclose()
