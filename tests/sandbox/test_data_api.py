"""Market-data REST and the Broker host's assets/clock/calendar, over HTTP, checked against
Alpaca's OpenAPI documents and against the market they are built from."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from portfolio_rt.sandbox.bars import AggBar, aggregate, bucket_function
from portfolio_rt.sandbox.data_params import TimeFrame, parse_time
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

if TYPE_CHECKING:
    from portfolio_rt.sandbox.app import RunningSandbox

DATA = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}
BROKER = aiohttp.BasicAuth(KEY, SECRET)
MD = "market-data-api"


@pytest.fixture(scope="module")
def world() -> MarketWorld:
    return build_world(IN_SESSION)


@pytest.fixture(scope="module")
def weekend_world() -> MarketWorld:
    return build_world(WEEKEND)


@pytest.fixture
async def client(world: MarketWorld) -> AsyncIterator[TestClient]:
    world.faults.clear()
    async with TestClient(TestServer(data_app(world))) as test_client:
        yield test_client


@pytest.fixture
async def weekend_client(weekend_world: MarketWorld) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(data_app(weekend_world))) as test_client:
        yield test_client


async def _data(client: TestClient, path: str, **params: str) -> Any:
    response = await client.get(path, params=params, headers=DATA)
    assert response.status == 200, await response.text()
    assert "X-RateLimit-Limit" in response.headers
    return await response.json()


async def _broker(client: TestClient, path: str, **params: str) -> Any:
    response = await client.get(path, params=params, auth=BROKER)
    assert response.status == 200, await response.text()
    return await response.json()


async def _all_pages(client: TestClient, **params: str) -> tuple[dict[str, list[Any]], int]:
    bars: dict[str, list[Any]] = {}
    pages = 0
    token: str | None = None
    while True:
        query = dict(params) | ({"page_token": token} if token else {})
        body = await _data(client, "/v2/stocks/bars", **query)
        validate_response(MD, "GET", "/v2/stocks/bars", 200, body)
        pages += 1
        for symbol, items in body["bars"].items():
            bars.setdefault(symbol, []).extend(items)
        token = body["next_page_token"]
        if token is None:
            return bars, pages
        assert pages < 50


# ------------------------------------------------------------------------------------ bars


async def test_daily_bars_match_the_market_and_validate(
    client: TestClient, world: MarketWorld
) -> None:
    body = await _data(
        client, "/v2/stocks/bars", symbols="AAPL,MSFT", timeframe="1Day", start="2026-02-02",
        end="2026-02-27", feed="iex", adjustment="all",
    )  # fmt: skip
    validate_response(MD, "GET", "/v2/stocks/bars", 200, body)
    assert body["next_page_token"] is None
    expected = world.market.daily_bars(
        "AAPL", datetime(2026, 2, 2).date(), datetime(2026, 2, 27).date()
    )
    got = body["bars"]["AAPL"]
    assert [b["t"] for b in got] == [b.t.strftime("%Y-%m-%dT%H:%M:%SZ") for b in expected]
    assert [b["c"] for b in got] == [float(b.c) for b in expected]
    assert got[0]["t"] == "2026-02-02T05:00:00Z"  # midnight New York
    assert len(body["bars"]["MSFT"]) == len(got) == 19  # Presidents' Day is a holiday


async def test_limit_counts_across_symbols_and_pages_cover_everything_once(
    client: TestClient,
) -> None:
    params = {"symbols": "MSFT,AAPL,NOPE", "timeframe": "1Day", "start": "2025-06-02",
              "end": "2026-02-27"}  # fmt: skip
    whole, pages = await _all_pages(client, **params, limit="10000")
    assert pages == 1
    assert set(whole) == {"AAPL", "MSFT"}
    first = await _data(client, "/v2/stocks/bars", **params, limit="7")
    assert sum(len(v) for v in first["bars"].values()) == 7
    assert first["next_page_token"]
    paged, pages = await _all_pages(client, **params, limit="50")
    assert pages == -(-sum(len(v) for v in whole.values()) // 50)
    assert paged == whole


async def test_page_boundary_between_symbols(client: TestClient) -> None:
    params = {"symbols": "AAPL,MSFT", "timeframe": "1Day", "start": "2026-02-23",
              "end": "2026-02-27"}  # fmt: skip
    page = await _data(client, "/v2/stocks/bars", **params, limit="5")
    assert list(page["bars"]) == ["AAPL"]
    assert page["next_page_token"] is not None
    rest = await _data(client, "/v2/stocks/bars", **params, limit="5",
                       page_token=page["next_page_token"])  # fmt: skip
    assert list(rest["bars"]) == ["MSFT"]
    assert len(rest["bars"]["MSFT"]) == 5
    assert rest["next_page_token"] is None


async def test_sort_desc_reverses_time_and_paginates(client: TestClient) -> None:
    params = {"symbols": "AAPL", "timeframe": "1Hour", "start": "2026-02-23", "end": "2026-03-03"}
    asc, _ = await _all_pages(client, **params)
    desc, pages = await _all_pages(client, **params, sort="desc", limit="9")
    assert pages > 2
    assert desc["AAPL"] == list(reversed(asc["AAPL"]))


async def test_a_page_of_a_years_long_minute_range_is_quick(client: TestClient) -> None:
    started = time.monotonic()
    body = await _data(client, "/v2/stocks/bars", symbols="AAPL,BTC/USD", timeframe="1Min",
                       start="2000-01-01", limit="500", sort="desc")  # fmt: skip
    assert time.monotonic() - started < 2.0
    assert len(body["bars"]["AAPL"]) == 500
    assert body["bars"]["AAPL"][0]["t"] == "2026-03-04T15:00:00Z"
    assert body["next_page_token"]
    crypto = await _data(client, "/v1beta3/crypto/us/bars", symbols="BTC/USD", timeframe="1Min",
                         start="2000-01-01", limit="3")  # fmt: skip
    first = crypto["bars"]["BTC/USD"]
    assert first[0]["t"] == "2023-01-03T00:00:00Z"  # the start of the sandbox's history


async def test_intraday_bars_stop_at_now_and_stay_in_session(client: TestClient) -> None:
    body = await _data(client, "/v2/stocks/bars", symbols="AAPL", timeframe="1Min",
                       start="2026-03-04T00:00:00Z")  # fmt: skip
    times = [parse_time(b["t"], "t") for b in body["bars"]["AAPL"]]
    assert times[0] == datetime(2026, 3, 4, 14, 30, tzinfo=UTC)
    assert times[-1] <= IN_SESSION
    assert len(times) == 31  # 14:30 .. 15:00, the last one just begun


@pytest.mark.parametrize(("alias", "full"), [("1D", "1Day"), ("5T", "5Min"), ("1H", "1Hour"),
                                             ("1W", "1Week"), ("3M", "3Month")])  # fmt: skip
async def test_timeframe_aliases_equal_their_long_names(
    client: TestClient, alias: str, full: str
) -> None:
    params = {"symbols": "AAPL", "start": "2025-06-01T00:00:00Z", "end": "2026-03-04T14:59:00Z"}
    if full in ("5Min", "1Hour"):
        params["start"] = "2026-03-02T00:00:00Z"
    short = await _data(client, "/v2/stocks/bars", **params, timeframe=alias)
    long = await _data(client, "/v2/stocks/bars", **params, timeframe=full)
    assert short == long
    assert short["bars"]["AAPL"]


async def test_five_minute_bars_aggregate_the_minute_bars(client: TestClient) -> None:
    params = {"symbols": "MSFT", "start": "2026-03-03T14:30:00Z", "end": "2026-03-03T14:59:59Z"}
    minutes = (await _data(client, "/v2/stocks/bars", **params, timeframe="1Min"))["bars"]["MSFT"]
    fives = (await _data(client, "/v2/stocks/bars", **params, timeframe="5Min"))["bars"]["MSFT"]
    assert len(minutes) == 30
    assert len(fives) == 6
    first = minutes[:5]
    assert fives[0]["t"] == "2026-03-03T14:30:00Z"
    assert fives[0]["o"] == first[0]["o"]
    assert fives[0]["c"] == first[-1]["c"]
    assert fives[0]["h"] == max(b["h"] for b in first)
    assert fives[0]["l"] == min(b["l"] for b in first)
    assert fives[0]["v"] == sum(b["v"] for b in first)
    assert fives[0]["n"] == sum(b["n"] for b in first)


async def test_weekly_and_monthly_bars_start_at_new_york_midnight(client: TestClient) -> None:
    weeks = await _data(client, "/v2/stocks/bars", symbols="SPY", timeframe="1Week",
                        start="2026-02-02", end="2026-02-27")  # fmt: skip
    labels = [b["t"] for b in weeks["bars"]["SPY"]]
    assert labels == ["2026-02-02T05:00:00Z", "2026-02-09T05:00:00Z", "2026-02-16T05:00:00Z",
                      "2026-02-23T05:00:00Z"]  # fmt: skip
    months = await _data(client, "/v2/stocks/bars", symbols="SPY", timeframe="1Month",
                         start="2025-11-01", end="2026-02-27")  # fmt: skip
    assert [b["t"] for b in months["bars"]["SPY"]] == [
        "2025-11-01T04:00:00Z", "2025-12-01T05:00:00Z", "2026-01-01T05:00:00Z",
        "2026-02-01T05:00:00Z",
    ]  # fmt: skip


async def test_weekly_pages_around_monday_holidays_match_one_page(client: TestClient) -> None:
    params = {"symbols": "AAPL,SPY", "timeframe": "1Week", "start": "2026-01-07",
              "end": "2026-03-01"}  # fmt: skip
    whole, _ = await _all_pages(client, **params)
    # The first week starts before `start` (a Wednesday) and keeps only its days in range.
    assert whole["AAPL"][0]["t"] == "2026-01-05T05:00:00Z"
    assert "2026-01-19T05:00:00Z" in [b["t"] for b in whole["AAPL"]]  # MLK Day week
    one_by_one, pages = await _all_pages(client, **params, limit="1")
    assert one_by_one == whole
    assert pages == len(whole["AAPL"]) + len(whole["SPY"])
    backwards, _ = await _all_pages(client, **params, limit="2", sort="desc")
    assert backwards == {k: list(reversed(v)) for k, v in whole.items()}


async def test_start_and_end_accept_rfc3339_offsets_and_nanoseconds(client: TestClient) -> None:
    a = await _data(client, "/v2/stocks/bars", symbols="AAPL", timeframe="1Min",
                    start="2026-03-03T09:30:00-05:00",
                    end="2026-03-03T09:34:00.000000000-05:00")  # fmt: skip
    b = await _data(client, "/v2/stocks/bars", symbols="AAPL", timeframe="1Min",
                    start="2026-03-03T14:30:00+00:00", end="2026-03-03T14:34:00Z")  # fmt: skip
    assert a == b
    assert len(a["bars"]["AAPL"]) == 5


async def test_unknown_symbols_give_empty_maps_not_null(client: TestClient) -> None:
    body = await _data(client, "/v2/stocks/bars", symbols="NOPE", timeframe="1Day",
                       start="2026-01-05")  # fmt: skip
    assert body == {"bars": {}, "next_page_token": None}
    for path, key in (("/v2/stocks/bars/latest", "bars"), ("/v2/stocks/trades/latest", "trades"),
                      ("/v2/stocks/quotes/latest", "quotes")):  # fmt: skip
        assert await _data(client, path, symbols="NOPE") == {key: {}}
    assert await _data(client, "/v2/stocks/snapshots", symbols="NOPE") == {}
    crypto_on_stock_route = await _data(client, "/v2/stocks/trades/latest", symbols="BTC/USD")
    assert crypto_on_stock_route == {"trades": {}}


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"timeframe": "1Day"}, 400),
        ({"symbols": "AAPL"}, 400),
        ({"symbols": "AAPL", "timeframe": "0Min"}, 400),
        ({"symbols": "AAPL", "timeframe": "60Min"}, 400),
        ({"symbols": "AAPL", "timeframe": "2Day"}, 400),
        ({"symbols": "AAPL", "timeframe": "5Month"}, 400),
        ({"symbols": "AAPL", "timeframe": "1Fortnight"}, 400),
        ({"symbols": "AAPL", "timeframe": "1Day", "limit": "0"}, 400),
        ({"symbols": "AAPL", "timeframe": "1Day", "limit": "10001"}, 400),
        ({"symbols": "AAPL", "timeframe": "1Day", "limit": "many"}, 400),
        ({"symbols": "AAPL", "timeframe": "1Day", "sort": "sideways"}, 400),
        ({"symbols": "AAPL", "timeframe": "1Day", "feed": "nasdaq"}, 400),
        ({"symbols": "AAPL", "timeframe": "1Day", "adjustment": "magic"}, 400),
        ({"symbols": "AAPL", "timeframe": "1Day", "start": "yesterday"}, 400),
        ({"symbols": "AAPL", "timeframe": "1Day", "page_token": "@@@"}, 400),
        ({"symbols": "AAPL,A$PL", "timeframe": "1Day"}, 400),
        ({"symbols": "AAPL", "timeframe": "1Day", "currency": "EUR"}, 400),
        ({"symbols": "AAPL", "timeframe": "1Day", "asof": "yesterday"}, 400),
        ({"symbols": "AAPL", "timeframe": "1Day", "start": "2026-02-02", "end": "2026-01-02"}, 422),
    ],
)
async def test_bad_bar_parameters_are_refused_with_json(
    client: TestClient, params: dict[str, str], status: int
) -> None:
    response = await client.get("/v2/stocks/bars", params=params, headers=DATA)
    assert response.status == status
    body = await response.json()
    assert isinstance(body["message"], str)
    assert isinstance(body["code"], int)
    assert "X-RateLimit-Remaining" in response.headers


async def test_adjustment_combinations_and_feeds_are_accepted(client: TestClient) -> None:
    for feed in ("iex", "sip", "delayed_sip", "otc", "boats"):
        await _data(client, "/v2/stocks/bars", symbols="AAPL", timeframe="1Day",
                    start="2026-03-02", feed=feed, adjustment="split,dividend")  # fmt: skip
    plain = await _data(client, "/v2/stocks/bars", symbols="AAPL", timeframe="1Day",
                        start="2026-03-02")  # fmt: skip
    dressed = await _data(client, "/v2/stocks/bars", symbols="AAPL", timeframe="1Day",
                          start="2026-03-02", asof="2026-03-04", currency="USD")  # fmt: skip
    assert dressed == plain


# ------------------------------------------------------------------------ latest, snapshots


async def test_latest_values_validate_and_agree_with_the_ticker(
    client: TestClient, world: MarketWorld
) -> None:
    for path, key, schema_path in (
        ("/v2/stocks/bars/latest", "bars", "/v2/stocks/bars/latest"),
        ("/v2/stocks/trades/latest", "trades", "/v2/stocks/trades/latest"),
        ("/v2/stocks/quotes/latest", "quotes", "/v2/stocks/quotes/latest"),
    ):
        body = await _data(client, path, symbols="AAPL,SPY", feed="iex")
        validate_response(MD, "GET", schema_path, 200, body)
        assert set(body[key]) == {"AAPL", "SPY"}
    trade = world.ticker.latest_trade("AAPL")
    assert trade is not None
    body = await _data(client, "/v2/stocks/trades/latest", symbols="AAPL")
    assert body["trades"]["AAPL"]["p"] == float(trade.price)
    quotes = await _data(client, "/v2/stocks/quotes/latest", symbols="AAPL")
    quote = quotes["quotes"]["AAPL"]
    assert quote["bp"] < quote["ap"]
    assert isinstance(quote["bs"], int)


async def test_latest_bar_is_the_last_complete_minute(client: TestClient) -> None:
    body = await _data(client, "/v2/stocks/bars/latest", symbols="AAPL")
    assert body["bars"]["AAPL"]["t"] == "2026-03-04T14:59:00Z"


async def test_latest_bar_on_a_weekend_is_fridays_last_minute(weekend_client: TestClient) -> None:
    body = await _data(weekend_client, "/v2/stocks/bars/latest", symbols="AAPL")
    assert body["bars"]["AAPL"]["t"] == "2026-03-06T20:59:00Z"
    snap = await _data(weekend_client, "/v2/stocks/snapshots", symbols="AAPL")
    assert snap["AAPL"]["dailyBar"]["t"] == "2026-03-06T05:00:00Z"
    assert snap["AAPL"]["prevDailyBar"]["t"] == "2026-03-05T05:00:00Z"


async def test_stock_snapshots_are_a_top_level_map(client: TestClient, world: MarketWorld) -> None:
    body = await _data(client, "/v2/stocks/snapshots", symbols="AAPL,MSFT,NOPE")
    validate_response(MD, "GET", "/v2/stocks/snapshots", 200, body)
    assert set(body) == {"AAPL", "MSFT"}
    snap = body["AAPL"]
    assert set(snap) == {"latestTrade", "latestQuote", "minuteBar", "dailyBar", "prevDailyBar"}
    assert snap["dailyBar"]["t"] == "2026-03-04T05:00:00Z"
    assert snap["prevDailyBar"]["c"] == float(world.market.close("AAPL", date(2026, 3, 3)))
    assert snap["dailyBar"]["c"] == snap["latestTrade"]["p"]


async def test_single_symbol_variants(client: TestClient) -> None:
    bars = await _data(client, "/v2/stocks/AAPL/bars", timeframe="1Day", start="2026-02-23",
                       limit="3")  # fmt: skip
    validate_response(MD, "GET", "/v2/stocks/{symbol}/bars", 200, bars)
    assert bars["symbol"] == "AAPL"
    assert len(bars["bars"]) == 3
    assert bars["next_page_token"]
    for path, template, key in (
        ("/v2/stocks/aapl/bars/latest", "/v2/stocks/{symbol}/bars/latest", "bar"),
        ("/v2/stocks/AAPL/trades/latest", "/v2/stocks/{symbol}/trades/latest", "trade"),
        ("/v2/stocks/AAPL/quotes/latest", "/v2/stocks/{symbol}/quotes/latest", "quote"),
        ("/v2/stocks/AAPL/snapshot", "/v2/stocks/{symbol}/snapshot", "latestTrade"),
    ):
        body = await _data(client, path)
        validate_response(MD, "GET", template, 200, body)
        assert body["symbol"] == "AAPL"
        assert key in body
    missing = await client.get("/v2/stocks/NOPE/trades/latest", headers=DATA)
    assert missing.status == 404
    assert (await missing.json())["code"] == 40410000
    garbled = await client.get("/v2/stocks/AA%24PL/quotes/latest", headers=DATA)
    assert garbled.status == 400
    assert await garbled.json() == {"code": 40010000, "message": "invalid symbol: AA$PL"}


# ---------------------------------------------------------------------------------- crypto


async def test_crypto_routes_validate_and_use_pair_symbols(client: TestClient) -> None:
    bars = await _data(client, "/v1beta3/crypto/us/bars", symbols="BTC/USD,ETH/USD",
                       timeframe="1Hour", start="2026-03-03T00:00:00Z")  # fmt: skip
    validate_response(MD, "GET", "/v1beta3/crypto/{loc}/bars", 200, bars)
    assert set(bars["bars"]) == {"BTC/USD", "ETH/USD"}
    assert len(bars["bars"]["BTC/USD"]) == 24 + 16  # around the clock, up to the 15:00 bar
    for path, key in (("latest/trades", "trades"), ("latest/quotes", "quotes"),
                      ("latest/bars", "bars"), ("snapshots", "snapshots")):  # fmt: skip
        body = await _data(client, f"/v1beta3/crypto/us/{path}", symbols="BTC/USD,NOPE/USD")
        validate_response(MD, "GET", f"/v1beta3/crypto/{{loc}}/{path}", 200, body)
        assert list(body[key]) == ["BTC/USD"]
    trade = await _data(client, "/v1beta3/crypto/us/latest/trades", symbols="BTC/USD")
    assert isinstance(trade["trades"]["BTC/USD"]["s"], float)
    stock_on_crypto = await _data(client, "/v1beta3/crypto/us/latest/trades", symbols="AAPL")
    assert stock_on_crypto == {"trades": {}}
    unknown_loc = await client.get("/v1beta3/crypto/mars/latest/trades",
                                   params={"symbols": "BTC/USD"}, headers=DATA)  # fmt: skip
    assert unknown_loc.status == 404


# ----------------------------------------------------------------- assets, clock, calendar


async def test_assets_list_filters_and_validates(client: TestClient) -> None:
    equities = await _broker(client, "/v1/assets")
    validate_response("broker-api", "GET", "/v1/assets", 200, equities)
    assert len(equities) >= 300
    assert {a["class"] for a in equities} == {"us_equity"}
    assert "asset_class" not in equities[0]
    crypto = await _broker(client, "/v1/assets", asset_class="crypto", status="active")
    assert {a["symbol"] for a in crypto} >= {"BTC/USD", "ETH/USD", "SOL/USD"}
    assert await _broker(client, "/v1/assets", status="inactive") == []
    optionable = await _broker(client, "/v1/assets", attributes="has_options,ipo")
    assert 0 < len(optionable) < len(equities)
    assert all("has_options" in a["attributes"] for a in optionable)
    bad = await client.get("/v1/assets", params={"status": "zombie"}, auth=BROKER)
    assert bad.status == 422
    assert (await bad.json())["code"] == 42210000


async def test_asset_by_symbol_or_id_and_404(client: TestClient) -> None:
    aapl = await _broker(client, "/v1/assets/AAPL")
    validate_response("broker-api", "GET", "/v1/assets/{symbol_or_asset_id}", 200, aapl)
    assert aapl["class"] == "us_equity"
    assert aapl["exchange"] == "NASDAQ"
    by_id = await _broker(client, f"/v1/assets/{aapl['id']}")
    assert by_id == aapl
    assert (await _broker(client, "/v1/assets/BTCUSD"))["symbol"] == "BTC/USD"
    assert (await _broker(client, "/v1/assets/BTC/USD"))["symbol"] == "BTC/USD"
    missing = await client.get("/v1/assets/NOPE", auth=BROKER)
    assert missing.status == 404
    assert (await missing.json())["code"] == 40410000


async def test_clock_in_session_and_on_a_weekend(
    client: TestClient, weekend_client: TestClient
) -> None:
    clock = await _broker(client, "/v1/clock")
    validate_response("broker-api", "GET", "/v1/clock", 200, clock)
    assert clock == {
        "timestamp": "2026-03-04T10:00:00-05:00",
        "is_open": True,
        "next_open": "2026-03-05T09:30:00-05:00",
        "next_close": "2026-03-04T16:00:00-05:00",
    }
    weekend = await _broker(weekend_client, "/v1/clock")
    assert weekend["is_open"] is False
    assert weekend["next_open"] == "2026-03-09T09:30:00-04:00"  # DST starts 2026-03-08


async def test_calendar_has_hh_mm_times_early_closes_and_no_holidays(client: TestClient) -> None:
    days = await _broker(client, "/v1/calendar", start="2025-11-24", end="2025-12-02")
    validate_response("broker-api", "GET", "/v1/calendar", 200, days)
    by_date = {d["date"]: d for d in days}
    assert "2025-11-27" not in by_date  # Thanksgiving
    assert by_date["2025-11-28"]["close"] == "13:00"
    assert by_date["2025-11-24"]["open"] == "09:30"
    assert by_date["2025-11-24"]["close"] == "16:00"
    assert by_date["2025-11-26"]["settlement_date"] == "2025-11-28"
    assert "2025-11-29" not in by_date
    settled = await _broker(client, "/v1/calendar", start="2025-12-01", end="2025-12-01",
                            date_type="settlement")  # fmt: skip
    assert [d["date"] for d in settled] == ["2025-11-28"]
    default = await _broker(client, "/v1/calendar")
    assert default[0]["date"] >= "2023-01-03"
    assert default[-1]["date"].startswith("2027-12")


# ----------------------------------------------------------------------------- pure parts


def test_aggregate_weights_vwap_by_volume() -> None:
    t0 = datetime(2026, 3, 3, 14, 30, tzinfo=UTC)

    def bar(minute: int, price: str, volume: int) -> AggBar:
        p = Decimal(price)
        return AggBar(t0 + timedelta(minutes=minute), p, p, p, p, volume, 1, p)

    merged = aggregate([bar(0, "10", 100), bar(1, "20", 300), bar(5, "30", 0)],
                       bucket_function(TimeFrame.parse("5Min"), crypto=False))  # fmt: skip
    assert [(b.t.minute, b.v, b.vw) for b in merged] == [(30, 400, Decimal("17.5")),
                                                         (35, 0, Decimal("30"))]  # fmt: skip


async def test_data_routes_on_the_full_sandbox(sandbox_server: RunningSandbox) -> None:
    config = sandbox_server.sandbox.config
    headers = {"APCA-API-KEY-ID": config.key, "APCA-API-SECRET-KEY": config.secret}
    async with aiohttp.ClientSession(headers=headers) as session:
        url = f"{sandbox_server.data_url}/v2/stocks/snapshots?symbols=AAPL,SPY"
        async with session.get(url) as response:
            assert response.status == 200
            body = await response.json()
        assert set(body) == {"AAPL", "SPY"}
        async with session.get(
            f"{sandbox_server.broker_url}/v1/clock",
            auth=aiohttp.BasicAuth(config.key, config.secret),
        ) as response:
            assert response.status == 200
            assert set(await response.json()) == {"timestamp", "is_open", "next_open", "next_close"}
