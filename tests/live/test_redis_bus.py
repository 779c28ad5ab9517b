"""Two instances on one Redis: one stream reader (the lease holder), prices fanned out to
both, each pushing to its own clients; the lease moves when its holder stops."""

from __future__ import annotations

from pathlib import Path

from portfolio_rt.live.engine import RealtimeEngine
from tests.fixtures.live import Live, instance, next_message, settle, until, wait_for
from tests.fixtures.redis import RedisServer

BUS = {"realtime": {"lease_ttl_s": 1.0, "fanout_interval_s": 0.05}}


async def on_redis(aiohttp_client, live_sandbox, redis: RedisServer) -> Live:  # type: ignore[no-untyped-def]
    return await instance(aiohttp_client, live_sandbox, **BUS, redis={"url": redis.url})


def engine_of(live: Live) -> RealtimeEngine:
    return live.engine


async def test_one_reader_both_instances_push_and_the_lease_moves(
    aiohttp_client,
    tmp_path: Path,
    live_sandbox,
    redis: RedisServer,  # type: ignore[no-untyped-def]
) -> None:
    a = await on_redis(aiohttp_client, live_sandbox, redis)
    b = await on_redis(aiohttp_client, live_sandbox, redis)
    engines = [engine_of(a), engine_of(b)]
    await until(lambda: sum(e.bus.is_leader for e in engines if e.bus) == 1)
    maya = a.sandbox.personas["maya"]
    ws_a, ws_b = await a.socket(maya), await b.socket(maya)
    assert (await next_message(ws_a))["type"] == "snapshot"
    assert (await next_message(ws_b))["type"] == "snapshot"
    leader, follower = (a, b) if engines[0].bus and engines[0].bus.is_leader else (b, a)
    await settle(leader, maya, 4)
    await until(
        lambda: (
            set(engine_of(leader).index.positions(str(maya)))
            <= set(engine_of(follower).prices.prices)
        )
    )
    a.publish({"VTI": "301.00", "QQQ": "501.00", "BND": "71.00", "VXUS": "61.00"})
    expected = str(a.expected_equity(maya))
    for ws in (ws_a, ws_b):
        await wait_for(ws, lambda m: m["type"] == "update" and m["equity"] == expected)

    leader_ws = ws_a if leader is a else ws_b
    follower_ws = ws_b if leader is a else ws_a
    await leader_ws.close()
    await leader.client.close()  # the leader goes away (and gives the lease up)
    await until(lambda: bool(engine_of(follower).bus and engine_of(follower).bus.is_leader))
    await settle(follower, maya, 4)
    follower.publish({"VTI": "305.00"})
    expected = str(follower.expected_equity(maya))
    await wait_for(follower_ws, lambda m: m["type"] == "update" and m["equity"] == expected)
    body = await (await follower.client.get("/ready")).json()
    assert body["checks"]["redis"] == {"ok": True, "configured": True}
    assert body["checks"]["stream"]["role"] == "leader"
    await follower_ws.close()
