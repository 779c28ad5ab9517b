"""Times, sizes and asset prices in the forms Alpaca's real answers have, read back by alpaca-py's
models and by the service's own parsers.

What real answers look like (market-data-api.json examples; alpaca-py's tests/data/*.py):
stock trades and quotes, and crypto quotes, are stamped in nanoseconds
(`2022-08-17T09:50:43.361102308Z`); crypto trades in microseconds (`2022-05-18T12:01:00.537052Z`);
bars have no fraction (`2022-08-16T04:00:00Z`); every time drops the trailing zeros of its
fraction (Go's RFC3339Nano: `2022-05-26T11:47:18.44347136Z`). Crypto sizes and volumes are
fractional (`"v": 0.0886`), stock ones whole.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import msgpack
import orjson
import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient, TestServer
from alpaca.data.live import StockDataStream
from alpaca.data.models import Bar, Quote, Trade
from alpaca.trading.models import Asset

from portfolio_rt.broker.events import parse_event
from portfolio_rt.sandbox import data_api, event_json
from portfolio_rt.sandbox.market import Market
from portfolio_rt.sandbox.stream import STREAM_HUB
from portfolio_rt.sandbox.stream_codec import Encoder, Family, quote_wire, trade_wire
from portfolio_rt.sandbox.wire import rfc3339, unix_ns
from portfolio_rt.sandbox.world import Sandbox
from portfolio_rt.stream import protocol
from tests.sandbox.market_world import IN_SESSION, KEY, SECRET, MarketWorld, build_world, data_app
from tests.sandbox.stream_helpers import SANDBOX_KEY, SANDBOX_SECRET, make_world, stream_app

DATA = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}
# Mid-session, off the whole second: a microsecond time has microsecond digits to show.
NOW = IN_SESSION + timedelta(seconds=7, microseconds=254_813)

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.(\d{1,9}))?Z$")


def digits(text: str) -> int:
    """Fractional digits of an Alpaca time; also checks its form (UTC `Z`, no trailing 0)."""
    match = RFC3339.match(text)
    assert match is not None, text
    fraction = match.group(1) or ""
    assert not fraction.endswith("0"), f"{text}: trailing zero"
    return len(fraction)


def as_datetime(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture(scope="module")
def world() -> MarketWorld:
    return build_world(NOW)


@pytest.fixture
async def client(world: MarketWorld) -> AsyncIterator[TestClient[Any, Any]]:
    async with TestClient(TestServer(data_app(world))) as test_client:
        yield test_client


async def _get(client: TestClient[Any, Any], path: str, **params: str) -> Any:
    response = await client.get(path, params=params, headers=DATA)
    assert response.status == 200, await response.text()
    return await response.json()


# ------------------------------------------------------------------------------- REST times


async def test_rest_times_have_alpacas_precision_for_each_kind(
    client: TestClient[Any, Any], world: MarketWorld
) -> None:
    trade = (await _get(client, "/v2/stocks/trades/latest", symbols="AAPL"))["trades"]["AAPL"]
    quote = (await _get(client, "/v2/stocks/quotes/latest", symbols="AAPL"))["quotes"]["AAPL"]
    assert 7 <= digits(trade["t"]) <= 9
    assert 7 <= digits(quote["t"]) <= 9
    crypto = "/v1beta3/crypto/us"
    ctrade = (await _get(client, f"{crypto}/latest/trades", symbols="BTC/USD"))["trades"]
    cquote = (await _get(client, f"{crypto}/latest/quotes", symbols="BTC/USD"))["quotes"]
    assert 1 <= digits(ctrade["BTC/USD"]["t"]) <= 6  # crypto trades: microseconds
    assert 7 <= digits(cquote["BTC/USD"]["t"]) <= 9
    snapshot = (await _get(client, "/v2/stocks/snapshots", symbols="AAPL"))["AAPL"]
    assert 7 <= digits(snapshot["latestTrade"]["t"]) <= 9
    for key in ("minuteBar", "dailyBar", "prevDailyBar"):
        assert digits(snapshot[key]["t"]) == 0
    bars = await _get(client, "/v2/stocks/bars", symbols="AAPL", timeframe="1Min",
                      start="2026-03-04T14:30:00Z")  # fmt: skip
    assert {digits(b["t"]) for b in bars["bars"]["AAPL"]} == {0}

    # alpaca-py's models read them (to the microsecond): the instant the price path priced
    ticked = world.ticker.latest_trade("AAPL")
    assert ticked is not None
    parsed = Trade("AAPL", trade)
    assert parsed.timestamp == ticked.t == NOW
    assert trade["t"] == f"2026-03-04T15:00:07.254813{ticked.nanos:03d}".rstrip("0") + "Z"
    assert Quote("AAPL", quote).timestamp == NOW
    assert Trade("BTC/USD", ctrade["BTC/USD"]).timestamp == NOW
    assert Bar("AAPL", snapshot["dailyBar"]).timestamp == datetime(2026, 3, 4, 5, tzinfo=UTC)


def test_nanoseconds_are_deterministic_and_never_a_whole_microsecond() -> None:
    one, other = build_world(NOW), build_world(NOW)
    times = [NOW + timedelta(microseconds=37 * k) for k in range(400)]
    trades = [one.market.trade_at("MSFT", t) for t in times]
    quotes = [one.market.quote_at("BTC/USD", t) for t in times]
    assert trades == [other.market.trade_at("MSFT", t) for t in times]
    assert all(1 <= x.nanos <= 999 for x in trades + quotes)
    assert len({x.nanos for x in trades}) > 300
    assert {one.market.trade_at("ETH/USD", t).nanos for t in times} == {0}


def test_rest_and_stream_carry_the_same_instant(world: MarketWorld) -> None:
    """A trade or quote reads the same in REST JSON, stream JSON and stream msgpack."""
    encoder = Encoder()
    kinds: tuple[tuple[str, Family], ...] = (("AAPL", "stocks"), ("BTC/USD", "crypto"))
    for symbol, family in kinds:
        crypto = family == "crypto"
        trade = world.market.trade_at(symbol, NOW)
        quote = world.market.quote_at(symbol, NOW)
        for rest, wire in (
            (data_api.trade_json(trade, crypto), trade_wire(trade, family)),
            (data_api.quote_json(quote, crypto), quote_wire(quote, family)),
        ):
            as_json = orjson.loads(encoder.element(wire, "json"))
            as_msgpack = msgpack.unpackb(encoder.element(wire, "msgpack"))
            assert as_json["t"] == rest["t"]
            stamp = as_msgpack["t"]
            assert isinstance(stamp, msgpack.Timestamp)
            assert stamp.to_unix_nano() == unix_ns(NOW) + (stamp.nanoseconds % 1000)
            assert rfc3339(NOW, stamp.nanoseconds % 1000) == rest["t"]


# ------------------------------------------------------------------------------ stream times


async def test_stream_times_read_by_the_service_protocol_and_alpaca_py(
    aiohttp_client: Any,
) -> None:
    world = make_world(trades_per_second=50.0)
    client = await aiohttp_client(stream_app(world))
    sdk = StockDataStream(SANDBOX_KEY, SANDBOX_SECRET, url_override="ws://127.0.0.1:1/v2/iex")
    auth = {"action": "auth", "key": SANDBOX_KEY, "secret": SANDBOX_SECRET}

    async def frames(path: str, subscribe: dict[str, Any], kinds: set[str]) -> list[Any]:
        """msgpack frames decoded by the service's own `protocol.decode` until `kinds` seen."""
        ws = await client.ws_connect(path, headers={"Content-Type": "application/msgpack"})
        await ws.send_bytes(protocol.encode(auth, "msgpack"))
        await ws.send_bytes(protocol.encode({"action": "subscribe", **subscribe}, "msgpack"))
        seen: list[Any] = []
        while not kinds <= {m["T"] for m in seen}:
            msg = await ws.receive(timeout=5)
            assert msg.type is WSMsgType.BINARY
            seen.extend(m for m in protocol.decode(msg.data) if m["T"] in ("t", "q"))
        await ws.close()
        return seen

    stocks = await frames("/v2/iex", {"trades": ["AAPL"], "quotes": ["AAPL"]}, {"t", "q"})
    for message in stocks:
        stamp = message["t"]
        assert isinstance(stamp, msgpack.Timestamp)
        assert stamp.nanoseconds % 1000 != 0  # nanosecond clock
        parsed = sdk._cast(dict(message))  # what alpaca-py's stream client does with it
        assert isinstance(parsed, Trade if message["T"] == "t" else Quote)
        assert parsed.timestamp == stamp.to_datetime()
        price = world.market.price_at("AAPL", parsed.timestamp)
        if isinstance(parsed, Trade):
            assert abs(Decimal(str(parsed.price)) - price) <= Decimal("0.011")
    crypto = await frames("/v1beta3/crypto/us", {"trades": ["BTC/USD"]}, {"t"})
    assert all(m["t"].nanoseconds % 1000 == 0 for m in crypto)  # microsecond clock

    # JSON frames: the same times as strings, read by the same `protocol.decode`
    ws = await client.ws_connect("/v2/iex")
    await ws.send_str(orjson.dumps(auth).decode())
    await ws.send_str(orjson.dumps({"action": "subscribe", "quotes": ["MSFT"]}).decode())
    quotes: list[Any] = []
    while not quotes:
        msg = await ws.receive(timeout=5)
        assert msg.type is WSMsgType.TEXT
        quotes = [m for m in protocol.decode(msg.data) if m["T"] == "q"]
    await ws.close()
    assert 7 <= digits(quotes[0]["t"]) <= 9
    assert Quote("MSFT", quotes[0]).timestamp == as_datetime(quotes[0]["t"][:26] + "Z")


