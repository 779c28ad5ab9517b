"""Idempotency records behave the same in memory and in Redis."""

from __future__ import annotations

import asyncio
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
from tests.fixtures.clock import SecondsClock


@pytest.fixture(params=["memory", "redis"])
async def store_and_clock(
    request: pytest.FixtureRequest, redis_url: str
) -> AsyncIterator[tuple[IdempotencyStore, SecondsClock]]:
    clock = SecondsClock(1_000_000.0)
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


async def test_of_two_retries_taking_over_an_abandoned_attempt_only_one_may_send(
    store_and_clock, redis_url: str
) -> None:  # type: ignore[no-untyped-def]
    """Two instances found the same uncertain key with no transfer behind it: the takeover is
    a compare-and-set, so exactly one of them sends the deposit again."""
    store, clock = store_and_clock
    print_ = fingerprint({"amount": "10.00"})
    await store.begin("s5", print_)
    await store.mark_uncertain("s5")
    clock.t += 31
    first = await store.begin("s5", print_)
    second = await store.begin("s5", print_)
    assert first == second
    assert first is not None
    taken = await asyncio.gather(store.restart("s5", first), store.restart("s5", second))
    assert sorted(taken) == [False, True]
    with pytest.raises(Conflict):  # a third retry sees the new attempt in flight
        await store.begin("s5", print_)


async def test_takeovers_race_across_redis_clients(redis_url: str) -> None:
    """The same race with one Redis client per instance, as two processes would have."""
    clock = SecondsClock(1_000_000.0)
    clients = [Redis.from_url(redis_url) for _ in range(2)]
    try:
        stores = [
            IdempotencyStore(
                RedisBackend(c, 3600, prefix="race:idem:"), settle_after_s=30, clock=clock
            )
            for c in clients
        ]
        await clients[0].delete("race:idem:s6")
        await stores[0].begin("s6", "print")
        await stores[0].mark_uncertain("s6")
        clock.t += 31
        for _ in range(20):  # many rounds: any interleaving lets exactly one through
            earlier = [await s.begin("s6", "print") for s in stores]
            assert earlier[0] is not None
            assert earlier[1] is not None
            taken = await asyncio.gather(
                *(s.restart("s6", e) for s, e in zip(stores, earlier, strict=True))
            )
            assert sorted(taken) == [False, True]
            await stores[0].mark_uncertain("s6")
            clock.t += 31
    finally:
        for c in clients:
            await c.aclose()
