"""The market-data stream with raw aiohttp clients: control flow, error codes, data, faults."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import msgpack
import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient

from portfolio_rt.sandbox.stream import STREAM_HUB
from tests.sandbox.stream_helpers import (
    SANDBOX_KEY,
    SANDBOX_SECRET,
    StreamWorld,
    collect,
    login,
    make_world,
    parse_ts,
    recv,
    recv_control,
    stream_app,
)

AUTH = {"action": "auth", "key": SANDBOX_KEY, "secret": SANDBOX_SECRET}


@pytest.fixture
def world() -> StreamWorld:
    return make_world()


@pytest.fixture
async def client(world: StreamWorld, aiohttp_client: Any) -> TestClient[Any, Any]:
    return await aiohttp_client(stream_app(world, auth_timeout_s=2.0))  # type: ignore[no-any-return]


def _close_tolerance(price: Decimal) -> Decimal:
    return max(Decimal("0.011"), price * Decimal("0.000001"))


async def test_auth_message_is_answered_with_authenticated(client: TestClient[Any, Any]) -> None:
    ws = await client.ws_connect("/v2/iex")
    await login(ws)
    await ws.close()


async def test_wrong_secret_gets_402_and_the_socket_closes(client: TestClient[Any, Any]) -> None:
    ws = await client.ws_connect("/v2/iex")
    await recv(ws)
    await ws.send_json({"action": "auth", "key": SANDBOX_KEY, "secret": "nope"})
    assert await recv(ws) == [{"T": "error", "code": 402, "msg": "auth failed"}]
    msg = await ws.receive(timeout=5)
    assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)


@pytest.mark.parametrize(
    "headers",
    [
        {"APCA-API-KEY-ID": SANDBOX_KEY, "APCA-API-SECRET-KEY": SANDBOX_SECRET},
        {
            "Authorization": "Basic "
            + base64.b64encode(f"{SANDBOX_KEY}:{SANDBOX_SECRET}".encode()).decode()
        },
    ],
)
async def test_handshake_headers_authenticate_without_a_message(
    client: TestClient[Any, Any], headers: dict[str, str]
) -> None:
    ws = await client.ws_connect("/v2/iex", headers=headers)
    assert await recv(ws) == [{"T": "success", "msg": "connected"}]
    assert await recv(ws) == [{"T": "success", "msg": "authenticated"}]
    await ws.send_json({"action": "subscribe", "trades": ["AAPL"]})
    assert (await recv_control(ws))["T"] == "subscription"
    await ws.close()


async def test_auth_without_key_or_secret_gets_400(client: TestClient[Any, Any]) -> None:
    ws = await client.ws_connect("/v2/iex")
    await recv(ws)
    await ws.send_json({"action": "auth", "key": SANDBOX_KEY})
    assert await recv(ws) == [{"T": "error", "code": 400, "msg": "invalid syntax"}]
    await ws.send_json(AUTH)
    assert await recv(ws) == [{"T": "success", "msg": "authenticated"}]
    await ws.close()


async def test_second_auth_gets_403(client: TestClient[Any, Any]) -> None:
    ws = await client.ws_connect("/v2/iex")
    await login(ws)
    await ws.send_json(AUTH)
    assert await recv(ws) == [{"T": "error", "code": 403, "msg": "already authenticated"}]
    await ws.close()


async def test_subscribe_before_auth_gets_401(client: TestClient[Any, Any]) -> None:
    ws = await client.ws_connect("/v2/iex")
    await recv(ws)
    await ws.send_json({"action": "subscribe", "trades": ["AAPL"]})
    assert await recv(ws) == [{"T": "error", "code": 401, "msg": "not authenticated"}]
    await ws.send_json(AUTH)
    assert await recv(ws) == [{"T": "success", "msg": "authenticated"}]
    await ws.close()


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[1, 2]",
        '{"key": "x"}',
        '{"action": "dance"}',
        '{"action": "subscribe", "trades": "AAPL"}',
        '{"action": "subscribe", "trades": [1]}',
        '{"action": "subscribe", "news": ["*"]}',
    ],
)
async def test_malformed_actions_get_400(client: TestClient[Any, Any], raw: str) -> None:
    ws = await client.ws_connect("/v2/iex")
    await login(ws)
    await ws.send_str(raw)
    assert await recv(ws) == [{"T": "error", "code": 400, "msg": "invalid syntax"}]
    await ws.close()


async def test_channel_of_another_feed_gets_410(client: TestClient[Any, Any]) -> None:
    ws = await client.ws_connect("/v2/iex")
    await login(ws)
    await ws.send_json({"action": "subscribe", "orderbooks": ["AAPL"]})
    assert (await recv_control(ws))["code"] == 410
    await ws.close()


async def test_no_auth_within_the_timeout_gets_404_and_close(
    world: StreamWorld, aiohttp_client: Any
) -> None:
    client = await aiohttp_client(stream_app(world, auth_timeout_s=0.3))
    ws = await client.ws_connect("/v2/iex")
    await recv(ws)
    assert await recv(ws, within_s=3) == [{"T": "error", "code": 404, "msg": "auth timeout"}]
    msg = await ws.receive(timeout=3)
    assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)


async def test_symbol_limit_gets_405_and_keeps_the_subscriptions(
    world: StreamWorld, aiohttp_client: Any
) -> None:
    client = await aiohttp_client(stream_app(world, symbol_limit=3))
    ws = await client.ws_connect("/v2/iex")
    await login(ws)
    await ws.send_json({"action": "subscribe", "trades": ["AAPL", "MSFT"], "quotes": ["AAPL"]})
    first = await recv_control(ws)
    assert first["trades"] == ["AAPL", "MSFT"]
    await ws.send_json({"action": "subscribe", "quotes": ["NVDA", "AMZN"]})
    assert await recv_control(ws) == {"T": "error", "code": 405, "msg": "symbol limit exceeded"}
    await ws.send_json({"action": "subscribe", "quotes": ["NVDA"]})
    third = await recv_control(ws)
    assert third["trades"] == ["AAPL", "MSFT"]
    assert third["quotes"] == ["AAPL", "NVDA"]
    await ws.close()


async def test_second_connection_with_the_same_key_gets_406(client: TestClient[Any, Any]) -> None:
    first = await client.ws_connect("/v2/iex")
    await login(first)
    second = await client.ws_connect("/v2/iex")
    await recv(second)
    await second.send_json(AUTH)
    assert await recv(second) == [{"T": "error", "code": 406, "msg": "connection limit exceeded"}]
    assert (await second.receive(timeout=5)).type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
    other_endpoint = await client.ws_connect("/v2/sip")
    await login(other_endpoint)
    await first.close()
    await asyncio.sleep(0.05)
    third = await client.ws_connect("/v2/iex")
    await login(third)
    await third.close()
    await other_endpoint.close()


async def test_sip_on_an_iex_only_plan_gets_409(world: StreamWorld, aiohttp_client: Any) -> None:
    client = await aiohttp_client(stream_app(world, feeds=frozenset({"iex", "us"})))
    ws = await client.ws_connect("/v2/sip")
    await recv(ws)
    await ws.send_json(AUTH)
    assert await recv(ws) == [{"T": "error", "code": 409, "msg": "insufficient subscription"}]
    assert (await ws.receive(timeout=5)).type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
    iex = await client.ws_connect("/v2/iex")
    await login(iex)
    await iex.close()


async def test_confirmation_is_the_full_state_with_union_and_unsubscribe(
    client: TestClient[Any, Any],
) -> None:
    ws = await client.ws_connect("/v2/iex")
    await login(ws)
    await ws.send_json({"action": "subscribe", "trades": ["AAPL"], "quotes": ["AMD", "MSFT"]})
    assert await recv_control(ws) == {
        "T": "subscription",
        "trades": ["AAPL"],
        "quotes": ["AMD", "MSFT"],
        "bars": [],
        "updatedBars": [],
        "dailyBars": [],
        "statuses": [],
        "lulds": [],
        "corrections": ["AAPL"],
        "cancelErrors": ["AAPL"],
    }
    await ws.send_json({"action": "subscribe", "trades": ["MSFT", "AAPL"], "bars": ["*"]})
    second = await recv_control(ws)
    assert second["trades"] == ["AAPL", "MSFT"]
    assert second["quotes"] == ["AMD", "MSFT"]
    assert second["bars"] == ["*"]
    assert second["corrections"] == second["cancelErrors"] == ["AAPL", "MSFT"]
    await ws.send_json({"action": "unsubscribe", "bars": ["*"], "trades": ["AAPL"]})
    third = await recv_control(ws)
    assert third["bars"] == []
    assert third["trades"] == ["MSFT"]
    assert third["corrections"] == ["MSFT"]
    assert third["quotes"] == ["AMD", "MSFT"]
    await ws.close()


async def test_trades_and_quotes_arrive_on_the_market_price_path(
    client: TestClient[Any, Any], world: StreamWorld
) -> None:
    ws = await client.ws_connect("/v2/iex")
    await login(ws)
    await ws.send_json({"action": "subscribe", "trades": ["AAPL"], "quotes": ["AAPL"]})
    await recv_control(ws)
    seen = await collect(
        ws, lambda s: {"t", "q"} <= {m["T"] for m in s}, within_s=3.0
    )  # prompt: requested on subscribe
    for message in seen:
        assert message["S"] == "AAPL"
        t = parse_ts(message["t"])
        price = world.market.price_at("AAPL", t)
        if message["T"] == "t":
            assert set(message) == {"T", "S", "i", "x", "p", "s", "c", "z", "t"}
            assert abs(Decimal(str(message["p"])) - price) <= _close_tolerance(price)
        else:
            assert set(message) == {"T", "S", "bx", "bp", "bs", "ax", "ap", "as", "c", "z", "t"}
            assert message["bp"] < float(price) < message["ap"]
    await ws.close()


async def test_wildcard_delivers_every_symbol_over_time(
    client: TestClient[Any, Any], world: StreamWorld
) -> None:
    ws = await client.ws_connect("/v2/iex")
    await login(ws)
    await ws.send_json({"action": "subscribe", "trades": ["*"]})
    await recv_control(ws)
    equities = {i.symbol for i in world.market.universe if i.asset_class != "crypto"}
    seen = await collect(ws, lambda s: {m["S"] for m in s} >= equities, within_s=5.0)
    assert {m["T"] for m in seen} == {"t"}
    assert not {m["S"] for m in seen} - equities
    await ws.close()


async def test_crypto_feed_sends_pairs_with_crypto_shapes(client: TestClient[Any, Any]) -> None:
    ws = await client.ws_connect("/v1beta3/crypto/us")
    await login(ws)
    await ws.send_json(
        {"action": "subscribe", "trades": ["BTC/USD"], "quotes": ["BTC/USD"], "orderbooks": []}
    )
    confirmation = await recv_control(ws)
    assert confirmation["trades"] == ["BTC/USD"]
    assert "orderbooks" in confirmation
    assert "corrections" not in confirmation
    seen = await collect(ws, lambda s: {"t", "q"} <= {m["T"] for m in s}, within_s=3.0)
    trade = next(m for m in seen if m["T"] == "t")
    quote = next(m for m in seen if m["T"] == "q")
    assert set(trade) == {"T", "S", "p", "s", "t", "i", "tks"}
    assert set(quote) == {"T", "S", "bp", "bs", "ap", "as", "t"}
    await ws.send_json({"action": "subscribe", "statuses": ["BTC/USD"]})
    assert (await recv_control(ws))["code"] == 410
    await ws.close()


async def test_stock_feed_sends_no_crypto(client: TestClient[Any, Any]) -> None:
    ws = await client.ws_connect("/v2/iex")
    await login(ws)
    await ws.send_json({"action": "subscribe", "trades": ["*", "BTC/USD"]})
    await recv_control(ws)
    seen = await collect(ws, lambda s: len(s) >= 50, within_s=5.0)
    assert all("/" not in m["S"] for m in seen)
    await ws.close()


async def test_msgpack_clients_get_binary_frames_with_timestamp_ext(
    client: TestClient[Any, Any], world: StreamWorld
) -> None:
    ws = await client.ws_connect("/v2/iex", headers={"Content-Type": "application/msgpack"})

    async def next_frame() -> list[dict[str, Any]]:
        msg = await ws.receive(timeout=5)
        assert msg.type is WSMsgType.BINARY
        return msgpack.unpackb(msg.data)  # type: ignore[no-any-return]

    assert await next_frame() == [{"T": "success", "msg": "connected"}]
    await ws.send_bytes(msgpack.packb(AUTH))
    assert await next_frame() == [{"T": "success", "msg": "authenticated"}]
    await ws.send_bytes(msgpack.packb({"action": "subscribe", "trades": ["MSFT"]}))
    assert (await next_frame())[0]["T"] == "subscription"
    trade = next(m for m in await next_frame() if m["T"] == "t")
    assert isinstance(trade["t"], msgpack.Timestamp)
    price = world.market.price_at("MSFT", trade["t"].to_datetime())
    assert abs(Decimal(str(trade["p"])) - price) <= _close_tolerance(price)
    await ws.close()


async def test_minute_bars_go_to_bar_subscribers(
    client: TestClient[Any, Any], world: StreamWorld
) -> None:
    assert client.app is not None
    hub = client.app[STREAM_HUB]
    ws = await client.ws_connect("/v2/iex")
    await login(ws)
    await ws.send_json({"action": "subscribe", "bars": ["AAPL", "SPY", "BTC/USD"]})
    await recv_control(ws)
    minute = world.now().replace(second=0, microsecond=0) - timedelta(minutes=2)
    hub.emit_bars(minute)
    bars = await collect(ws, lambda s: len(s) >= 2)
    assert {b["S"] for b in bars} == {"AAPL", "SPY"}  # no crypto on the stock feed
    for bar in bars:
        assert bar["T"] == "b"
        assert set(bar) == {"T", "S", "o", "h", "l", "c", "v", "t", "n", "vw"}
        assert parse_ts(bar["t"]) == minute
        assert bar["l"] <= min(bar["o"], bar["c"]) <= max(bar["o"], bar["c"]) <= bar["h"]
        end_price = world.market.price_at(bar["S"], minute + timedelta(minutes=1))
        assert abs(bar["c"] - float(end_price)) / float(end_price) < 0.002
    await ws.close()


async def test_daily_bar_subscribers_get_todays_bar_each_minute(
    client: TestClient[Any, Any], world: StreamWorld
) -> None:
    assert client.app is not None
    hub = client.app[STREAM_HUB]
    ws = await client.ws_connect("/v1beta3/crypto/us")
    await login(ws)
    await ws.send_json({"action": "subscribe", "dailyBars": ["ETH/USD"]})
    await recv_control(ws)
    hub.emit_bars(world.now().replace(second=0, microsecond=0) - timedelta(minutes=1))
    (daily,) = await collect(ws, lambda s: len(s) >= 1)
    assert daily["T"] == "d"
    assert daily["S"] == "ETH/USD"
    today = world.now().replace(hour=0, minute=0, second=0, microsecond=0)
    assert parse_ts(daily["t"]) == today
    await ws.close()


async def test_bar_clock_emits_at_the_minute_boundary(aiohttp_client: Any) -> None:
    world = make_world()
    clock = world.now
    now = clock()
    clock.offset = now.replace(second=59, microsecond=200_000) - now  # type: ignore[attr-defined]
    client = await aiohttp_client(stream_app(world, bar_poll_s=0.05))
    ws = await client.ws_connect("/v2/iex")
    await login(ws)
    await ws.send_json({"action": "subscribe", "bars": ["MSFT"]})
    await recv_control(ws)
    bars = await collect(ws, lambda s: len(s) >= 1, within_s=4.0)
    assert bars[0]["S"] == "MSFT"
    assert parse_ts(bars[0]["t"]).second == 0
    await ws.close()


async def test_slow_client_is_closed_and_the_fast_one_keeps_up(aiohttp_client: Any) -> None:
    world = make_world(trades_per_second=20_000)
    client = await aiohttp_client(stream_app(world, max_pending=8_000, connection_limit=5))
    hub = client.server.app[STREAM_HUB]
    slow = await client.ws_connect("/v2/iex", max_msg_size=0)
    fast = await client.ws_connect("/v2/iex")
    for ws in (slow, fast):
        await login(ws)
        await ws.send_json({"action": "subscribe", "trades": ["*"], "quotes": ["*"]})
        await recv_control(ws)
    # The slow client never reads again; the fast one drains continuously.
    received = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while hub.stats["slow_clients"] == 0:
        assert loop.time() < deadline, "the slow client was never detected"
        received += len(await recv(fast))
    while len(hub.connections) > 1:  # the slow socket is dropped within its grace period
        assert loop.time() < deadline, "the slow client was never closed"
        received += len(await recv(fast))
    started = loop.time()
    after = 0
    while loop.time() - started < 0.5:
        after += len(await recv(fast))
    assert received > 0
    assert after > 1_000  # 20,000 trades/s: the fast client still gets its flow
    assert hub.stats["slow_clients"] == 1
    await fast.close()
    # What the slow client had buffered is readable; then its socket ends (407 if it got out).
    last: list[dict[str, Any]] = []
    while True:
        msg = await slow.receive(timeout=10)
        if msg.type is not WSMsgType.TEXT:
            break
        last = json.loads(msg.data)
    assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR)
    assert last[-1]["T"] in ("t", "q") or last == [
        {"T": "error", "code": 407, "msg": "slow client"}
    ]


async def test_disconnect_fault_drops_the_socket_and_reconnecting_works(
    client: TestClient[Any, Any], world: StreamWorld
) -> None:
    world.faults.add({"route": "/v2/*", "on": "data", "kind": "disconnect", "count": 1})
    ws = await client.ws_connect("/v2/iex")
    await login(ws)
    await ws.send_json({"action": "subscribe", "trades": ["AAPL"]})
    await recv_control(ws)
    msg = await ws.receive(timeout=5)
    assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR)
    again = await client.ws_connect("/v2/iex")
    await login(again)
    await again.send_json({"action": "subscribe", "trades": ["AAPL"]})
    await recv_control(again)
    assert await collect(again, lambda s: len(s) >= 1, within_s=3.0)
    await again.close()


async def test_error_fault_on_auth_sends_406_then_reconnecting_works(
    client: TestClient[Any, Any], world: StreamWorld
) -> None:
    world.faults.add({"route": "/v2/iex", "on": "auth", "kind": "error", "code": 406, "count": 1})
    ws = await client.ws_connect("/v2/iex")
    await recv(ws)
    await ws.send_json(AUTH)
    assert await recv(ws) == [{"T": "error", "code": 406, "msg": "connection limit exceeded"}]
    assert (await ws.receive(timeout=5)).type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
    again = await client.ws_connect("/v2/iex")
    await login(again)
    await again.close()


async def test_connect_fault_disconnects_before_connected(
    client: TestClient[Any, Any], world: StreamWorld
) -> None:
    world.faults.add({"route": "/v2/iex", "on": "connect", "kind": "disconnect", "count": 1})
    ws = await client.ws_connect("/v2/iex")
    assert (await ws.receive(timeout=5)).type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
    again = await client.ws_connect("/v2/iex")
    await login(again)
    await again.close()


async def test_subscribe_error_fault_leaves_the_state_unchanged(
    client: TestClient[Any, Any], world: StreamWorld
) -> None:
    world.faults.add(
        {"route": "/v2/iex", "on": "subscribe", "kind": "error", "code": 500, "count": 1}
    )
    ws = await client.ws_connect("/v2/iex")
    await login(ws)
    await ws.send_json({"action": "subscribe", "trades": ["AAPL"]})
    assert await recv(ws) == [{"T": "error", "code": 500, "msg": "internal error"}]
    await ws.send_json({"action": "subscribe", "quotes": ["MSFT"]})
    confirmation = await recv_control(ws)
    assert confirmation["trades"] == []
    assert confirmation["quotes"] == ["MSFT"]
    await ws.close()


async def test_shutdown_closes_sockets_with_going_away(world: StreamWorld) -> None:
    from aiohttp import ClientSession, web

    runner = web.AppRunner(stream_app(world), shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    async with ClientSession() as session:
        ws = await session.ws_connect(f"http://{host}:{port}/v2/iex")
        await login(ws)
        await ws.send_json({"action": "subscribe", "quotes": ["AAPL"]})
        cleanup = asyncio.create_task(runner.cleanup())
        while True:
            msg = await ws.receive(timeout=5)
            if msg.type is not WSMsgType.TEXT:
                break
        await cleanup
        assert msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED)
        assert ws.close_code == 1001
    assert not world.ticker.running


async def test_json_frames_batch_several_messages(client: TestClient[Any, Any]) -> None:
    ws = await client.ws_connect("/v2/iex")
    await login(ws)
    await ws.send_json({"action": "subscribe", "trades": ["*"], "quotes": ["*"]})
    await recv_control(ws)
    sizes = []
    for _ in range(5):
        sizes.append(len(await recv(ws)))
    assert max(sizes) > 1
    await ws.close()