# --------------------------------------------------------------------------- crypto volumes


def _fractional(value: Any) -> bool:
    return isinstance(value, float) and not value.is_integer()


async def test_crypto_bars_and_snapshots_have_fractional_volumes(
    client: TestClient[Any, Any],
) -> None:
    crypto = "/v1beta3/crypto/us"
    for timeframe, start in (("1Min", "2026-03-04T14:00:00Z"), ("1Day", "2026-02-20")):
        body = await _get(client, f"{crypto}/bars", symbols="BTC/USD,ETH/USD",
                          timeframe=timeframe, start=start)  # fmt: skip
        for symbol, bars in body["bars"].items():
            assert bars, symbol
            assert all(_fractional(b["v"]) for b in bars), (symbol, timeframe)
            assert all(isinstance(b["n"], int) for b in bars)
            assert Bar(symbol, bars[0]).volume == bars[0]["v"]
    latest = await _get(client, f"{crypto}/latest/bars", symbols="BTC/USD")
    assert _fractional(latest["bars"]["BTC/USD"]["v"])
    snapshot = (await _get(client, f"{crypto}/snapshots", symbols="SOL/USD"))["snapshots"]
    snap = snapshot["SOL/USD"]
    assert all(_fractional(snap[k]["v"]) for k in ("minuteBar", "dailyBar", "prevDailyBar"))
    assert _fractional(snap["latestTrade"]["s"])
    stock = await _get(client, "/v2/stocks/bars", symbols="AAPL", timeframe="1Day",
                       start="2026-02-20")  # fmt: skip
    assert all(isinstance(b["v"], int) for b in stock["bars"]["AAPL"])


