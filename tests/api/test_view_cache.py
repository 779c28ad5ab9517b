"""The warm hot path: a view is answered before any read while every input it was built from
is fresh and unchanged, and never once one is due for refresh, is refetched or is dropped by
an event."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import orjson

from portfolio_rt.api.view_cache import ViewCache
from portfolio_rt.broker.read_cache import ReadCache
from tests.fixtures.clock import SecondsClock


async def test_a_view_is_fresh_until_its_first_input_is_due_for_refresh() -> None:
    clock = SecondsClock(100.0)
    cache, views = ReadCache(clock=clock), ViewCache(clock=clock)
    account = uuid4()
    cash = iter(("10.00", "12.50"))

    async def balance() -> dict[str, str]:
        return {"cash": next(cash)}

    async def history() -> list[int]:
        return [1, 2, 3]

    await cache.get(("account", account), 10.0, balance)  # a first, cold request
    await cache.get(("history", account), 60.0, history)
    builds = []

    async def request() -> bytes:
        """A route: its view if fresh, else its inputs read and the view rendered."""
        version = cache.version_of(account)
        if (hit := views.fresh(key, version)) is not None:
            return hit.body  # type: ignore[return-value]
        inputs = (
            await cache.get(("account", account), 10.0, balance),
            await cache.get(("history", account), 60.0, history),
        )

        def build() -> dict[str, object]:
            builds.append(1)
            return {"cash": inputs[0].value["cash"]}

        rendered = views.render(key, build, inputs=inputs, version=version)
        return rendered.body  # type: ignore[return-value]

    key = ("summary", account)
    assert orjson.loads(await request()) == {"cash": "10.00"}
    clock.advance(7.9)
    assert views.fresh(key, cache.version_of(account)) is not None
    clock.advance(0.2)  # the account answer (10 s) is due for its refresh ahead of expiry
    assert views.fresh(key, cache.version_of(account)) is None
    # The next request reads its inputs (still cached: no wait) and starts that refresh; it
    # gets the same body, not rebuilt.
    assert orjson.loads(await request()) == {"cash": "10.00"}
    assert builds == [1]
    for _ in range(5):
        await asyncio.sleep(0)  # the refresh lands
    assert orjson.loads(await request()) == {"cash": "12.50"}
    assert builds == [1, 1]
    assert views.fresh(key, cache.version_of(account)) is not None


async def test_a_refetched_or_dropped_input_ends_the_view_at_once() -> None:
    clock = SecondsClock(100.0)
    cache, views = ReadCache(clock=clock), ViewCache(clock=clock)
    mine, other = uuid4(), uuid4()

    async def value() -> int:
        return 1

    await cache.get(("positions", mine), 10.0, value)
    version = cache.version_of(mine)
    fetched = await cache.get(("positions", mine), 10.0, value)
    views.render(("positions", mine), dict, inputs=(fetched,), version=version)
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
    views.render(("orders", account), dict, inputs=(fetched,), version=before)
    assert views.fresh(("orders", account), cache.version_of(account)) is None
    again = cache.version_of(account)
    hit = await cache.get(("orders", account), 10.0, value)
    views.render(("orders", account), dict, inputs=(hit,), version=again)
    assert views.fresh(("orders", account), cache.version_of(account)) is not None
