"""The real alpaca-py stream clients against a served sandbox, run as tasks in the test's loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import pytest
from alpaca.data.live import CryptoDataStream, StockDataStream
from alpaca.data.models import Bar, Orderbook, Quote, Trade, TradingStatus

from portfolio_rt.sandbox.app import RunningSandbox, serve_sandbox
from portfolio_rt.sandbox.market import Market
from portfolio_rt.sandbox.stream import StreamHub
from portfolio_rt.sandbox.world import Sandbox
from tests.fixtures.settings import SANDBOX_KEY, SANDBOX_SECRET, sandbox_config
from tests.sandbox.stream_helpers import SANDBOX_KEY as SANDBOX_KEY_LIGHT
from tests.sandbox.stream_helpers import SANDBOX_SECRET as SANDBOX_SECRET_LIGHT
from tests.sandbox.stream_helpers import Clock, make_world, serve_stream

STOCK_METHODS: Final = (
    "trades",
    "quotes",
    "bars",
    "updated_bars",
    "daily_bars",
    "trading_statuses",
)
"""alpaca-py 0.44's StockDataStream.subscribe_* (no lulds: its base class keeps a handler map
for them but no method fills it)."""
CRYPTO_METHODS: Final = ("trades", "quotes", "bars", "updated_bars", "daily_bars", "orderbooks")
CHANNEL_OF: Final = {
    "trades": "trades",
    "quotes": "quotes",
    "bars": "bars",
    "updated_bars": "updatedBars",
    "daily_bars": "dailyBars",
    "trading_statuses": "statuses",
    "orderbooks": "orderbooks",
}


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


# -- every subscribe_* and unsubscribe_* method ---------------------------------------------------


def _public(cls: type, prefix: str) -> set[str]:
    return {name for name in dir(cls) if name.startswith(prefix)}


async def _unsubscribed(hub: StreamHub, channel: str, symbol: str) -> None:
    """Wait until the server side dropped `symbol` from `channel`."""
    (conn,) = hub.connections
    await _eventually(lambda: symbol not in conn.subs.symbols(channel), 5)


async def test_every_stock_subscription_method_gets_parsed_messages() -> None:
    world = make_world()
    handlers: dict[str, list[Any]] = {}
    async with serve_stream(world, late_trade_share=1.0) as (base, hub):
        stream = StockDataStream(
            SANDBOX_KEY_LIGHT, SANDBOX_SECRET_LIGHT, url_override=f"{base}/v2/iex"
        )
        for name in sorted(_public(StockDataStream, "subscribe_")):
            getattr(stream, name)(_collector(handlers.setdefault(name, [])), "AAPL")
        luld: list[Any] = []  # alpaca-py 0.44 has no subscribe_lulds; its base class passes
        stream._subscribe(_collector(luld), ("AAPL",), stream._handlers["lulds"])  # them raw
        async with _running(stream):
            await _eventually(
                lambda: bool(hub.connections) and bool(handlers["subscribe_trades"]), 10
            )
            minute = world.now().replace(second=0, microsecond=0) - timedelta(minutes=2)
            hub.emit_bars(minute)
            hub.emit_updated_bars(minute)
            await _eventually(lambda: all(handlers.values()) and bool(luld), 10)
            for name in sorted(_public(StockDataStream, "unsubscribe_")):
                channel = CHANNEL_OF[name.removeprefix("unsubscribe_")]
                await asyncio.to_thread(getattr(stream, name), "AAPL")
                await _unsubscribed(hub, channel, "AAPL")
            (conn,) = hub.connections
            assert conn.subs.symbols("lulds")  # only the private handler map keeps it
    assert set(handlers) == {f"subscribe_{c}" for c in STOCK_METHODS}
    expected = {
        "subscribe_trades": Trade,
        "subscribe_quotes": Quote,
        "subscribe_bars": Bar,
        "subscribe_updated_bars": Bar,
        "subscribe_daily_bars": Bar,
        "subscribe_trading_statuses": TradingStatus,
    }
    for name, items in handlers.items():
        assert all(isinstance(item, expected[name]) for item in items), name
        assert all(item.symbol == "AAPL" for item in items)
    status = handlers["subscribe_trading_statuses"][0]
    assert (status.status_code, status.status_message, status.tape) == (
        "T",
        "Trading Resumption",
        "C",
    )
    assert handlers["subscribe_bars"][0].timestamp == minute
    assert handlers["subscribe_updated_bars"][0].timestamp == minute
    assert handlers["subscribe_updated_bars"][0].close == float(
        world.market.price_at("AAPL", minute + timedelta(minutes=1))
    )
    assert luld[0]["T"] == "l"
    assert luld[0]["u"] > luld[0]["d"]


async def test_every_crypto_subscription_method_gets_parsed_messages() -> None:
    world = make_world()
    handlers: dict[str, list[Any]] = {}
    async with serve_stream(world, late_trade_share=1.0) as (base, hub):
        stream = CryptoDataStream(
            SANDBOX_KEY_LIGHT, SANDBOX_SECRET_LIGHT, url_override=f"{base}/v1beta3/crypto/us"
        )
        for name in sorted(_public(CryptoDataStream, "subscribe_")):
            getattr(stream, name)(_collector(handlers.setdefault(name, [])), "BTC/USD")
        async with _running(stream):
            await _eventually(lambda: len(handlers["subscribe_orderbooks"]) >= 3, 10)
            minute = world.now().replace(second=0, microsecond=0) - timedelta(minutes=2)
            hub.emit_bars(minute)
            hub.emit_updated_bars(minute)
            await _eventually(lambda: all(handlers.values()), 10)
            for name in sorted(_public(CryptoDataStream, "unsubscribe_")):
                channel = CHANNEL_OF[name.removeprefix("unsubscribe_")]
                await asyncio.to_thread(getattr(stream, name), "BTC/USD")
                await _unsubscribed(hub, channel, "BTC/USD")
            (conn,) = hub.connections
            assert conn.subs.is_empty()
    assert set(handlers) == {f"subscribe_{c}" for c in CRYPTO_METHODS}
    books = handlers["subscribe_orderbooks"]
    assert all(isinstance(book, Orderbook) for book in books)
    assert books[0].reset is True
    assert len(books[0].bids) == len(books[0].asks) == 20
    assert books[0].bids[0].price < books[0].asks[0].price
    assert not any(book.reset for book in books[1:])
    assert all(level.size >= 0 for book in books for level in (*book.bids, *book.asks))
    for name in ("subscribe_bars", "subscribe_updated_bars", "subscribe_daily_bars"):
        assert isinstance(handlers[name][0], Bar)
        assert handlers[name][0].volume != int(handlers[name][0].volume)  # fractional coins


@pytest.mark.parametrize(
    ("path", "symbol", "lag"),
    [("/v2/test", "FAKEPACA", timedelta(0)), ("/v2/delayed_sip", "MSFT", timedelta(minutes=15))],
)
async def test_the_test_and_delayed_feeds_reach_stock_handlers(
    path: str, symbol: str, lag: timedelta
) -> None:
    world = make_world()
    async with serve_stream(world, test_tick_s=0.2) as (base, _hub):
        stream = StockDataStream(SANDBOX_KEY_LIGHT, SANDBOX_SECRET_LIGHT, url_override=base + path)
        trades: list[Trade] = []
        stream.subscribe_trades(_collector(trades), symbol)
        async with _running(stream):
            await _eventually(lambda: len(trades) >= 2, 10)
    for trade in trades:
        assert trade.symbol == symbol
        age = world.now() - trade.timestamp
        assert lag <= age < lag + timedelta(seconds=5)
