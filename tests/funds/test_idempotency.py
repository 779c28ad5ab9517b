"""Idempotency records behave the same in memory and in Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from portfolio_rt.core.errors import BadRequest, Conflict, Unprocessable
from portfolio_rt.funds.idempotency import (
    IdempotencyStore,
    MemoryBackend,
    RedisBackend,
    fingerprint,
    validate_key,
)


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(params=["memory", "redis"])
async def store_and_clock(
    request: pytest.FixtureRequest, redis_url: str
) -> AsyncIterator[tuple[IdempotencyStore, Clock]]:
    clock = Clock()
    if request.param == "memory":
        yield IdempotencyStore(MemoryBackend(3600, clock), settle_after_s=30, clock=clock), clock
        return
    client = Redis.from_url(redis_url)
    await client.flushdb()
    try:
        backend = RedisBackend(client, 3600, prefix="test:idem:")
        yield IdempotencyStore(backend, settle_after_s=30, clock=clock), clock
    finally:
        await client.aclose()


async def test_first_use_claims_then_replays(store_and_clock) -> None:  # type: ignore[no-untyped-def]
    store, _ = store_and_clock
    print_ = fingerprint({"amount": "10.00", "relationship_id": "r"})
    assert await store.begin("s1", print_) is None
    with pytest.raises(Conflict):
        await store.begin("s1", print_)  # still in flight
    await store.complete("s1", 201, {"id": "t1"})
    record = await store.begin("s1", print_)
    assert record is not None
    assert (record.state, record.status, record.body) == ("done", 201, {"id": "t1"})


async def test_different_body_with_same_key_is_422(store_and_clock) -> None:  # type: ignore[no-untyped-def]
    store, _ = store_and_clock
    await store.begin("s2", fingerprint({"amount": "10.00"}))
    with pytest.raises(Unprocessable):
        await store.begin("s2", fingerprint({"amount": "11.00"}))


async def test_abandoned_attempt_can_be_checked_once_settled(store_and_clock) -> None:  # type: ignore[no-untyped-def]
    store, clock = store_and_clock
    print_ = fingerprint({"a": 1})
    await store.begin("s3", print_)  # the process died here
    clock.t += 31
    record = await store.begin("s3", print_)
    assert record is not None
    assert record.state == "pending"
    assert store.settled(record)


async def test_released_key_can_be_used_again(store_and_clock) -> None:  # type: ignore[no-untyped-def]
    store, _ = store_and_clock
    await store.begin("s4", "x")
    await store.release("s4")
    assert await store.begin("s4", "x") is None


async def test_a_transfer_belongs_to_one_key(store_and_clock) -> None:  # type: ignore[no-untyped-def]
    store, _ = store_and_clock
    assert await store.claim("transfer-1", "key-a")
    assert await store.claim("transfer-1", "key-a")
    assert not await store.claim("transfer-1", "key-b")


def test_fingerprint_ignores_key_order() -> None:
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})


@pytest.mark.parametrize("raw", [None, "", "short", "has space in it", "x" * 129])
def test_bad_keys_are_400(raw: str | None) -> None:
    with pytest.raises(BadRequest):
        validate_key(raw)
