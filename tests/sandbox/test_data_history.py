"""Historical trades and quotes, crypto order books, news, auctions and the code tables over
HTTP: Alpaca's shapes (checked against market-data-api.json), its paging and errors, crypto
without keys, and agreement with the bars and latest quotes the sandbox already serves."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from portfolio_rt.sandbox import history_data_api
from portfolio_rt.sandbox.data_params import parse_time
from portfolio_rt.sandbox.news import NewsFeed, decode_news_token
from portfolio_rt.sandbox.ticks import Tape
from tests.sandbox.market_world import (
    IN_SESSION,
    KEY,
    SECRET,
    WEEKEND,
    MarketWorld,
    build_world,
    data_app,
)
from tests.sandbox.openapi_check import validate_response

DATA = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}
WRONG = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": "wrong"}
MD = "market-data-api"
# A complete hour of a session before the frozen clock (2026-03-04 15:00 UTC).
HOUR = {"start": "2026-03-03T15:00:00Z", "end": "2026-03-03T15:59:59.999999Z"}


def history_app(world: MarketWorld) -> web.Application:
    """The data routes and these routes behind the real middlewares."""
    app = data_app(world)
    history_data_api.setup(app)
    return app


@pytest.fixture(scope="module")
def world() -> MarketWorld:
    return build_world(IN_SESSION)


@pytest.fixture
async def client(world: MarketWorld) -> AsyncIterator[TestClient]:
    world.faults.clear()
    async with TestClient(TestServer(history_app(world))) as test_client:
        yield test_client


async def _get(
    client: TestClient, path: str, headers: dict[str, str] | None = None, **params: str
) -> Any:
    response = await client.get(path, params=params, headers=DATA if headers is None else headers)
    assert response.status == 200, await response.text()
    return await response.json()


async def _all_pages(
    client: TestClient, path: str, key: str, **params: str
) -> tuple[dict[str, list[Any]], int]:
    """Every page of a multi-symbol route, each validated against the document."""
    template = path.replace("/us/", "/{loc}/")
    out: dict[str, list[Any]] = {}
    pages = 0
    token: str | None = None
    while True:
        query = dict(params) | ({"page_token": token} if token else {})
        body = await _get(client, path, **query)
        validate_response(MD, "GET", template, 200, body)
        pages += 1
        for symbol, items in body[key].items():
            out.setdefault(symbol, []).extend(items)
        token = body["next_page_token"]
        if token is None:
            return out, pages
        assert pages < 200


def _t(item: dict[str, Any]) -> datetime:
    return parse_time(item["t"], "t")


def _minute(item: dict[str, Any]) -> datetime:
    return _t(item).replace(second=0, microsecond=0)


# --------------------------------------------------------------------------- stock trades


async def test_stock_trades_and_quotes_validate(client: TestClient) -> None:
    for what in ("trades", "quotes"):
        multi = await _get(client, f"/v2/stocks/{what}", symbols="AAPL,MSFT", limit="5", **HOUR)
        validate_response(MD, "GET", f"/v2/stocks/{what}", 200, multi)
        assert list(multi[what]) == ["AAPL"]  # sorted by symbol first
        assert len(multi[what]["AAPL"]) == 5
        assert multi["next_page_token"]
        single = await _get(client, f"/v2/stocks/AAPL/{what}", limit="5", **HOUR)
        validate_response(MD, "GET", f"/v2/stocks/{{symbol}}/{what}", 200, single)
        assert single["symbol"] == "AAPL"
        assert single[what] == multi[what]["AAPL"]


async def test_trades_page_to_the_end_without_repeats_or_gaps(client: TestClient) -> None:
    params = {"symbols": "MSFT,AAPL,NOPE", "start": "2026-03-03T15:00:00Z",
              "end": "2026-03-03T15:09:59.999999Z"}  # fmt: skip
    whole, pages = await _all_pages(client, "/v2/stocks/trades", "trades", **params, limit="10000")
    assert pages == 1
    assert set(whole) == {"AAPL", "MSFT"}
    paged, pages = await _all_pages(client, "/v2/stocks/trades", "trades", **params, limit="777")
    total = sum(len(v) for v in whole.values())
    assert pages == -(-total // 777)
    assert paged == whole
    for trades in whole.values():
        times = [_t(t) for t in trades]
        assert times == sorted(set(times))  # distinct, in order
        assert len({t["i"] for t in trades}) == len(trades)
    backwards, _ = await _all_pages(
        client, "/v2/stocks/trades", "trades", **params, limit="1000", sort="desc"
    )
    assert backwards == {k: list(reversed(v)) for k, v in whole.items()}


async def test_quotes_page_like_trades(client: TestClient) -> None:
    params = {"symbols": "SPY", "start": "2026-03-03T15:00:00Z", "end": "2026-03-03T15:02:00Z"}
    whole, _ = await _all_pages(client, "/v2/stocks/quotes", "quotes", **params)
    paged, pages = await _all_pages(client, "/v2/stocks/quotes", "quotes", **params, limit="313")
    assert pages > 2
    assert paged == whole


async def test_a_minutes_trades_agree_with_its_bar(client: TestClient, world: MarketWorld) -> None:
    for symbol in ("AAPL", "SPY", "PLUG"):
        ten_minutes = {"start": "2026-03-03T14:30:00Z", "end": "2026-03-03T14:39:59.999999Z"}
        body = await _get(client, f"/v2/stocks/{symbol}/trades", limit="10000", **ten_minutes)
        trades = body["trades"]
        bars = world.market.minute_bars(
            symbol,
            datetime(2026, 3, 3, 14, 30, tzinfo=UTC),
            datetime(2026, 3, 3, 14, 39, tzinfo=UTC),
        )
        assert len(bars) == 10
        for bar in bars:
            minute = [t for t in trades if _minute(t) == bar.t]
            prices = [Decimal(str(t["p"])) for t in minute]
            assert len(minute) == bar.n
            assert sum(t["s"] for t in minute) == bar.v
            assert all(bar.l <= p <= bar.h for p in prices)
            assert prices[0] == bar.o
            assert prices[-1] == bar.c
            assert (min(prices), max(prices)) == (bar.l, bar.h)
            assert _t(minute[0]) == bar.t
            assert _t(minute[-1]) < bar.t + timedelta(minutes=1)


async def test_each_trade_follows_a_quote_around_its_price(client: TestClient) -> None:
    trades = (await _get(client, "/v2/stocks/MSFT/trades", limit="2000", **HOUR))["trades"]
    early = HOUR | {"start": "2026-03-03T14:59:59.999999Z"}  # the first trade's quote
    quotes = (await _get(client, "/v2/stocks/MSFT/quotes", limit="2000", **early))["quotes"]
    assert len(trades) == len(quotes) == 2000
    for trade, quote in zip(trades, quotes, strict=True):
        assert quote["bp"] < trade["p"] < quote["ap"]
        assert _t(trade) - _t(quote) == timedelta(microseconds=1)
        assert isinstance(quote["bs"], int)
        assert quote["c"] == ["R"]


async def test_stock_ticks_carry_nanoseconds_and_sip_codes(client: TestClient) -> None:
    body = await _get(client, "/v2/stocks/trades", symbols="AAPL", limit="500", **HOUR)
    trades = body["trades"]["AAPL"]
    assert all(len(t["t"].split(".")[1].rstrip("Z")) >= 7 for t in trades)
    assert {t["z"] for t in trades} == {"C"}  # Nasdaq-listed
    assert {"D", "Q"} <= {t["x"] for t in trades}
    odd = [t for t in trades if t["s"] < 100]
    assert odd
    assert all(t["c"] == ["@", "I"] for t in odd)
    iex = await _get(client, "/v2/stocks/trades", symbols="AAPL", limit="500", feed="iex", **HOUR)
    assert {t["x"] for t in iex["trades"]["AAPL"]} == {"V"}
    assert [t["p"] for t in iex["trades"]["AAPL"]] == [t["p"] for t in trades]


async def test_the_tape_is_deterministic_and_fixed_once_printed() -> None:
    early, later = build_world(IN_SESSION), build_world(IN_SESSION + timedelta(minutes=7))
    start, end = IN_SESSION - timedelta(minutes=5), IN_SESSION
    inst = early.market.instrument("AAPL")
    first = Tape(early.market, early.now).trades(inst, start, end, desc=False, need=100_000)
    again = Tape(early.market, early.now).trades(inst, start, end, desc=False, need=100_000)
    after = Tape(later.market, later.now).trades(inst, start, end, desc=False, need=100_000)
    assert first == again == after
    assert first[-1].t == IN_SESSION  # the minute in progress shows what is printed up to now
    quotes = Tape(later.market, later.now).quotes(
        inst, start - timedelta(microseconds=1), end, desc=False, need=100_000
    )
    assert [q.t + timedelta(microseconds=1) for q in quotes] == [t.t for t in first]


async def test_no_stock_ticks_outside_the_session_and_none_after_now(client: TestClient) -> None:
    night = await _get(client, "/v2/stocks/trades", symbols="AAPL",
                       start="2026-03-03T21:00:00.000001Z", end="2026-03-04T14:29:59Z")  # fmt: skip
    assert night == {"trades": {}, "next_page_token": None}
    today = await _get(client, "/v2/stocks/AAPL/trades", limit="3", sort="desc")
    assert _t(today["trades"][0]) == IN_SESSION
    default = await _get(client, "/v2/stocks/AAPL/quotes", limit="1")
    assert default["quotes"][0]["t"].startswith("2026-03-04T14:29:59.999999")  # before the open


async def test_a_page_of_ten_thousand_is_quick(client: TestClient) -> None:
    started = time.monotonic()
    body = await _get(client, "/v2/stocks/trades", symbols="SPY", limit="10000",
                      start="2026-03-03", sort="desc")  # fmt: skip
    assert time.monotonic() - started < 3.0
    assert len(body["trades"]["SPY"]) == 10000


@pytest.mark.parametrize(
    ("path", "params", "status"),
    [
        ("/v2/stocks/trades", {}, 400),
        ("/v2/stocks/trades", {"symbols": "AA$PL"}, 400),
        ("/v2/stocks/trades", {"symbols": "AAPL", "limit": "0"}, 400),
        ("/v2/stocks/trades", {"symbols": "AAPL", "limit": "10001"}, 400),
        ("/v2/stocks/trades", {"symbols": "AAPL", "limit": "many"}, 400),
        ("/v2/stocks/trades", {"symbols": "AAPL", "start": "yesterday"}, 400),
        ("/v2/stocks/trades", {"symbols": "AAPL", "end": "2026-13-01"}, 400),
        ("/v2/stocks/trades", {"symbols": "AAPL", "sort": "sideways"}, 400),
        ("/v2/stocks/trades", {"symbols": "AAPL", "feed": "nasdaq"}, 400),
        ("/v2/stocks/trades", {"symbols": "AAPL", "asof": "March"}, 400),
        ("/v2/stocks/trades", {"symbols": "AAPL", "currency": "EUR"}, 400),
        ("/v2/stocks/trades", {"symbols": "AAPL", "page_token": "@@@"}, 400),
        ("/v2/stocks/quotes", {"symbols": "AAPL", "start": "2026-03-03", "end": "2026-03-02"}, 422),
        ("/v2/stocks/A$/quotes", {}, 400),
        ("/v1beta3/crypto/us/trades", {"symbols": "BTC/USD", "limit": "-1"}, 400),
        ("/v1beta3/crypto/us/quotes", {}, 400),
        ("/v1beta3/crypto/mars/trades", {"symbols": "BTC/USD"}, 404),
        ("/v1beta3/crypto/us/latest/orderbooks", {}, 400),
        ("/v1beta1/news", {"limit": "51"}, 400),
        ("/v1beta1/news", {"sort": "up"}, 400),
        ("/v1beta1/news", {"include_content": "maybe"}, 400),
        ("/v1beta1/news", {"page_token": "QUFQTHwxNzcy"}, 400),
        ("/v2/stocks/auctions", {"symbols": "AAPL", "feed": "iex"}, 400),
        ("/v2/stocks/meta/conditions/trade", {}, 400),
        ("/v2/stocks/meta/conditions/trade", {"tape": "D"}, 400),
        ("/v2/stocks/meta/conditions/bar", {"tape": "A"}, 400),
    ],
)
async def test_bad_parameters_are_refused_with_alpacas_json(
    client: TestClient, path: str, params: dict[str, str], status: int
) -> None:
    response = await client.get(path, params=params, headers=DATA)
    assert response.status == status
    body = await response.json()
    assert set(body) == {"code", "message"}
    assert isinstance(body["code"], int)
    assert body["code"] // 100000 == status
    assert "X-RateLimit-Remaining" in response.headers


async def test_asof_currency_and_unknown_symbols(client: TestClient) -> None:
    plain = await _get(client, "/v2/stocks/trades", symbols="AAPL", limit="3", **HOUR)
    dressed = await _get(client, "/v2/stocks/trades", symbols="AAPL", limit="3", asof="-",
                         currency="usd", **HOUR)  # fmt: skip
    assert dressed == plain
    assert await _get(client, "/v2/stocks/trades", symbols="NOPE") == {
        "trades": {},
        "next_page_token": None,
    }
    crypto_on_stock_route = await _get(client, "/v2/stocks/quotes", symbols="BTC/USD")
    assert crypto_on_stock_route == {"quotes": {}, "next_page_token": None}
    single = await _get(client, "/v2/stocks/nope/trades")
    assert single == {"trades": [], "symbol": "NOPE", "next_page_token": None}


# ---------------------------------------------------------------------------------- crypto


async def test_crypto_trades_and_quotes_validate_and_page(client: TestClient) -> None:
    params = {"symbols": "ETH/USD,BTC/USD", "start": "2026-03-03T00:00:00Z",
              "end": "2026-03-03T00:59:59.999999Z"}  # fmt: skip
    for what in ("trades", "quotes"):
        path = f"/v1beta3/crypto/us/{what}"
        whole, _ = await _all_pages(client, path, what, **params)
        assert set(whole) == {"BTC/USD", "ETH/USD"}
        paged, pages = await _all_pages(client, path, what, **params, limit="299")
        assert pages > 4
        assert paged == whole
        sizes = {"trades": "s", "quotes": "bs"}[what]
        assert all(isinstance(item[sizes], float) for item in whole["BTC/USD"])
    trades = whole = (await _all_pages(client, "/v1beta3/crypto/us/trades", "trades", **params))[0]
    for item in trades["BTC/USD"]:
        fraction = item["t"].rstrip("Z").partition(".")[2]
        assert len(fraction) <= 6  # microseconds, as Alpaca's crypto trades
        assert item["tks"] in ("B", "S")
    assert whole["BTC/USD"][0]["t"] == "2026-03-03T00:00:00Z"


async def test_crypto_trades_agree_with_the_minute_bars(
    client: TestClient, world: MarketWorld
) -> None:
    body = await _get(client, "/v1beta3/crypto/us/trades", symbols="SOL/USD",
                      start="2026-03-04T10:00:00Z", end="2026-03-04T10:09:59.999999Z")  # fmt: skip
    trades = body["trades"]["SOL/USD"]
    bars = world.market.minute_bars(
        "SOL/USD", datetime(2026, 3, 4, 10, tzinfo=UTC), datetime(2026, 3, 4, 10, 9, tzinfo=UTC)
    )
    for bar in bars:
        minute = [t for t in trades if _minute(t) == bar.t]
        prices = [Decimal(str(t["p"])) for t in minute]
        assert 8 <= len(minute) <= 24
        assert all(bar.l <= p <= bar.h for p in prices)
        assert (prices[0], prices[-1], min(prices), max(prices)) == (bar.o, bar.c, bar.l, bar.h)
        total = sum(Decimal(str(t["s"])) for t in minute)
        assert total == bar.v


async def test_crypto_order_books_sit_under_the_latest_quote(
    client: TestClient, world: MarketWorld
) -> None:
    body = await _get(client, "/v1beta3/crypto/us/latest/orderbooks",
                      symbols="BTC/USD,ETH/USD,NOPE/USD,AAPL")  # fmt: skip
    validate_response(MD, "GET", "/v1beta3/crypto/{loc}/latest/orderbooks", 200, body)
    assert set(body["orderbooks"]) == {"BTC/USD", "ETH/USD"}
    quotes = await _get(client, "/v1beta3/crypto/us/latest/quotes", symbols="BTC/USD")
    quote = quotes["quotes"]["BTC/USD"]
    book = body["orderbooks"]["BTC/USD"]
    assert book["t"] == quote["t"]
    assert (book["b"][0]["p"], book["b"][0]["s"]) == (quote["bp"], quote["bs"])
    assert (book["a"][0]["p"], book["a"][0]["s"]) == (quote["ap"], quote["as"])
    bids, asks = [lv["p"] for lv in book["b"]], [lv["p"] for lv in book["a"]]
    assert bids == sorted(bids, reverse=True)
    assert asks == sorted(asks)
    assert bids[0] < asks[0]
    assert len(bids) == len(asks) == 20
    assert all(isinstance(lv["s"], float) and lv["s"] > 0 for lv in book["b"] + book["a"])
    again = await _get(client, "/v1beta3/crypto/us/latest/orderbooks", symbols="BTC/USD")
    assert again["orderbooks"]["BTC/USD"] == book


async def test_crypto_market_data_needs_no_keys_but_refuses_wrong_ones(client: TestClient) -> None:
    for path, params in (
        ("/v1beta3/crypto/us/trades", {"symbols": "BTC/USD", "limit": "2"}),
        ("/v1beta3/crypto/us/quotes", {"symbols": "BTC/USD", "limit": "2"}),
        ("/v1beta3/crypto/us/latest/orderbooks", {"symbols": "BTC/USD"}),
        ("/v1beta3/crypto/us/bars", {"symbols": "BTC/USD", "timeframe": "1Day"}),
        ("/v1beta3/crypto/us/latest/trades", {"symbols": "BTC/USD"}),
        ("/v1beta3/crypto/us/snapshots", {"symbols": "BTC/USD"}),
    ):
        keyless = await client.get(path, params=params)
        assert keyless.status == 200, path
        assert await keyless.json() == await _get(client, path, **params)
        wrong = await client.get(path, params=params, headers=WRONG)
        assert wrong.status == 403
        assert await wrong.json() == {"code": 40310000, "message": "forbidden"}
        half = await client.get(path, params=params, headers={"APCA-API-KEY-ID": KEY})
        assert half.status == 401
    for path in ("/v2/stocks/trades", "/v1beta1/news"):
        refused = await client.get(path, params={"symbols": "AAPL"})
        assert refused.status == 401
        assert (await refused.json())["code"] == 40110000


# ------------------------------------------------------------------------------------ news


async def test_news_validates_and_defaults_to_todays_ten_newest(
    client: TestClient, world: MarketWorld
) -> None:
    body = await _get(client, "/v1beta1/news")
    articles = body["news"]
    # Without include_content Alpaca sends "content": "" (alpaca-py's
    # tests/data/test_historical_news_data.py), which the document's `minLength: 1` refuses:
    # the rest of the answer is checked as it is, and the full text below.
    assert all(a["content"] == "" for a in articles)
    filled = [a | {"content": "<p>(left out)</p>"} for a in articles]
    validate_response(MD, "GET", "/v1beta1/news", 200, body | {"news": filled})
    full = await _get(client, "/v1beta1/news", include_content="true", exclude_contentless="true")
    validate_response(MD, "GET", "/v1beta1/news", 200, full)
    assert len(articles) == 10
    assert body["next_page_token"] is not None
    updated = [a["updated_at"] for a in articles]
    assert updated == sorted(updated, reverse=True)
    assert all(
        "2026-03-04T05:00:00Z" <= a["created_at"] <= "2026-03-04T15:00:00Z" for a in articles
    )
    article = articles[0]
    assert set(article) == {"id", "headline", "author", "created_at", "updated_at", "summary",
                            "content", "url", "images", "symbols", "source"}  # fmt: skip
    assert "." not in article["created_at"]  # whole seconds, as Alpaca's
    at, article_id = decode_news_token(body["next_page_token"])
    assert article_id == articles[-1]["id"]
    assert at == parse_time(articles[-1]["updated_at"], "t")


async def test_news_pages_to_the_end_in_both_orders(client: TestClient) -> None:
    week = {"start": "2026-02-23", "end": "2026-03-01"}
    one = await _get(client, "/v1beta1/news", limit="50", **week)
    seen: list[dict[str, Any]] = []
    token = None
    while True:
        extra = {"page_token": token} if token else {}
        page = await _get(client, "/v1beta1/news", limit="7", sort="asc", **week, **extra)
        seen.extend(page["news"])
        token = page["next_page_token"]
        if token is None:
            break
    assert len(seen) == 5 * 36 + 2 * 12
    assert len({a["id"] for a in seen}) == len(seen)
    assert [a["id"] for a in seen] == sorted(a["id"] for a in seen)
    assert one["news"] == list(reversed(seen))[:50]


async def test_news_filters_by_symbol_and_content(client: TestClient) -> None:
    month = {"start": "2026-02-01", "end": "2026-02-28", "limit": "50"}
    apple = await _get(client, "/v1beta1/news", symbols="AAPL", **month)
    assert apple["news"]
    assert all("AAPL" in a["symbols"] for a in apple["news"])
    slash = await _get(client, "/v1beta1/news", symbols="BTC/USD", **month)
    plain = await _get(client, "/v1beta1/news", symbols="btcusd", **month)
    assert slash == plain
    assert slash["news"]
    assert all("BTCUSD" in a["symbols"] for a in slash["news"])
    full = await _get(client, "/v1beta1/news", include_content="True", **month)
    assert any(a["content"].startswith("<p>") for a in full["news"])
    assert any(a["content"] == "" for a in full["news"])
    only = await _get(client, "/v1beta1/news", include_content="true",
                      exclude_contentless="true", **month)  # fmt: skip
    assert all(a["content"].startswith("<p>") for a in only["news"])
    assert await _get(client, "/v1beta1/news", symbols="NOPE", **month) == {
        "news": [],
        "next_page_token": None,
    }


async def test_news_words_come_from_the_market(world: MarketWorld) -> None:
    feed = NewsFeed(world.market)
    day = feed.day(date(2026, 3, 2))
    assert len(day) == 36
    assert day == NewsFeed(world.market).day(date(2026, 3, 2))  # deterministic
    moves = [a for a in day if a.kind == "move"]
    assert moves
    article = NewsFeed.render(world.market, moves[0], include_content=True)
    symbol = moves[0].symbols[0]
    price = world.market.price_at(symbol, moves[0].created_at)
    assert f"${price:,}" in article["summary"]
    weekend = feed.day(date(2026, 3, 7))
    assert len(weekend) == 12


# -------------------------------------------------------------------------------- auctions


async def test_auctions_validate_and_agree_with_daily_bars(
    client: TestClient, world: MarketWorld
) -> None:
    body = await _get(client, "/v2/stocks/auctions", symbols="AAPL,SPY",
                      start="2026-02-23", end="2026-03-04")  # fmt: skip
    validate_response(MD, "GET", "/v2/stocks/auctions", 200, body)
    assert set(body["auctions"]) == {"AAPL", "SPY"}
    days = body["auctions"]["AAPL"]
    bars = world.market.daily_bars("AAPL", date(2026, 2, 23), date(2026, 3, 4))
    assert [d["d"] for d in days] == [b.t.astimezone(UTC).date().isoformat() for b in bars]
    for day, bar in zip(days[:-1], bars[:-1], strict=True):
        assert [o["c"] for o in day["o"]] == ["O", "Q"]
        assert [c["c"] for c in day["c"]] == ["6", "M"]
        assert {o["p"] for o in day["o"]} == {float(bar.o)}
        assert {c["p"] for c in day["c"]} == {float(bar.c)}
        assert {o["x"] for o in day["o"] + day["c"]} == {"Q"}  # Nasdaq-listed
    assert days[-1]["c"] == []  # today's session has not closed
    assert {o["x"] for o in body["auctions"]["SPY"][0]["o"]} == {"P"}  # NYSE Arca
    single = await _get(client, "/v2/stocks/AAPL/auctions", start="2026-02-23", end="2026-03-04")
    validate_response(MD, "GET", "/v2/stocks/{symbol}/auctions", 200, single)
    assert single["auctions"] == days


async def test_auction_pages_cover_every_session_once(client: TestClient) -> None:
    params = {"symbols": "AAPL,MSFT", "start": "2026-01-05", "end": "2026-02-27"}
    whole, _ = await _all_pages(client, "/v2/stocks/auctions", "auctions", **params)
    paged, pages = await _all_pages(client, "/v2/stocks/auctions", "auctions", **params,
                                    limit="3")  # fmt: skip
    assert paged == whole
    assert pages == -(-sum(len(v) for v in whole.values()) // 3)
    backwards, _ = await _all_pages(client, "/v2/stocks/auctions", "auctions", **params,
                                    limit="4", sort="desc")  # fmt: skip
    assert backwards == {k: list(reversed(v)) for k, v in whole.items()}


async def test_the_first_trade_is_the_opening_auction(client: TestClient) -> None:
    auctions = await _get(client, "/v2/stocks/MSFT/auctions", start="2026-03-03", end="2026-03-03")
    trades = await _get(client, "/v2/stocks/MSFT/trades", limit="1", start="2026-03-03")
    assert trades["trades"][0]["p"] == auctions["auctions"][0]["o"][0]["p"]


# ----------------------------------------------------------------------------- code tables


async def test_code_tables_name_every_code_the_ticks_carry(client: TestClient) -> None:
    exchanges = await _get(client, "/v2/stocks/meta/exchanges")
    validate_response(MD, "GET", "/v2/stocks/meta/exchanges", 200, exchanges)
    assert exchanges["V"] == "IEX"
    trades = await _get(client, "/v2/stocks/trades", symbols="AAPL,IBM,SPY", limit="3000", **HOUR)
    quotes = await _get(client, "/v2/stocks/quotes", symbols="AAPL,IBM,SPY", limit="3000", **HOUR)
    for symbol, items in trades["trades"].items():
        tape = items[0]["z"]
        table = await _get(client, "/v2/stocks/meta/conditions/trade", tape=tape)
        validate_response(MD, "GET", "/v2/stocks/meta/conditions/{ticktype}", 200, table)
        assert {c for t in items for c in t["c"]} <= set(table), symbol
        assert {t["x"] for t in items} <= set(exchanges)
    for items in quotes["quotes"].values():
        table = await _get(client, "/v2/stocks/meta/conditions/quote", tape=items[0]["z"])
        assert {c for q in items for c in q["c"]} <= set(table)
        assert {q["bx"] for q in items} | {q["ax"] for q in items} <= set(exchanges)
    for tape in ("A", "B", "C"):
        table = await _get(client, "/v2/stocks/meta/conditions/trade", tape=tape)
        assert {"@", "I", "O", "Q", "6", "M"} <= set(table)  # what trades and auctions carry


# ---------------------------------------------------------------------------------- weekend


async def test_on_a_weekend_stocks_have_fridays_tape_and_crypto_trades_on() -> None:
    world = build_world(WEEKEND)
    async with TestClient(TestServer(history_app(world))) as client:
        stock = await _get(client, "/v2/stocks/AAPL/trades", limit="1", sort="desc",
                           start="2026-03-06")  # fmt: skip
        assert stock["trades"][0]["t"].startswith("2026-03-06T20:59:59.999999")
        crypto = await _get(client, "/v1beta3/crypto/us/trades", symbols="BTC/USD", limit="1",
                            sort="desc")  # fmt: skip
        assert _t(crypto["trades"]["BTC/USD"][0]) == WEEKEND
