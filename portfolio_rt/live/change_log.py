"""Where applied broker events are recorded, so each is applied once and none is skipped.

`commit` is the moment an event counts as applied. It succeeds only for an id past the
stream's checkpoint (ULIDs sort in event order), and moves the checkpoint to it. With Redis it
is one Lua script that checks and moves the checkpoint and publishes the change to every
instance, atomically: a leader killed before the script ran has applied nothing anyone keeps,
one killed after it has published exactly once, and its successor resumes after it.

Every instance remembers the last id it saw of each stream (its own commits and the
channel's), so a Redis restarted without its data gets its checkpoints back from any
instance that lived through the restart.
"""

from __future__ import annotations

from typing import Protocol

import msgpack
from redis.asyncio import Redis

from .changes import AccountChange

_COMMIT = """
local last = redis.call('GET', KEYS[1])
if last and last >= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
"""


class ChangeLog(Protocol):
    async def resume_point(self, stream: str) -> str | None:
        """The id to resume the stream from (its last applied event), None: from now."""
        ...

    async def commit(self, change: AccountChange) -> bool:
        """Record the change as applied; False when it was already (a repeat)."""
        ...

    async def forget(self, stream: str) -> None:
        """Drop the stream's checkpoint (history could not be replayed: start from now)."""
        ...


class MemoryChangeLog:
    """One instance without Redis: checkpoints in memory (a restart starts from now)."""

    def __init__(self) -> None:
        self.last: dict[str, str] = {}

    async def resume_point(self, stream: str) -> str | None:
        return self.last.get(stream)

    async def commit(self, change: AccountChange) -> bool:
        last = self.last.get(change.stream)
        if last is not None and last >= change.event_id:
            return False
        self.last[change.stream] = change.event_id
        return True

    async def forget(self, stream: str) -> None:
        self.last.pop(stream, None)


class RedisChangeLog:
    """Checkpoints in Redis, committed together with the change's publication."""

    def __init__(self, redis: Redis, prefix: str, channel: str, instance_id: str) -> None:
        self._redis = redis
        self._prefix = prefix
        self.channel = channel
        self._instance = instance_id
        self.seen: dict[str, str] = {}
        """The last id of each stream this instance committed or heard of on the channel."""

    def _key(self, stream: str) -> str:
        return f"{self._prefix}:events:{stream}:last"

    def saw(self, change: AccountChange) -> None:
        """A change heard on the channel (followers keep the checkpoint in memory too)."""
        if change.event_id > self.seen.get(change.stream, ""):
            self.seen[change.stream] = change.event_id

    async def resume_point(self, stream: str) -> str | None:
        raw = await self._redis.get(self._key(stream))
        stored = raw.decode() if isinstance(raw, bytes) else raw
        known = self.seen.get(stream)
        if known is not None and (stored is None or known > stored):
            await self._redis.set(self._key(stream), known)  # Redis lost it; we did not
            return known
        return str(stored) if stored is not None else None

    async def commit(self, change: AccountChange) -> bool:
        payload = msgpack.packb({"i": self._instance, "c": change.to_wire()})
        done = await self._redis.eval(  # type: ignore[misc, unused-ignore]
            _COMMIT, 1, self._key(change.stream), change.event_id, self.channel, payload
        )
        if done:
            self.saw(change)
        return bool(done)

    async def forget(self, stream: str) -> None:
        await self._redis.delete(self._key(stream))
        self.seen.pop(stream, None)
