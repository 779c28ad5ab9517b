"""Idempotency keys for requests that move money: a retry returns the first answer.

A key is scoped to one account. Its record goes `pending` (being sent to Alpaca), then
`done` (the answer is kept and replayed) or `uncertain` (Alpaca may or may not have acted: a
timeout, a lost connection, a crash). A retry of an uncertain or abandoned key never sends
blindly: it first looks for the transfer the first attempt may have made (`reconcile`), and
sends again only once enough time has passed that no such transfer can still appear.

Records live in memory for one instance, or in Redis so that every instance (and a
restarted one) sees the same keys. Either way they expire after `ttl_s` (24 h).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

import orjson
from redis.asyncio import Redis
from redis.exceptions import WatchError

from ..core.errors import BadRequest, Conflict, Unprocessable
from ..core.jsonio import dumps

State = Literal["pending", "done", "uncertain"]
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")


@dataclass
class IdempotencyRecord:
    fingerprint: str
    state: State
    started_at: float
    status: int = 0
    body: Any = None


def fingerprint(body: Any) -> str:
    """A stable digest of the request body (key order does not matter)."""
    return hashlib.sha256(dumps(body, sort_keys=True)).hexdigest()


def validate_key(raw: str | None) -> str:
    if raw is None or not raw.strip():
        raise BadRequest(
            "An Idempotency-Key header is required, so a retry never moves money twice.",
            details={"header": "Idempotency-Key"},
        )
    key = raw.strip()
    if not 8 <= len(key) <= 128 or not set(key) <= _KEY_CHARS:
        raise BadRequest(
            "Idempotency-Key must be 8 to 128 letters, digits or -_.: (a UUID is ideal).",
            details={"header": "Idempotency-Key"},
        )
    return key


def still_in_flight() -> Conflict:
    """A retry that arrived while the first request with its key is being sent."""
    return Conflict(
        "The first request with this Idempotency-Key is still being processed.", retry_after=1
    )


class Backend(Protocol):
    """Where records are kept: compare-and-set primitives, each with the store's TTL."""

    async def get(self, scope: str) -> IdempotencyRecord | None: ...
    async def create(self, scope: str, record: IdempotencyRecord) -> bool: ...
    async def replace(self, scope: str, record: IdempotencyRecord) -> None: ...
    async def replace_if(
        self, scope: str, expected: IdempotencyRecord, record: IdempotencyRecord
    ) -> bool: ...
    async def delete(self, scope: str) -> None: ...
    async def claim(self, resource_id: str, scope: str) -> bool: ...


class MemoryBackend:
    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.time) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._records: dict[str, tuple[float, IdempotencyRecord]] = {}
        self._claims: dict[str, tuple[float, str]] = {}

    def _expire(self) -> None:
        now = self._clock()
        if len(self._records) > 1000 or any(t <= now for t, _ in self._records.values()):
            self._records = {k: v for k, v in self._records.items() if v[0] > now}
            self._claims = {k: v for k, v in self._claims.items() if v[0] > now}

    async def get(self, scope: str) -> IdempotencyRecord | None:
        self._expire()
        entry = self._records.get(scope)
        return entry[1] if entry else None

    async def create(self, scope: str, record: IdempotencyRecord) -> bool:
        self._expire()
        if scope in self._records:
            return False
        self._records[scope] = (self._clock() + self.ttl_s, record)
        return True

    async def replace(self, scope: str, record: IdempotencyRecord) -> None:
        expires = self._records.get(scope, (self._clock() + self.ttl_s, record))[0]
        self._records[scope] = (expires, record)

    async def replace_if(
        self, scope: str, expected: IdempotencyRecord, record: IdempotencyRecord
    ) -> bool:
        entry = self._records.get(scope)
        if entry is None or entry[1] != expected:
            return False
        self._records[scope] = (entry[0], record)
        return True

    async def delete(self, scope: str) -> None:
        self._records.pop(scope, None)

    async def claim(self, resource_id: str, scope: str) -> bool:
        self._expire()
        owner = self._claims.get(resource_id)
        if owner is None:
            self._claims[resource_id] = (self._clock() + self.ttl_s, scope)
            return True
        return owner[1] == scope


