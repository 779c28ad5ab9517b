"""The real alpaca-py stream clients against a served sandbox, run as tasks in the test's loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from alpaca.data.live import CryptoDataStream, StockDataStream
from alpaca.data.models import Bar, Quote, Trade

from portfolio_rt.sandbox.app import RunningSandbox, serve_sandbox
from portfolio_rt.sandbox.market import Market
from portfolio_rt.sandbox.world import Sandbox
from tests.fixtures.settings import SANDBOX_KEY, SANDBOX_SECRET, sandbox_config
from tests.sandbox.stream_helpers import Clock


async def _eventually(check: Callable[[], bool], within_s: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while not check():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


@asynccontextmanager
async def _running(stream: StockDataStream | CryptoDataStream) -> AsyncIterator[None]:
    """alpaca-py's supported in-loop lifecycle: handlers first, `_run_forever` as a task."""
    task = asyncio.create_task(stream._run_forever())
    try:
        yield
    finally:
        await stream.stop_ws()
        await asyncio.wait_for(task, 10)


def _on_price_path(market: Market, symbol: str, price: float, t: datetime) -> bool:
    expected = market.price_at(symbol, t)
    return abs(Decimal(str(price)) - expected) <= max(Decimal("0.011"), expected / 10**6)


def _collector(into: list[Any]) -> Callable[[Any], Awaitable[None]]:
    async def handler(item: Any) -> None:
        into.append(item)

    return handler


async def test_stock_stream_handlers_get_trades_and_quotes_at_market_prices(
    sandbox_server: RunningSandbox,
) -> None:
    stream = StockDataStream(SANDBOX_KEY, SANDBOX_SECRET, url_override=sandbox_server.stream_url)
    trades: list[Trade] = []
    quotes: list[Quote] = []
    stream.subscribe_trades(_collector(trades), "AAPL", "MSFT")
    stream.subscribe_quotes(_collector(quotes), "AAPL")
    async with _running(stream):
        await _eventually(lambda: len(trades) >= 2 and len(quotes) >= 1, 10)
    market = sandbox_server.sandbox.market
    assert {t.symbol for t in trades} <= {"AAPL", "MSFT"}
    for trade in trades:
        assert isinstance(trade, Trade)
        assert trade.timestamp.tzinfo is not None
        assert _on_price_path(market, trade.symbol, trade.price, trade.timestamp)
    for quote in quotes:
        assert isinstance(quote, Quote)
        mid = market.price_at("AAPL", quote.timestamp)
        assert quote.bid_price < float(mid) < quote.ask_price


async def test_subscribing_while_running_through_a_thread_adds_symbols(
    sandbox_server: RunningSandbox,
) -> None:
    stream = StockDataStream(SANDBOX_KEY, SANDBOX_SECRET, url_override=sandbox_server.stream_url)
    trades: list[Trade] = []
    stream.subscribe_trades(_collector(trades), "AAPL")
    async with _running(stream):
        await _eventually(lambda: bool(trades), 10)
        await asyncio.to_thread(stream.subscribe_trades, _collector(trades), "NVDA")
        await _eventually(lambda: any(t.symbol == "NVDA" for t in trades), 10)


async def test_crypto_stream_handlers_get_pairs(sandbox_server: RunningSandbox) -> None:
    stream = CryptoDataStream(
        SANDBOX_KEY, SANDBOX_SECRET, url_override=sandbox_server.crypto_stream_url
    )
    trades: list[Trade] = []
    quotes: list[Quote] = []
    stream.subscribe_trades(_collector(trades), "BTC/USD", "ETH/USD")
    stream.subscribe_quotes(_collector(quotes), "BTC/USD")
    async with _running(stream):
        await _eventually(lambda: len(trades) >= 2 and len(quotes) >= 1, 10)
    market = sandbox_server.sandbox.market
    for trade in trades:
        assert trade.symbol in {"BTC/USD", "ETH/USD"}
        assert _on_price_path(market, trade.symbol, trade.price, trade.timestamp)
    assert quotes[0].bid_price < quotes[0].ask_price


async def test_minute_bars_reach_the_bar_handler() -> None:
    clock = Clock()
    sandbox = Sandbox.build(sandbox_config(), now=clock)
    async with serve_sandbox(sandbox) as running:
        stream = StockDataStream(SANDBOX_KEY, SANDBOX_SECRET, url_override=running.stream_url)
        bars: list[Bar] = []
        stream.subscribe_bars(_collector(bars), "SPY")
        # trades keep frames coming, so alpaca-py notices stop_ws without its 5 s recv timeout
        stream.subscribe_trades(_collector([]), "SPY")
        async with _running(stream):
            await asyncio.sleep(0.5)  # connected and subscribed
            now = clock()
            clock.offset += now.replace(second=59, microsecond=500_000) - now
            await _eventually(lambda: bool(bars), 10)
        bar = bars[0]
        assert isinstance(bar, Bar)
        assert bar.symbol == "SPY"
        assert bar.timestamp.second == 0
        assert bar.trade_count is not None
        assert bar.vwap is not None
        assert bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high


@pytest.mark.parametrize(
    "fault",
    [
        {"route": "/v2/iex", "on": "data", "kind": "disconnect", "count": 1},
        {"route": "/v2/iex", "on": "auth", "kind": "error", "code": 406, "count": 1},
    ],
    ids=["disconnect-on-data", "406-on-auth"],
)
async def test_stock_stream_reconnects_after_a_stream_fault(
    sandbox_server: RunningSandbox, fault: dict[str, object]
) -> None:
    faults = sandbox_server.sandbox.faults
    faults.add(fault)
    stream = StockDataStream(SANDBOX_KEY, SANDBOX_SECRET, url_override=sandbox_server.stream_url)
    trades: list[Trade] = []
    stream.subscribe_trades(_collector(trades), "AAPL")
    async with _running(stream):
        await _eventually(lambda: not faults.rules(), 10)  # the fault fired
        seen = len(trades)
        await _eventually(lambda: len(trades) > seen, 15)  # data again after reconnecting
    assert _on_price_path(
        sandbox_server.sandbox.market, "AAPL", trades[-1].price, trades[-1].timestamp
    )
