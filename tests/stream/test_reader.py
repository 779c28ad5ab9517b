"""The reader alone against the sandbox stream routes: symbol limit, silence, encodings."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from portfolio_rt.config import StreamSettings
from portfolio_rt.live.prices import PriceMap
from portfolio_rt.stream.market_hours import MarketHours
from portfolio_rt.stream.reader import StreamReader
from tests.fixtures.live import until
from tests.sandbox.stream_helpers import SANDBOX_KEY, SANDBOX_SECRET, make_world, stream_app

QUICK = StreamSettings(
    reconnect_base_delay_s=0.02,
    reconnect_max_delay_s=0.1,
    connection_limit_delay_s=0.1,
    silence_timeout_s=5.0,
    handshake_timeout_s=3.0,
)
SYMBOLS = ["AAPL", "MSFT", "SPY", "QQQ", "TSLA", "NVDA"]
HOLDERS = {"SPY": 900, "QQQ": 700, "AAPL": 500, "MSFT": 300, "TSLA": 200, "NVDA": 100}

MakeReader = Callable[..., StreamReader]


@pytest.fixture
async def make_reader(aiohttp_server) -> AsyncIterator[MakeReader]:  # type: ignore[no-untyped-def]
    readers: list[StreamReader] = []
    servers: dict[str, TestServer] = {}
    session = ClientSession()

    async def make(
        family: str = "stocks",
        settings: StreamSettings = QUICK,
        market: MarketHours | None = None,
        prices: PriceMap | None = None,
        tps: float = 200.0,
        **server_settings: Any,
    ) -> StreamReader:
        world = make_world(trades_per_second=tps)
        server = await aiohttp_server(stream_app(world, **server_settings))
        servers[family] = server
        path = "/v1beta3/crypto/us" if family == "crypto" else "/v2/iex"
        reader = StreamReader(
            family=family,  # type: ignore[arg-type]
            url=str(server.make_url(path)).replace("http", "ws", 1),
            key=SANDBOX_KEY,
            secret=SANDBOX_SECRET,
            session=session,
            settings=settings,
            sink=(prices or PriceMap()).apply,
            market=market or MarketHours(None, 60),
            rank=lambda s: HOLDERS.get(s, 0),
        )
        reader.world = world  # type: ignore[attr-defined]
        readers.append(reader)
        return reader

    yield make
    for reader in readers:
        await reader.close()
    await session.close()


@pytest.mark.parametrize("encoding", ["msgpack", "json"])
async def test_prices_arrive_in_either_encoding(make_reader: MakeReader, encoding: str) -> None:
    prices = PriceMap()
    reader = await make_reader(settings=replace(QUICK, encoding=encoding), prices=prices)
    reader.want({"AAPL", "MSFT"})
    reader.start()
    await until(lambda: {"AAPL", "MSFT"} <= prices.prices.keys())
    assert reader.state == "live"
    assert all(isinstance(p, float) and p > 0 for p in prices.prices.values())


async def test_subscriptions_follow_the_wanted_set_by_diff(make_reader: MakeReader) -> None:
    reader = await make_reader()
    reader.want({"AAPL", "MSFT"})
    reader.start()
    await until(lambda: reader.subscribed == {"AAPL", "MSFT"})
    reader.want({"MSFT", "SPY"})
    await until(lambda: reader.subscribed == {"MSFT", "SPY"})
    reader.want(set())
    await until(lambda: reader.subscribed == set())
    assert reader.reconnects == 0


async def test_symbol_limit_keeps_the_most_held_symbols(make_reader: MakeReader) -> None:
    reader = await make_reader(symbol_limit=3)
    reader.want(set(SYMBOLS))
    reader.start()
    await until(lambda: reader.cap == 3 and reader.subscribed == {"SPY", "QQQ", "AAPL"})
    assert reader.overflow == {"MSFT", "TSLA", "NVDA"}
    assert reader.state == "live"


async def test_crypto_stream_carries_pairs(make_reader: MakeReader) -> None:
    prices = PriceMap()
    reader = await make_reader(family="crypto", prices=prices)
    reader.want({"BTC/USD", "ETH/USD"})
    reader.start()
    await until(lambda: {"BTC/USD", "ETH/USD"} <= prices.prices.keys())


async def test_a_silent_connection_is_replaced_while_the_market_is_open(
    make_reader: MakeReader,
) -> None:
    quiet = replace(QUICK, silence_timeout_s=0.3)
    reader = await make_reader(settings=quiet, tps=0.0)
    reader.want({"AAPL"})
    reader.start()
    await until(lambda: reader.reconnects >= 2)


async def test_a_quiet_closed_market_is_not_mistaken_for_a_dead_connection(
    make_reader: MakeReader,
) -> None:
    quiet = replace(QUICK, silence_timeout_s=0.2)
    closed = MarketHours(None, 60)
    closed.equities_open = False
    reader = await make_reader(settings=quiet, tps=0.0, market=closed)
    reader.want({"AAPL"})
    reader.start()
    await until(lambda: reader.state == "live")
    await asyncio.sleep(1.0)
    assert reader.reconnects == 0
    assert closed.is_open("crypto")
