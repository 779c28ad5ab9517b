"""The real alpaca-py clients (data and broker reference routes) work against the sandbox.

alpaca-py is synchronous (requests), so every call runs in a worker thread while the sandbox
serves on this test's event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
import requests
from alpaca.broker.client import BrokerClient
from alpaca.common.exceptions import APIError
from alpaca.data.historical.crypto import CryptoHistoricalDataClient
from alpaca.data.historical.stock import StockHistoricalDataClient
from alpaca.data.requests import (
    CryptoBarsRequest,
    CryptoLatestBarRequest,
    CryptoLatestQuoteRequest,
    CryptoLatestTradeRequest,
    CryptoSnapshotRequest,
    StockBarsRequest,
    StockLatestBarRequest,
    StockLatestQuoteRequest,
    StockLatestTradeRequest,
    StockSnapshotRequest,
)
from alpaca.data.timeframe import TimeFrame, TimeFrameUnit
from alpaca.trading.enums import AssetClass
from alpaca.trading.requests import GetAssetsRequest, GetCalendarRequest

from tests.sandbox.market_world import (
    IN_SESSION,
    KEY,
    SECRET,
    MarketWorld,
    build_world,
    serve_world,
)


@pytest.fixture(scope="module")
def world() -> MarketWorld:
    return build_world(IN_SESSION)


@pytest.fixture
async def base_url(world: MarketWorld) -> AsyncIterator[str]:
    world.faults.clear()
    async with serve_world(world) as url:
        yield url


def stock_client(base_url: str, basic: bool = True) -> StockHistoricalDataClient:
    return StockHistoricalDataClient(KEY, SECRET, url_override=base_url, use_basic_auth=basic)


@pytest.mark.parametrize("basic", [True, False], ids=["basic-auth", "apca-headers"])
async def test_stock_bars_follow_pages_to_the_end(base_url: str, basic: bool) -> None:
    client = stock_client(base_url, basic)
    request = StockBarsRequest(
        symbol_or_symbols=["AAPL", "MSFT"],
        timeframe=TimeFrame.Minute,
        start=datetime(2026, 2, 2, tzinfo=UTC),
        end=datetime(2026, 3, 3, 21, 0, tzinfo=UTC),
    )
    barset = await asyncio.to_thread(client.get_stock_bars, request)
    aapl, msft = barset.data["AAPL"], barset.data["MSFT"]
    assert len(aapl) + len(msft) > 10_000  # more than one page of 10,000
    assert len(aapl) == len(msft) == 21 * 390  # 21 sessions (Presidents Day closed)
    times = [b.timestamp for b in aapl]
    assert times == sorted(set(times))
    assert aapl[0].timestamp == datetime(2026, 2, 2, 14, 30, tzinfo=UTC)
    assert aapl[0].trade_count is not None
    assert aapl[0].vwap is not None


async def test_stock_bars_with_a_limit_and_weekly_bars(base_url: str) -> None:
    client = stock_client(base_url)
    request = StockBarsRequest(
        symbol_or_symbols=["AAPL", "SPY"],
        timeframe=TimeFrame(1, TimeFrameUnit.Day),
        start=datetime(2025, 1, 1, tzinfo=UTC),
        limit=25,
    )
    barset = await asyncio.to_thread(client.get_stock_bars, request)
    assert sum(len(v) for v in barset.data.values()) == 25
    weekly = StockBarsRequest(
        symbol_or_symbols="SPY",
        timeframe=TimeFrame(1, TimeFrameUnit.Week),
        start=datetime(2025, 6, 2, tzinfo=UTC),
        end=datetime(2025, 6, 30, tzinfo=UTC),
    )
    weeks = (await asyncio.to_thread(client.get_stock_bars, weekly)).data["SPY"]
    assert [w.timestamp.day for w in weeks] == [2, 9, 16, 23]  # Mondays; end is exclusive of 6/30


async def test_stock_latest_values_and_snapshots_parse(base_url: str, world: MarketWorld) -> None:
    client = stock_client(base_url, basic=False)
    symbols = ["AAPL", "MSFT", "NOPE"]
    trades = await asyncio.to_thread(
        client.get_stock_latest_trade, StockLatestTradeRequest(symbol_or_symbols=symbols)
    )
    quotes = await asyncio.to_thread(
        client.get_stock_latest_quote, StockLatestQuoteRequest(symbol_or_symbols=symbols)
    )
    bars = await asyncio.to_thread(
        client.get_stock_latest_bar, StockLatestBarRequest(symbol_or_symbols=symbols)
    )
    snapshots = await asyncio.to_thread(
        client.get_stock_snapshot, StockSnapshotRequest(symbol_or_symbols=symbols)
    )
    assert set(trades) == set(quotes) == set(bars) == set(snapshots) == {"AAPL", "MSFT"}
    expected = world.ticker.latest_trade("AAPL")
    assert expected is not None
    assert trades["AAPL"].price == float(expected.price)
    assert quotes["AAPL"].bid_price < quotes["AAPL"].ask_price
    assert bars["AAPL"].timestamp == datetime(2026, 3, 4, 14, 59, tzinfo=UTC)
    snap = snapshots["AAPL"]
    assert snap.latest_trade is not None
    assert snap.daily_bar is not None
    assert snap.previous_daily_bar is not None
    assert snap.minute_bar is not None
    assert snap.daily_bar.timestamp.date() == date(2026, 3, 4)


async def test_crypto_client_parses_bars_latest_and_snapshots(base_url: str) -> None:
    client = CryptoHistoricalDataClient(KEY, SECRET, url_override=base_url)
    pairs = ["BTC/USD", "ETH/USD"]
    bars = await asyncio.to_thread(
        client.get_crypto_bars,
        CryptoBarsRequest(
            symbol_or_symbols=pairs,
            timeframe=TimeFrame.Hour,
            start=datetime(2026, 2, 20, tzinfo=UTC),
        ),
    )
    assert len(bars.data["BTC/USD"]) == 12 * 24 + 16
    trades = await asyncio.to_thread(
        client.get_crypto_latest_trade, CryptoLatestTradeRequest(symbol_or_symbols=pairs)
    )
    quotes = await asyncio.to_thread(
        client.get_crypto_latest_quote, CryptoLatestQuoteRequest(symbol_or_symbols=pairs)
    )
    latest_bars = await asyncio.to_thread(
        client.get_crypto_latest_bar, CryptoLatestBarRequest(symbol_or_symbols=pairs)
    )
    snapshots = await asyncio.to_thread(
        client.get_crypto_snapshot, CryptoSnapshotRequest(symbol_or_symbols=pairs)
    )
    for result in (trades, quotes, latest_bars, snapshots):
        assert set(result) == set(pairs)
    assert trades["BTC/USD"].price > 0
    assert quotes["ETH/USD"].bid_price < quotes["ETH/USD"].ask_price
    btc = snapshots["BTC/USD"]
    assert btc.daily_bar is not None
    assert btc.daily_bar.timestamp == datetime(2026, 3, 4, tzinfo=UTC)


async def test_broker_client_reference_routes_parse(base_url: str) -> None:
    broker = BrokerClient(KEY, SECRET, url_override=base_url)
    asset = await asyncio.to_thread(broker.get_asset, "AAPL")
    assert asset.symbol == "AAPL"
    assert asset.asset_class == AssetClass.US_EQUITY
    assert asset.fractionable is True
    same = await asyncio.to_thread(broker.get_asset, str(asset.id))
    assert same.symbol == "AAPL"
    equities = await asyncio.to_thread(broker.get_all_assets)
    assert len(equities) >= 300
    crypto = await asyncio.to_thread(
        broker.get_all_assets, GetAssetsRequest(asset_class=AssetClass.CRYPTO)
    )
    assert {a.symbol for a in crypto} >= {"BTC/USD", "ETH/USD", "SOL/USD"}
    clock = await asyncio.to_thread(broker.get_clock)
    assert clock.is_open is True
    assert clock.next_close == datetime(2026, 3, 4, 21, 0, tzinfo=UTC)
    days = await asyncio.to_thread(
        broker.get_calendar, GetCalendarRequest(start=date(2025, 12, 22), end=date(2026, 1, 2))
    )
    assert [d.date for d in days] == [
        date(2025, 12, 22), date(2025, 12, 23), date(2025, 12, 24), date(2025, 12, 26),
        date(2025, 12, 29), date(2025, 12, 30), date(2025, 12, 31), date(2026, 1, 2),
    ]  # fmt: skip
    christmas_eve = days[2]
    assert christmas_eve.close == datetime(2025, 12, 24, 13, 0)


async def test_unknown_asset_is_an_api_error_with_a_code(base_url: str) -> None:
    broker = BrokerClient(KEY, SECRET, url_override=base_url)
    with pytest.raises(APIError) as caught:
        await asyncio.to_thread(broker.get_asset, "NOPE")
    assert caught.value.status_code == 404
    assert caught.value.code == 40410000


async def test_wrong_keys_are_refused_with_alpaca_errors(base_url: str) -> None:
    data = StockHistoricalDataClient(KEY, "wrong", url_override=base_url)
    with pytest.raises(APIError) as caught:
        await asyncio.to_thread(
            data.get_stock_latest_trade, StockLatestTradeRequest(symbol_or_symbols="AAPL")
        )
    assert caught.value.status_code == 403
    assert caught.value.code == 40310000
    broker = BrokerClient(KEY, "wrong", url_override=base_url)
    with pytest.raises(APIError) as refused:
        await asyncio.to_thread(broker.get_clock)
    assert refused.value.status_code == 401
    assert refused.value.code == 40110000


async def test_sdk_sees_injected_faults(base_url: str, world: MarketWorld) -> None:
    client = stock_client(base_url)
    client._retry_wait = 0  # alpaca-py sleeps 3 s between 429 retries
    request = StockLatestTradeRequest(symbol_or_symbols="AAPL")
    route = "/v2/stocks/trades/latest"

    world.faults.add({"route": route, "kind": "status", "status": 503, "count": 1})
    with pytest.raises(APIError) as caught:
        await asyncio.to_thread(client.get_stock_latest_trade, request)
    assert caught.value.status_code == 503

    world.faults.add({"route": route, "kind": "status", "status": 429, "count": 2})
    retried = await asyncio.to_thread(client.get_stock_latest_trade, request)
    assert "AAPL" in retried  # two 429s, then the SDK's third attempt succeeds

    world.faults.add({"route": route, "kind": "drop", "count": 1})
    with pytest.raises(requests.exceptions.ConnectionError):
        await asyncio.to_thread(client.get_stock_latest_trade, request)

    world.faults.add({"route": route, "kind": "malformed", "count": 1})
    with pytest.raises(requests.exceptions.JSONDecodeError):
        await asyncio.to_thread(client.get_stock_latest_trade, request)

    assert world.faults.rules() == []
    assert "AAPL" in await asyncio.to_thread(client.get_stock_latest_trade, request)