class RedisBackend:
    """Records as JSON strings under `prefix`, written with SET NX / XX and an expiry."""

    def __init__(self, redis: Redis, ttl_s: float, prefix: str) -> None:
        self._redis = redis
        self.ttl_s = ttl_s
        self._prefix = prefix

    def _key(self, scope: str) -> str:
        return f"{self._prefix}{scope}"

    async def get(self, scope: str) -> IdempotencyRecord | None:
        raw = await self._redis.get(self._key(scope))
        return IdempotencyRecord(**orjson.loads(raw)) if raw else None

    async def create(self, scope: str, record: IdempotencyRecord) -> bool:
        ok = await self._redis.set(
            self._key(scope), dumps(asdict(record)), nx=True, ex=int(self.ttl_s)
        )
        return bool(ok)

    async def replace(self, scope: str, record: IdempotencyRecord) -> None:
        await self._redis.set(self._key(scope), dumps(asdict(record)), keepttl=True)

    async def replace_if(
        self, scope: str, expected: IdempotencyRecord, record: IdempotencyRecord
    ) -> bool:
        """Compare-and-set under WATCH: of two instances replacing the same record at once,
        exactly one succeeds."""
        key = self._key(scope)
        async with self._redis.pipeline(transaction=True) as pipe:
            try:
                await pipe.watch(key)
                raw = await pipe.get(key)
                if not raw or IdempotencyRecord(**orjson.loads(raw)) != expected:
                    return False
                pipe.multi()  # type: ignore[no-untyped-call, unused-ignore]
                pipe.set(key, dumps(asdict(record)), keepttl=True)
                await pipe.execute()
            except WatchError:
                return False
        return True

    async def delete(self, scope: str) -> None:
        await self._redis.delete(self._key(scope))

    async def claim(self, resource_id: str, scope: str) -> bool:
        key = f"{self._prefix}claim:{resource_id}"
        if await self._redis.set(key, scope, nx=True, ex=int(self.ttl_s)):
            return True
        owner = await self._redis.get(key)
        if isinstance(owner, bytes):
            owner = owner.decode()
        return owner == scope


class IdempotencyStore:
    """The protocol over a backend; `settle_after_s` is how long after an attempt started a
    missing transfer proves the attempt never reached Alpaca (longer than a call can last)."""

    def __init__(
        self,
        backend: Backend,
        *,
        settle_after_s: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.backend = backend
        self.settle_after_s = settle_after_s
        self._clock = clock

    async def begin(self, scope: str, print_: str) -> IdempotencyRecord | None:
        """Claim the key for a new attempt (None), or return the earlier record.

        Raises 422 when the key was used with a different body, and 409 while the first
        attempt with it may still be in flight.
        """
        record = IdempotencyRecord(print_, "pending", self._clock())
        if await self.backend.create(scope, record):
            return None
        earlier = await self.backend.get(scope)
        if earlier is None:  # expired between the two calls
            return await self.begin(scope, print_)
        if earlier.fingerprint != print_:
            raise Unprocessable(
                "This Idempotency-Key was already used for a different request; "
                "use a new key for a new deposit.",
                details={"header": "Idempotency-Key"},
            )
        if earlier.state == "pending" and not self.settled(earlier):
            raise still_in_flight()
        return earlier

    def settled(self, record: IdempotencyRecord) -> bool:
        """True once an unanswered attempt is old enough that its outcome can be checked."""
        return self._clock() - record.started_at >= self.settle_after_s

    async def restart(self, scope: str, record: IdempotencyRecord) -> bool:
        """Take over an attempt found not to have reached Alpaca, to send it again. False when
        another request (on any instance) took it over first: only one may send."""
        return await self.backend.replace_if(
            scope, record, IdempotencyRecord(record.fingerprint, "pending", self._clock())
        )

    async def claim(self, resource_id: str, scope: str) -> bool:
        """Tie an upstream resource (a transfer) to one key, so two keys never share it."""
        return await self.backend.claim(resource_id, scope)

    async def complete(self, scope: str, status: int, body: Any) -> None:
        record = await self.backend.get(scope)
        if record is not None:
            record.state, record.status, record.body = "done", status, body
            await self.backend.replace(scope, record)

    async def mark_uncertain(self, scope: str) -> None:
        record = await self.backend.get(scope)
        if record is not None:
            record.state = "uncertain"
            await self.backend.replace(scope, record)

    async def release(self, scope: str) -> None:
        """Forget a key whose request certainly did nothing (refused before moving money)."""
        await self.backend.delete(scope)
