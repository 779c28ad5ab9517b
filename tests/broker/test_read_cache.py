"""ReadCache: TTL, single-flight, refresh ahead of expiry, stale answers on upstream failure,
bounded size."""

from __future__ import annotations

import asyncio

import pytest

from portfolio_rt.broker.read_cache import ReadCache
from portfolio_rt.core.errors import BrokerUnavailable, NotFound
from tests.fixtures.clock import SecondsClock


class Upstream:
    def __init__(self) -> None:
        self.calls = 0
        self.fail_with: Exception | None = None
        self.gate: asyncio.Event | None = None

    async def __call__(self) -> int:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_with is not None:
            raise self.fail_with
        return self.calls


async def test_fresh_value_is_reused_within_ttl() -> None:
    clock, upstream = SecondsClock(100.0), Upstream()
    cache = ReadCache(clock=clock)
    first = await cache.get("k", 10, upstream)
    clock.t += 7  # not yet late in its TTL: nothing is fetched ahead
    second = await cache.get("k", 10, upstream)
    assert (first.value, second.value, upstream.calls) == (1, 1, 1)
    assert second.from_cache
    assert not second.stale
    clock.t += 4
    assert (await cache.get("k", 10, upstream)).value == 2


async def test_concurrent_identical_reads_make_one_call() -> None:
    upstream = Upstream()
    upstream.gate = asyncio.Event()
    cache = ReadCache()
    waiters = [asyncio.create_task(cache.get("k", 10, upstream)) for _ in range(200)]
    await asyncio.sleep(0)
    upstream.gate.set()
    results = await asyncio.gather(*waiters)
    assert upstream.calls == 1
    assert {r.value for r in results} == {1}


async def test_a_cancelled_caller_does_not_cancel_the_shared_call() -> None:
    upstream = Upstream()
    upstream.gate = asyncio.Event()
    cache = ReadCache()
    first = asyncio.create_task(cache.get("k", 10, upstream))
    second = asyncio.create_task(cache.get("k", 10, upstream))
    await asyncio.sleep(0)
    first.cancel()
    upstream.gate.set()
    assert (await second).value == 1
    with pytest.raises(asyncio.CancelledError):
        await first


async def test_stale_value_served_when_upstream_is_down() -> None:
    clock, upstream = SecondsClock(100.0), Upstream()
    cache = ReadCache(clock=clock, max_stale_s=600)
    await cache.get("k", 10, upstream)
    clock.t += 60
    upstream.fail_with = BrokerUnavailable("down")
    result = await cache.get("k", 10, upstream)
    assert result.stale
    assert result.value == 1


async def test_too_old_value_is_not_served() -> None:
    clock, upstream = SecondsClock(100.0), Upstream()
    cache = ReadCache(clock=clock, max_stale_s=30)
    await cache.get("k", 10, upstream)
    clock.t += 60
    upstream.fail_with = BrokerUnavailable("down")
    with pytest.raises(BrokerUnavailable):
        await cache.get("k", 10, upstream)


async def test_client_errors_are_never_hidden_by_stale_values() -> None:
    clock, upstream = SecondsClock(100.0), Upstream()
    cache = ReadCache(clock=clock)
    await cache.get("k", 10, upstream)
    clock.t += 60
    upstream.fail_with = NotFound("gone")
    with pytest.raises(NotFound):
        await cache.get("k", 10, upstream)


async def test_errors_reach_every_waiter_and_are_not_cached() -> None:
    upstream = Upstream()
    upstream.gate = asyncio.Event()
    upstream.fail_with = BrokerUnavailable("down")
    cache = ReadCache()
    waiters = [asyncio.create_task(cache.get("k", 10, upstream)) for _ in range(3)]
    await asyncio.sleep(0)
    upstream.gate.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert all(isinstance(r, BrokerUnavailable) for r in results)
    upstream.fail_with = None
    assert (await cache.get("k", 10, upstream)).value == 2


async def test_size_is_bounded_least_recently_used_first() -> None:
    cache = ReadCache(max_entries=2)
    upstream = Upstream()
    await cache.get("a", 10, upstream)
    await cache.get("b", 10, upstream)
    await cache.get("a", 10, upstream)
    await cache.get("c", 10, upstream)
    assert len(cache) == 2
    calls = upstream.calls
    await cache.get("a", 10, upstream)
    assert upstream.calls == calls  # "a" was used recently, so "b" went
    await cache.get("b", 10, upstream)
    assert upstream.calls == calls + 1


async def test_invalidate_drops_matching_keys() -> None:
    cache = ReadCache()
    upstream = Upstream()
    await cache.get(("positions", "acct-1"), 10, upstream)
    await cache.get(("positions", "acct-2"), 10, upstream)
    assert cache.invalidate(lambda key: key[1] == "acct-1") == 1  # type: ignore[index]
    assert len(cache) == 1


async def settle() -> None:
    """Let background refreshes run."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_key_read_late_in_its_ttl_is_refreshed_in_the_background() -> None:
    clock, upstream = SecondsClock(100.0), Upstream()
    cache = ReadCache(clock=clock)
    await cache.get("k", 10, upstream)
    clock.t += 8.5
    late = await cache.get("k", 10, upstream)
    assert late.value == 1  # answered at once, from the cache
    assert late.refresh_at == 108.0  # a view of it is answered as is until then
    await settle()
    assert upstream.calls == 2
    clock.t += 2.5  # past the first answer's TTL: the readers never wait for Alpaca
    after = await cache.get("k", 10, upstream)
    assert after.value == 2
    assert after.from_cache
    assert upstream.calls == 2


async def test_one_background_refresh_at_a_time() -> None:
    clock, upstream = SecondsClock(100.0), Upstream()
    cache = ReadCache(clock=clock)
    await cache.get("k", 10, upstream)
    upstream.gate = asyncio.Event()
    clock.t += 9
    answers = [await cache.get("k", 10, upstream) for _ in range(50)]
    assert {a.value for a in answers} == {1}
    upstream.gate.set()
    await settle()
    assert upstream.calls == 2


async def test_a_failed_background_refresh_leaves_the_answer_and_raises_nowhere() -> None:
    clock, upstream = SecondsClock(100.0), Upstream()
    cache = ReadCache(clock=clock)
    await cache.get("k", 10, upstream)
    upstream.fail_with = BrokerUnavailable("down")
    clock.t += 9
    assert (await cache.get("k", 10, upstream)).value == 1
    await settle()
    assert upstream.calls == 2
    assert (await cache.get("k", 10, upstream)).value == 1  # still fresh, still kept


async def test_a_key_invalidated_while_fetched_is_not_kept() -> None:
    """An answer fetched across a change (a deposit) may predate it: its waiters get it, the
    next reader fetches again."""
    upstream = Upstream()
    upstream.gate = asyncio.Event()
    cache = ReadCache()
    waiter = asyncio.create_task(cache.get(("transfers", "acct-1"), 10, upstream))
    await asyncio.sleep(0)
    assert cache.invalidate(lambda key: key[1] == "acct-1") == 0  # type: ignore[index]
    upstream.gate.set()
    assert (await waiter).value == 1
    assert len(cache) == 0
    assert (await cache.get(("transfers", "acct-1"), 10, upstream)).value == 2
    assert (await cache.get(("transfers", "acct-1"), 10, upstream)).value == 2  # kept now
