"""alpaca-py's data clients against the sandbox: every public data method of
`StockHistoricalDataClient`, `CryptoHistoricalDataClient` and `NewsClient` parses the sandbox's
answers, paginated ones follow `next_page_token` to the end, and the crypto client needs no keys.

alpaca-py is synchronous (requests), so every call runs in a worker thread while the sandbox
serves on this test's event loop.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from alpaca.common.exceptions import APIError
from alpaca.common.rest import RESTClient
from alpaca.data.historical.crypto import CryptoHistoricalDataClient
from alpaca.data.historical.news import NewsClient
from alpaca.data.historical.stock import StockHistoricalDataClient
from alpaca.data.models import BarSet, NewsSet, Orderbook, QuoteSet, TradeSet
from alpaca.data.requests import (
    CryptoBarsRequest,
    CryptoLatestBarRequest,
    CryptoLatestOrderbookRequest,
    CryptoLatestQuoteRequest,
    CryptoLatestTradeRequest,
    CryptoQuoteRequest,
    CryptoSnapshotRequest,
    CryptoTradesRequest,
    NewsRequest,
    StockBarsRequest,
    StockLatestBarRequest,
    StockLatestQuoteRequest,
    StockLatestTradeRequest,
    StockQuotesRequest,
    StockSnapshotRequest,
    StockTradesRequest,
)
from alpaca.data.timeframe import TimeFrame

from tests.sandbox.market_world import IN_SESSION, KEY, SECRET, MarketWorld, build_world
from tests.sandbox.test_data_history import history_app

HOUR_START = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
HOUR_END = datetime(2026, 3, 3, 15, 14, 59, 999999, tzinfo=UTC)
"""A quarter of an hour of a past session: SPY and AAPL print over 10,000 trades in it."""


@pytest.fixture(scope="module")
def world() -> MarketWorld:
    return build_world(IN_SESSION)


@asynccontextmanager
async def _serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def base_url(world: MarketWorld) -> AsyncIterator[str]:
    world.faults.clear()
    async with _serve(history_app(world)) as url:
        yield url


def _stock(url: str) -> StockHistoricalDataClient:
    return StockHistoricalDataClient(KEY, SECRET, url_override=url)


def _crypto(url: str, *keys: str) -> CryptoHistoricalDataClient:
    return CryptoHistoricalDataClient(*keys, url_override=url)


def _news(url: str) -> NewsClient:
    return NewsClient(KEY, SECRET, url_override=url)


async def _call(method: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.to_thread(method, *args)


# ------------------------------------------------------------------------ the whole sweep

STOCKS = ["AAPL", "MSFT"]
PAIRS = ["BTC/USD", "ETH/USD"]
RECENT = {"start": IN_SESSION - timedelta(minutes=3), "end": IN_SESSION}

SWEEP: dict[str, tuple[Callable[[str], RESTClient], Callable[[], Any]]] = {
    "get_stock_bars": (
        _stock,
        lambda: StockBarsRequest(symbol_or_symbols=STOCKS, timeframe=TimeFrame.Minute, **RECENT),
    ),
    "get_stock_trades": (_stock, lambda: StockTradesRequest(symbol_or_symbols=STOCKS, **RECENT)),
    "get_stock_quotes": (_stock, lambda: StockQuotesRequest(symbol_or_symbols=STOCKS, **RECENT)),
    "get_stock_latest_trade": (_stock, lambda: StockLatestTradeRequest(symbol_or_symbols=STOCKS)),
    "get_stock_latest_quote": (_stock, lambda: StockLatestQuoteRequest(symbol_or_symbols=STOCKS)),
    "get_stock_latest_bar": (_stock, lambda: StockLatestBarRequest(symbol_or_symbols=STOCKS)),
    "get_stock_snapshot": (_stock, lambda: StockSnapshotRequest(symbol_or_symbols=STOCKS)),
    "get_crypto_bars": (
        _crypto,
        lambda: CryptoBarsRequest(symbol_or_symbols=PAIRS, timeframe=TimeFrame.Minute, **RECENT),
    ),
    "get_crypto_trades": (_crypto, lambda: CryptoTradesRequest(symbol_or_symbols=PAIRS, **RECENT)),
    "get_crypto_quotes": (_crypto, lambda: CryptoQuoteRequest(symbol_or_symbols=PAIRS, **RECENT)),
    "get_crypto_latest_trade": (
        _crypto,
        lambda: CryptoLatestTradeRequest(symbol_or_symbols=PAIRS),
    ),
    "get_crypto_latest_quote": (
        _crypto,
        lambda: CryptoLatestQuoteRequest(symbol_or_symbols=PAIRS),
    ),
    "get_crypto_latest_bar": (_crypto, lambda: CryptoLatestBarRequest(symbol_or_symbols=PAIRS)),
    "get_crypto_latest_orderbook": (
        _crypto,
        lambda: CryptoLatestOrderbookRequest(symbol_or_symbols=PAIRS),
    ),
    "get_crypto_snapshot": (_crypto, lambda: CryptoSnapshotRequest(symbol_or_symbols=PAIRS)),
    "get_news": (_news, lambda: NewsRequest(symbols="AAPL,BTCUSD", start=datetime(2026, 2, 1))),
}


def _public_data_methods(cls: type) -> set[str]:
    """The client's own public methods: RESTClient's verbs (get, post, ...) are generic HTTP."""
    inherited = {name for name in vars(RESTClient) if not name.startswith("_")}
    return {
        name
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_") and name not in inherited
    }


def test_the_sweep_covers_every_public_method_of_the_data_clients() -> None:
    methods = set()
    for cls in (StockHistoricalDataClient, CryptoHistoricalDataClient, NewsClient):
        methods |= _public_data_methods(cls)
    assert methods == set(SWEEP)


@pytest.mark.parametrize("name", sorted(SWEEP))
async def test_every_data_method_parses_the_sandboxs_answer(base_url: str, name: str) -> None:
    make_client, make_request = SWEEP[name]
    client = make_client(base_url)
    result = await _call(getattr(client, name), make_request())
    if isinstance(result, BarSet | TradeSet | QuoteSet):
        wanted = PAIRS if name.startswith("get_crypto") else STOCKS
        assert set(result.data) == set(wanted)
        assert all(result.data[s] for s in wanted)
    elif isinstance(result, NewsSet):
        articles = result.data["news"]
        assert articles
        assert all({"AAPL", "BTCUSD"} & set(a.symbols) for a in articles)
        assert articles[0].created_at.tzinfo is not None
    else:
        assert isinstance(result, dict)
        assert set(result) == set(PAIRS if name.startswith("get_crypto") else STOCKS)
        if name == "get_crypto_latest_orderbook":
            book = result["BTC/USD"]
            assert isinstance(book, Orderbook)
            assert book.bids[0].price < book.asks[0].price
            assert len(book.bids) == len(book.asks) == 20


# ----------------------------------------------------------------------------- pagination


async def test_stock_trades_follow_pages_to_the_end(base_url: str) -> None:
    client = _stock(base_url)
    request = StockTradesRequest(symbol_or_symbols=["SPY", "AAPL"], start=HOUR_START, end=HOUR_END)
    trades = await _call(client.get_stock_trades, request)
    spy, aapl = trades.data["SPY"], trades.data["AAPL"]
    assert len(spy) + len(aapl) > 10_000  # more than one page of 10,000
    for items in (spy, aapl):
        ids = [t.id for t in items]
        assert len(set(ids)) == len(ids)
        times = [t.timestamp for t in items]
        assert times == sorted(times)
    raw = await _call(
        client.get, "/stocks/AAPL/trades", {"start": HOUR_START.isoformat(), "limit": 10000,
                                            "end": HOUR_END.isoformat()}
    )  # fmt: skip
    assert raw["symbol"] == "AAPL"
    assert [t["i"] for t in raw["trades"]] == [t.id for t in aapl][: len(raw["trades"])]
    limited = await _call(
        client.get_stock_trades,
        StockTradesRequest(symbol_or_symbols="SPY", start=HOUR_START, limit=25),
    )
    assert len(limited.data["SPY"]) == 25
    assert [t.id for t in limited.data["SPY"]] == [t.id for t in spy[:25]]


async def test_stock_quotes_follow_pages_and_bracket_the_trades(base_url: str) -> None:
    client = _stock(base_url)
    start, end = HOUR_START, HOUR_START + timedelta(minutes=15)
    one_us = timedelta(microseconds=1)  # each trade's quote is 1 us before it
    quotes = await _call(
        client.get_stock_quotes,
        StockQuotesRequest(symbol_or_symbols="SPY", start=start - one_us, end=end - one_us),
    )
    trades = await _call(
        client.get_stock_trades,
        StockTradesRequest(symbol_or_symbols="SPY", start=start, end=end, feed="sip"),
    )
    assert len(quotes.data["SPY"]) > 10_000
    assert len(quotes.data["SPY"]) == len(trades.data["SPY"])
    for quote, trade in zip(quotes.data["SPY"], trades.data["SPY"], strict=True):
        assert quote.bid_price < trade.price < quote.ask_price
        assert quote.timestamp < trade.timestamp


async def test_crypto_trades_and_quotes_follow_pages_without_keys(base_url: str) -> None:
    client = _crypto(base_url)  # no keys: Alpaca serves crypto data to anyone
    start = datetime(2026, 3, 2, tzinfo=UTC)
    request = CryptoTradesRequest(
        symbol_or_symbols=PAIRS, start=start, end=start + timedelta(hours=10)
    )
    trades = await _call(client.get_crypto_trades, request)
    assert sum(len(v) for v in trades.data.values()) > 10_000
    for items in trades.data.values():
        assert len({t.id for t in items}) == len(items)
        assert any(t.size != int(t.size) for t in items)  # fractional coins
    quotes = await _call(
        client.get_crypto_quotes,
        CryptoQuoteRequest(symbol_or_symbols="BTC/USD", start=start, limit=50),
    )
    assert len(quotes.data["BTC/USD"]) == 50
    book = await _call(
        client.get_crypto_latest_orderbook,
        CryptoLatestOrderbookRequest(symbol_or_symbols="BTC/USD"),
    )
    latest = await _call(
        client.get_crypto_latest_quote, CryptoLatestQuoteRequest(symbol_or_symbols="BTC/USD")
    )
    assert book["BTC/USD"].bids[0].price == latest["BTC/USD"].bid_price
    assert book["BTC/USD"].timestamp == latest["BTC/USD"].timestamp


async def test_crypto_client_with_wrong_keys_is_refused(base_url: str) -> None:
    client = _crypto(base_url, KEY, "wrong")
    with pytest.raises(APIError) as caught:
        await _call(
            client.get_crypto_trades, CryptoTradesRequest(symbol_or_symbols="BTC/USD", limit=5)
        )
    assert caught.value.status_code == 403
    assert caught.value.code == 40310000
    keyed = _crypto(base_url, KEY, SECRET)
    trades = await _call(
        keyed.get_crypto_trades, CryptoTradesRequest(symbol_or_symbols="BTC/USD", limit=5)
    )
    assert len(trades.data["BTC/USD"]) == 5


async def test_news_follows_pages_of_fifty_to_the_end(base_url: str) -> None:
    client = _news(base_url)
    week = NewsRequest(start=datetime(2026, 2, 23), end=datetime(2026, 3, 1, 23, 59, 59))
    news = await _call(client.get_news, week)
    articles = news.data["news"]
    assert len(articles) == 5 * 36 + 2 * 12  # five pages of 50
    assert len({a.id for a in articles}) == len(articles)
    assert [a.updated_at for a in articles] == sorted(
        (a.updated_at for a in articles), reverse=True
    )
    with_text = await _call(
        client.get_news,
        NewsRequest(symbols="AAPL", start=datetime(2026, 1, 1), include_content=True,
                    exclude_contentless=True, limit=5),
    )  # fmt: skip
    assert len(with_text.data["news"]) == 5
    assert all(a.content.startswith("<p>") for a in with_text.data["news"])


async def test_bad_requests_reach_the_sdk_as_api_errors(base_url: str) -> None:
    client = _stock(base_url)
    with pytest.raises(APIError) as caught:
        await _call(client.get_stock_trades, StockTradesRequest(symbol_or_symbols="AA$PL"))
    assert caught.value.status_code == 400
    assert caught.value.code == 40010000
    with pytest.raises(APIError) as late:
        await _call(
            client.get_stock_quotes,
            StockQuotesRequest(symbol_or_symbols="AAPL", start=HOUR_END, end=HOUR_START),
        )
    assert late.value.status_code == 422