def test_crypto_volumes_are_seeded_and_add_up_exactly() -> None:
    day = date(2026, 3, 2)
    start = datetime.combine(day, datetime.min.time(), UTC)

    def volumes(market: Market) -> list[Any]:
        return [b.v for b in market.daily_bars("ETH/USD", day - timedelta(days=5), day)]

    one, same, other = build_world(NOW), build_world(NOW), build_world(NOW, seed=8)
    assert volumes(one.market) == volumes(same.market)
    assert volumes(one.market) != volumes(other.market)
    (daily,) = one.market.daily_bars("BTC/USD", day, day)
    minutes = one.market.minute_bars("BTC/USD", start, start + timedelta(days=1, minutes=-1))
    assert len(minutes) == 1440
    assert isinstance(daily.v, Decimal)
    assert daily.v == sum((m.v for m in minutes), Decimal(0))  # exact: no float drift
    (stock,) = one.market.daily_bars("AAPL", day, day)
    assert isinstance(stock.v, int)


async def test_stream_crypto_bars_have_fractional_volumes(aiohttp_client: Any) -> None:
    world = make_world(trades_per_second=0.0)
    client = await aiohttp_client(stream_app(world))
    assert client.app is not None
    hub = client.app[STREAM_HUB]
    ws = await client.ws_connect(
        "/v1beta3/crypto/us", headers={"Content-Type": "application/msgpack"}
    )
    auth = {"action": "auth", "key": SANDBOX_KEY, "secret": SANDBOX_SECRET}
    await ws.send_bytes(protocol.encode(auth, "msgpack"))
    subscribe = {"action": "subscribe", "bars": ["BTC/USD"], "dailyBars": ["BTC/USD"]}
    await ws.send_bytes(protocol.encode(subscribe, "msgpack"))
    while True:
        messages = protocol.decode((await ws.receive(timeout=5)).data)
        if messages[0]["T"] == "subscription":
            break
    hub.emit_bars(world.now().replace(second=0, microsecond=0) - timedelta(minutes=2))
    bars: list[Any] = []
    while len(bars) < 2:
        bars.extend(m for m in protocol.decode((await ws.receive(timeout=5)).data))
    await ws.close()
    assert {b["T"] for b in bars} == {"b", "d"}
    assert all(_fractional(b["v"]) for b in bars)
    sdk = StockDataStream(SANDBOX_KEY, SANDBOX_SECRET, url_override="ws://127.0.0.1:1/v2/iex")
    parsed: list[Any] = [sdk._cast(dict(b)) for b in bars]
    assert [p.volume for p in parsed] == [b["v"] for b in bars]


