"""The warm hot path: a view is answered before any read while every input it was built from
is fresh and unchanged, and never after one expires, is refetched or is dropped by an event."""

from __future__ import annotations

from uuid import uuid4

import orjson

from portfolio_rt.api.view_cache import ViewCache, stamp_of
from portfolio_rt.broker.read_cache import ReadCache
from tests.fixtures.clock import SecondsClock


async def test_a_view_is_fresh_until_its_first_input_expires() -> None:
    clock = SecondsClock(100.0)
    cache, views = ReadCache(clock=clock), ViewCache(clock=clock)
    account = uuid4()

    async def balance() -> dict[str, str]:
        return {"cash": "10.00"}

    async def history() -> list[int]:
        return [1, 2, 3]

    await cache.get(("account", account), 10.0, balance)  # a first, cold request
    await cache.get(("history", account), 60.0, history)
    version = cache.version_of(account)  # the warm request: its inputs come from the cache
    inputs = (
        await cache.get(("account", account), 10.0, balance),
        await cache.get(("history", account), 60.0, history),
    )
    builds = []

    def build() -> dict[str, object]:
        builds.append(1)
        return {"cash": inputs[0].value["cash"]}

    key = ("summary", account)
    views.render(key, stamp_of(*inputs), build, inputs=inputs, version=version)
    hit = views.fresh(key, cache.version_of(account))
    assert hit is not None
    assert orjson.loads(hit.body) == {"cash": "10.00"}  # type: ignore[arg-type]
    clock.advance(9.9)
    assert views.fresh(key, cache.version_of(account)) is not None
    clock.advance(0.2)  # the account answer (10 s) is no longer fresh
    assert views.fresh(key, cache.version_of(account)) is None
    assert builds == [1]


async def test_a_refetched_or_dropped_input_ends_the_view_at_once() -> None:
    clock = SecondsClock(100.0)
    cache, views = ReadCache(clock=clock), ViewCache(clock=clock)
    mine, other = uuid4(), uuid4()

    async def value() -> int:
        return 1

    await cache.get(("positions", mine), 10.0, value)
    version = cache.version_of(mine)
    fetched = await cache.get(("positions", mine), 10.0, value)
    views.render(("positions", mine), stamp_of(fetched), dict, inputs=(fetched,), version=version)
    assert views.fresh(("positions", mine), cache.version_of(mine)) is not None
    await cache.get(("positions", other), 10.0, value)  # another account's answers
    assert views.fresh(("positions", mine), cache.version_of(mine)) is not None
    cache.invalidate(lambda key: isinstance(key, tuple) and key[1] == mine)  # a broker event
    assert views.fresh(("positions", mine), cache.version_of(mine)) is None


async def test_a_view_rendered_while_an_input_was_refreshed_is_not_trusted() -> None:
    """The version is taken before the inputs are read: a store during the reads leaves the
    view built from them unanswerable until it is rendered again from stable inputs."""
    clock = SecondsClock(100.0)
    cache, views = ReadCache(clock=clock), ViewCache(clock=clock)
    account = uuid4()

    async def value() -> int:
        return 1

    before = cache.version_of(account)
    fetched = await cache.get(("orders", account), 10.0, value)  # stores: a new version
    views.render(("orders", account), stamp_of(fetched), dict, inputs=(fetched,), version=before)
    assert views.fresh(("orders", account), cache.version_of(account)) is None
    again = cache.version_of(account)
    hit = await cache.get(("orders", account), 10.0, value)
    views.render(("orders", account), stamp_of(hit), dict, inputs=(hit,), version=again)
    assert views.fresh(("orders", account), cache.version_of(account)) is not None
