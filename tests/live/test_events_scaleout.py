"""Broker events with several instances on one Redis: only the lease holder reads them and
every instance applies them; the events applied equal the events Alpaca emitted, none missing
and none twice, when the leader dies mid-flow and when Redis restarts without its data."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import aiohttp

from portfolio_rt.live.engine import RealtimeEngine
from tests.fixtures.live import Live, instance, next_message, until, wait_for
from tests.fixtures.redis import RedisServer
from tests.fixtures.settings import SANDBOX_KEY, SANDBOX_SECRET

BUS = {
    "realtime": {"lease_ttl_s": 1.0, "fanout_interval_s": 0.05},
    "events": {"reconnect_base_delay_s": 0.05, "reconnect_max_delay_s": 0.3},
}
AUTH = aiohttp.BasicAuth(SANDBOX_KEY, SANDBOX_SECRET)


# A lease that outlives the event loop's longest stall on a loaded machine (both instances and
# the sandbox share this process's loop): for tests in which the leader must stay the leader.
STEADY = {**BUS, "realtime": {**BUS["realtime"], "lease_ttl_s": 15.0}}


async def pair(  # type: ignore[no-untyped-def]
    aiohttp_client, live_sandbox, redis: RedisServer, bus: dict[str, Any] = BUS
) -> tuple[Live, Live]:
    """Two instances on one Redis, once one of them reads the events."""
    a, b = [
        await instance(aiohttp_client, live_sandbox, **bus, redis={"url": redis.url})
        for _ in range(2)
    ]
    await until(lambda: reading(a) or reading(b))
    return a, b


def engine_of(live: Live) -> RealtimeEngine:
    return live.engine


def is_leader(live: Live) -> bool:
    bus = engine_of(live).bus
    return bus is not None and bus.is_leader


def reading(live: Live) -> bool:
    events = engine_of(live).events
    return events is not None and events.healthy


def applied(*instances: Live) -> list[str]:
    """Every trade event the instances' consumers applied, in the order they did."""
    out: list[str] = []
    for live in instances:
        events = engine_of(live).events
        assert events is not None
        out += [event_id for stream, event_id in events.recent if stream == "trades"]
    return out


async def order(live: Live, account: UUID, symbol: str) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession(auth=AUTH) as session,
        session.post(
            f"{live.running.broker_url}/v1/trading/accounts/{account}/orders",
            json={"symbol": symbol, "qty": "1", "side": "buy", "type": "market",
                  "time_in_force": "day"},
        ) as response,
    ):  # fmt: skip
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body


async def kill(live: Live) -> None:
    """What a crash leaves behind: nothing released, the lease left to expire."""
    engine = engine_of(live)
    assert engine.bus is not None
    for task in (engine.bus.lease, engine.bus.publisher, engine.bus.subscriber):
        await task.close()
    if engine.events is not None:
        await engine.events.close()
    if engine.feed is not None:
        await engine.feed.close()


async def test_only_the_leader_reads_events_and_the_follower_applies_them(
    aiohttp_client,
    live_sandbox,
    redis: RedisServer,  # type: ignore[no-untyped-def]
) -> None:
    # With the failover tests' 1 s lease, a loop stalled past it (a loaded machine) handed the
    # lease to the follower mid-test; here the roles must hold from start to end.
    a, b = await pair(aiohttp_client, live_sandbox, redis, STEADY)
    await until(lambda: is_leader(a) != is_leader(b))
    leader, follower = (a, b) if is_leader(a) else (b, a)
    assert not (engine_of(follower).events and engine_of(follower).events.started)
    sam = a.sandbox.personas["sam"]
    ws = await follower.socket(sam)
    assert (await next_message(ws))["type"] == "snapshot"
    headers = follower.bearer(sam)
    await follower.client.get("/api/portfolio/positions", headers=headers)  # cached there

    await order(leader, sam, "NVDA")
    await wait_for(ws, lambda m: m["type"] == "changed" and "positions" in m["what"])
    held = await (await follower.client.get("/api/portfolio/positions", headers=headers)).json()
    assert "NVDA" in {p["symbol"] for p in held["positions"]}
    ready = await (await follower.client.get("/ready")).json()
    assert ready["checks"]["events"]["role"] == "follower"
    assert ready["checks"]["events"]["flowing"] is True
    await ws.close()


async def test_a_killed_leaders_events_are_applied_once_by_its_successor(
    aiohttp_client,
    live_sandbox,
    redis: RedisServer,  # type: ignore[no-untyped-def]
) -> None:
    a, b = await pair(aiohttp_client, live_sandbox, redis)
    leader, follower = (a, b) if is_leader(a) else (b, a)
    maya = a.sandbox.personas["maya"]
    trades = a.sandbox.events.events("trades")
    start = len(trades)

    await order(leader, maya, "AAPL")
    await until(lambda: len(applied(leader)) >= 2)  # new + fill
    await kill(leader)
    for symbol in ("MSFT", "KO", "PEP"):  # while nobody reads the events
        await order(leader, maya, symbol)
    await until(lambda: reading(follower), within_s=10)
    emitted = [e.ulid for e in trades[start:]]
    await until(lambda: len(trades) - start >= 8 and set(emitted) <= set(applied(a, b)))
    emitted = [e.ulid for e in trades[start:]]
    everything = applied(a, b)
    assert sorted(everything) == sorted(emitted)  # none missing, none twice


async def test_events_during_a_redis_restart_are_applied_once_after_it(
    aiohttp_client,
    live_sandbox,
    redis: RedisServer,  # type: ignore[no-untyped-def]
) -> None:
    a, b = await pair(aiohttp_client, live_sandbox, redis)
    leader = a if is_leader(a) else b
    maya = a.sandbox.personas["maya"]
    trades = a.sandbox.events.events("trades")
    start = len(trades)
    await order(leader, maya, "AAPL")
    await until(lambda: len(applied(a, b)) >= 2)

    redis.stop()
    await asyncio.sleep(0.3)
    for symbol in ("KO", "PEP"):
        await order(leader, maya, symbol)
    await asyncio.sleep(1.5)  # the leader cannot commit: it applies nothing meanwhile
    redis.start()  # empty: it lost the checkpoints and the lease
    await until(lambda: reading(a) or reading(b), within_s=15)
    await until(lambda: len(trades) - start >= 6, within_s=5)
    emitted = [e.ulid for e in trades[start:]]
    await until(lambda: set(emitted) <= set(applied(a, b)), within_s=15)
    assert sorted(applied(a, b)) == sorted(emitted)