# ----------------------------------------------------------------------------------- assets


async def test_assets_carry_last_price_and_change_since_the_last_close(
    client: TestClient[Any, Any], world: MarketWorld
) -> None:
    broker = aiohttp.BasicAuth(KEY, SECRET)
    aapl = await (await client.get("/v1/assets/AAPL", auth=broker)).json()
    trade = world.ticker.latest_trade("AAPL")
    assert trade is not None
    close = world.market.close("AAPL", date(2026, 3, 3))  # Tuesday's close; now is Wednesday
    assert aapl["last_price"] == str(trade.price)
    change = ((trade.price / close - 1) * 100).quantize(Decimal("0.01"))
    assert Decimal(aapl["last_close_pct_change"]) == change
    Asset(**aapl)  # alpaca-py ignores the two keys, and still parses
    listed = await (await client.get("/v1/assets", auth=broker)).json()
    assert all(isinstance(a["last_price"], str) for a in listed)
    assert all(re.fullmatch(r"-?\d+\.\d\d", a["last_close_pct_change"]) for a in listed)


# ------------------------------------------------------------------- broker times (service)


def test_broker_event_times_parse_in_the_service(shared_sandbox: Sandbox) -> None:
    """Event times are Alpaca's trimmed RFC 3339 (`…:26.30283Z`); the service's SSE parser
    reads every one back to the recorded instant."""
    events = shared_sandbox.ledger.events
    for stream, render in (("trades", event_json.trade_v2), ("funding", event_json.funding_v2),
                           ("nta", event_json.nta_v1)):  # fmt: skip
        recorded = events.events(stream)  # type: ignore[arg-type]
        assert recorded, stream
        for event in recorded[:200]:
            body = render(event)
            digits(body["at"])
            parsed = parse_event(stream, orjson.dumps(body).decode())  # type: ignore[arg-type]
            assert parsed.at == event.at
