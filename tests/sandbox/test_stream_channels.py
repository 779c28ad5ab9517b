"""The stream's channels beyond trades and quotes (updated bars, statuses, LULD bands, order
books) and its paths beyond the live feeds (/v2/delayed_sip, /v2/test), over raw sockets in
both wire formats. The world's clock is pinned to known instants, so sessions and bands do not
depend on when the suite runs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgpack
import pytest
from aiohttp import WSServerHandshakeError
from aiohttp.test_utils import TestClient

from portfolio_rt.sandbox.calendar import NY
from portfolio_rt.sandbox.order_books import DEPTH, book_at
from portfolio_rt.sandbox.stream import StreamSettings
from portfolio_rt.sandbox.stream_bars import late_seconds
from portfolio_rt.sandbox.stream_test_feed import price_at as fakepaca_price
from tests.sandbox.stream_helpers import (
    Clock,
    StreamWorld,
    WireClient,
    hub_of,
    make_world,
    stream_app,
    time_of,
)

FORMATS = ["json", "msgpack"]
WEDNESDAY_NOON = datetime(2026, 11, 18, 12, 0, tzinfo=NY).astimezone(UTC)
WEDNESDAY_BEFORE_OPEN = datetime(2026, 11, 18, 9, 29, 58, tzinfo=NY).astimezone(UTC)
SATURDAY_NOON = datetime(2026, 11, 21, 12, 0, tzinfo=NY).astimezone(UTC)
BAR_FIELDS = {"T", "S", "o", "h", "l", "c", "v", "t", "n", "vw"}
MINUTE = timedelta(minutes=1)


def world_at(t: datetime, **changes: Any) -> StreamWorld:
    """A light world whose clock reads `t` now and then runs at the wall clock's pace."""
    clock = Clock()
    clock.offset = t - datetime.now(UTC)
    return make_world(now=clock, **changes)


@pytest.fixture
def world() -> StreamWorld:
    return world_at(WEDNESDAY_NOON)


@pytest.fixture
async def client(world: StreamWorld, aiohttp_client: Any) -> TestClient[Any, Any]:
    return await aiohttp_client(stream_app(world, late_trade_share=1.0))  # type: ignore[no-any-return]


async def connect(client: TestClient[Any, Any], path: str, fmt: str) -> WireClient:
    ws = await WireClient.open(client, path, fmt)
    await ws.login()
    return ws


def _price(value: float) -> Decimal:
    return Decimal(str(value))


# -- updated bars --------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("path", "symbols"), [("/v2/iex", ["AAPL", "MSFT"]), ("/v1beta3/crypto/us", ["BTC/USD"])]
)
async def test_a_bar_cut_by_late_trades_is_followed_by_the_whole_bar(
    client: TestClient[Any, Any], world: StreamWorld, fmt: str, path: str, symbols: list[str]
) -> None:
    ws = await connect(client, path, fmt)
    await ws.action("subscribe", bars=symbols, updatedBars=symbols)
    hub = hub_of(client)
    minute = world.now().replace(second=0, microsecond=0) - 2 * MINUTE
    hub.emit_bars(minute)
    first = {m["S"]: m for m in await ws.collect(lambda s: len(s) >= len(symbols), types={"b"})}
    hub.emit_updated_bars(minute)
    updated = {m["S"]: m for m in await ws.collect(lambda s: len(s) >= len(symbols), types={"u"})}
    assert set(first) == set(updated) == set(symbols)
    for symbol in symbols:
        bar, whole = first[symbol], updated[symbol]
        assert set(bar) == set(whole) == BAR_FIELDS
        assert time_of(bar) == time_of(whole) == minute
        late = late_seconds(symbol, minute, 1.0)
        cut = minute + timedelta(seconds=60 - late)
        # the first bar stops where the late trades start; the update is the whole minute,
        # the bar the REST routes serve
        assert _price(bar["c"]) == world.market.price_at(symbol, cut)
        (rest,) = [
            b for b in world.market.minute_bars(symbol, minute, minute + MINUTE) if b.t == minute
        ]
        assert _price(whole["c"]) == rest.c == world.market.price_at(symbol, minute + MINUTE)
        assert (_price(whole["o"]), _price(whole["h"]), _price(whole["l"])) == (
            rest.o,
            rest.h,
            rest.l,
        )
        assert whole["v"] >= bar["v"]
        assert whole["l"] <= bar["l"] <= bar["h"] <= whole["h"]
    await ws.close()


async def test_without_late_trades_no_updated_bar_is_sent(
    world: StreamWorld, aiohttp_client: Any
) -> None:
    client = await aiohttp_client(stream_app(world, late_trade_share=0.0))
    ws = await connect(client, "/v2/iex", "json")
    await ws.action("subscribe", bars=["SPY"], updatedBars=["SPY"])
    minute = world.now().replace(second=0, microsecond=0) - 2 * MINUTE
    hub_of(client).emit_bars(minute)
    hub_of(client).emit_updated_bars(minute)
    sent = [m for m in await ws.quiet() if m["T"] in ("b", "u")]
    assert [m["T"] for m in sent] == ["b"]
    (rest,) = [b for b in world.market.minute_bars("SPY", minute, minute + MINUTE) if b.t == minute]
    assert _price(sent[0]["c"]) == rest.c
    await ws.close()


async def test_updated_bars_come_after_the_half_minute_mark(aiohttp_client: Any) -> None:
    world = world_at(WEDNESDAY_NOON.replace(second=59) - timedelta(seconds=0.6))
    client = await aiohttp_client(
        stream_app(world, late_trade_share=1.0, bar_poll_s=0.05, updated_bar_delay_s=1.0)
    )
    ws = await connect(client, "/v2/iex", "json")
    await ws.action("subscribe", updatedBars=["AMZN"])
    (bar,) = await ws.collect(lambda s: len(s) >= 1, within_s=4.0, types={"u"})
    assert time_of(bar) == WEDNESDAY_NOON  # the minute that ended half a minute before
    await ws.close()


# -- statuses ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
async def test_a_statuses_subscriber_gets_each_symbols_trading_status(
    client: TestClient[Any, Any], fmt: str
) -> None:
    ws = await connect(client, "/v2/sip", fmt)
    await ws.action("subscribe", statuses=["AAPL", "JPM", "SPY", "NOPE"])
    statuses = {m["S"]: m for m in await ws.collect(lambda s: len(s) >= 3, types={"s"})}
    # Nasdaq-listed AAPL is on tape C (UTP codes), NYSE's JPM on A and Arca's SPY on B (CTA)
    assert {s: (m["sc"], m["sm"], m["z"]) for s, m in statuses.items()} == {
        "AAPL": ("T", "Trading Resumption", "C"),
        "JPM": ("3", "Resume", "A"),
        "SPY": ("3", "Resume", "B"),
    }
    session_open = datetime(2026, 11, 18, 9, 30, tzinfo=NY).astimezone(UTC)
    for message in statuses.values():
        assert set(message) == {"T", "S", "sc", "sm", "rc", "rm", "t", "z"}
        assert message["rc"] == message["rm"] == ""
        assert time_of(message) == session_open
    assert not [m for m in await ws.quiet() if m["T"] == "s"]  # no repeats
    await ws.close()


@pytest.mark.parametrize("fmt", FORMATS)
async def test_the_session_open_sends_statuses_and_opening_bands(
    aiohttp_client: Any, fmt: str
) -> None:
    world = world_at(WEDNESDAY_BEFORE_OPEN, market_hours="real")
    client = await aiohttp_client(stream_app(world, bar_poll_s=0.05))
    ws = await connect(client, "/v2/iex", fmt)
    await ws.action("subscribe", statuses=["AAPL"], lulds=["AAPL"])
    seen = await ws.collect(
        lambda s: {"s", "l"} <= {m["T"] for m in s}, within_s=6.0, types={"s", "l"}
    )
    opens = datetime(2026, 11, 18, 9, 30, tzinfo=NY).astimezone(UTC)
    status = next(m for m in seen if m["T"] == "s")
    band = next(m for m in seen if m["T"] == "l")
    assert status["sc"] == "T"
    assert opens <= time_of(status) < opens + timedelta(seconds=3)
    assert band["i"] == "A"  # the opening update
    reference = world.market.price_at("AAPL", time_of(band))
    # the first 15 minutes of a session double the bands: 10% for a tier 1 stock
    assert abs(_price(band["u"]) - reference * Decimal("1.10")) <= Decimal("0.01")
    assert abs(_price(band["d"]) - reference * Decimal("0.90")) <= Decimal("0.01")
    await ws.close()


async def test_a_closed_market_sends_no_status_or_band(aiohttp_client: Any) -> None:
    world = world_at(SATURDAY_NOON, market_hours="real")
    client = await aiohttp_client(stream_app(world))
    ws = await connect(client, "/v2/iex", "json")
    await ws.action("subscribe", statuses=["AAPL"], lulds=["AAPL"])
    assert not [m for m in await ws.quiet() if m["T"] in ("s", "l")]
    await ws.close()


# -- LULD bands ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
async def test_a_lulds_subscriber_gets_the_band_in_effect(
    client: TestClient[Any, Any], world: StreamWorld, fmt: str
) -> None:
    ws = await connect(client, "/v2/iex", fmt)
    await ws.action("subscribe", lulds=["MSFT", "PLUG"])
    bands = {m["S"]: m for m in await ws.collect(lambda s: len(s) >= 2, types={"l"})}
    for symbol, message in bands.items():
        assert set(message) == {"T", "S", "u", "d", "i", "t", "z"}
        assert message["i"] == "B"
        t = time_of(message)
        assert abs(t - world.now()) < timedelta(seconds=5)
        window = [t - timedelta(seconds=30 * k) for k in range(10)]
        reference = sum(world.market.prices_at(symbol, window), Decimal(0)) / 10
        up, down = _price(message["u"]), _price(message["d"])
        middle = (up + down) / 2
        assert abs(middle - reference) / reference < Decimal("0.001")
        # mid-session: 5% for a tier 1 stock (MSFT), 10% for a tier 2 one (PLUG) over $3;
        # 20% from $0.75 to $3
        expected = {"MSFT": Decimal("0.05"), "PLUG": Decimal("0.10")}[symbol]
        if reference <= 3:
            expected = Decimal("0.20")
        assert abs((up - down) / 2 / middle - expected) < Decimal("0.002")
    await ws.close()


async def test_a_band_is_sent_again_when_the_reference_price_moves_one_percent(
    client: TestClient[Any, Any],
) -> None:
    ws = await connect(client, "/v2/iex", "json")
    await ws.action("subscribe", lulds=["NVDA"])
    (first,) = await ws.collect(lambda s: len(s) >= 1, types={"l"})
    hub = hub_of(client)
    hub.emit_lulds()
    assert not [m for m in await ws.quiet() if m["T"] == "l"]  # the price has not moved 1%
    bands = hub.data.lulds["stocks"]
    band = bands.current("NVDA", hub.data.now("stocks"))
    bands._bands["NVDA"] = replace(band, reference=band.reference * Decimal("0.97"))
    hub.emit_lulds()
    (moved,) = [m for m in await ws.quiet() if m["T"] == "l"]
    assert moved["S"] == "NVDA"
    assert moved["i"] == "B"
    assert time_of(moved) >= time_of(first)
    # centred on the reference price of now again, not on the one 3% lower
    assert abs(_price(moved["u"]) + _price(moved["d"]) - 2 * band.reference) < band.reference / 100
    await ws.close()


# -- order books ---------------------------------------------------------------------------------


def _apply(book: dict[str, dict[Decimal, Decimal]], message: dict[str, Any]) -> None:
    for side, key in (("b", "bids"), ("a", "asks")):
        for level in message[side]:
            price, size = _price(level["p"]), _price(level["s"])
            if size == 0:
                assert price in book[key], "a removal names a level the book has"
                del book[key][price]
            else:
                book[key][price] = size


@pytest.mark.parametrize("fmt", FORMATS)
async def test_an_orderbooks_subscriber_gets_the_book_then_its_changes(
    client: TestClient[Any, Any], world: StreamWorld, fmt: str
) -> None:
    ws = await connect(client, "/v1beta3/crypto/us", fmt)
    await ws.action("subscribe", orderbooks=["BTC/USD"])
    (snapshot,) = await ws.collect(lambda s: len(s) >= 1, types={"o"})
    assert snapshot["r"] is True
    assert set(snapshot) == {"T", "S", "t", "b", "a", "r"}
    bids = [(_price(x["p"]), x["s"]) for x in snapshot["b"]]
    asks = [(_price(x["p"]), x["s"]) for x in snapshot["a"]]
    assert len(bids) == len(asks) == DEPTH
    assert [p for p, _ in bids] == sorted((p for p, _ in bids), reverse=True)
    assert [p for p, _ in asks] == sorted(p for p, _ in asks)
    assert bids[0][0] < asks[0][0]
    assert all(isinstance(s, float) and s > 0 for _, s in bids + asks)
    assert any(s != int(s) for _, s in bids + asks)  # fractional coins
    if fmt == "msgpack":
        assert isinstance(snapshot["t"], msgpack.Timestamp)
    quote = world.market.quote_at("BTC/USD", time_of(snapshot))
    assert (bids[0][0], asks[0][0]) == (quote.bid, quote.ask)  # the top of the book is the quote
    book = {"bids": dict(bids), "asks": dict(asks)}
    book = {side: {p: _price(s) for p, s in levels.items()} for side, levels in book.items()}
    updates = await ws.collect(lambda s: len(s) >= 5, within_s=10.0, types={"o"})
    for update in updates:
        assert "r" not in update
        assert set(update) == {"T", "S", "t", "b", "a"}
        assert update["b"] or update["a"]
        _apply(book, update)
    last = time_of(updates[-1])
    expected = book_at("BTC/USD", world.market.quote_at("BTC/USD", last))
    assert book["bids"] == {level.price: level.size for level in expected.bids}
    assert book["asks"] == {level.price: level.size for level in expected.asks}
    await ws.close()


async def test_a_second_subscriber_gets_the_book_the_first_one_has(
    world: StreamWorld, aiohttp_client: Any
) -> None:
    client = await aiohttp_client(stream_app(world, connection_limit=2))
    first = await connect(client, "/v1beta3/crypto/us", "json")
    await first.action("subscribe", orderbooks=["ETH/USD"])
    (snapshot,) = await first.collect(lambda s: len(s) >= 1, types={"o"})
    book = {"bids": {}, "asks": {}}  # type: dict[str, dict[Decimal, Decimal]]
    _apply(book, snapshot)
    second = await connect(client, "/v1beta3/crypto/us", "msgpack")
    await second.action("subscribe", orderbooks=["ETH/USD"])
    (late,) = await second.collect(lambda s: len(s) >= 1, types={"o"})
    for update in await first.quiet():
        if update["T"] == "o":
            _apply(book, update)
    assert late["r"] is True
    assert {_price(x["p"]): _price(x["s"]) for x in late["b"]} == book["bids"]
    assert {_price(x["p"]): _price(x["s"]) for x in late["a"]} == book["asks"]
    await first.close()
    await second.close()


# -- /v2/delayed_sip -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
async def test_the_delayed_feed_sends_the_market_of_fifteen_minutes_ago(
    client: TestClient[Any, Any], world: StreamWorld, fmt: str
) -> None:
    ws = await connect(client, "/v2/delayed_sip", fmt)
    confirmation = await ws.action("subscribe", trades=["AAPL"], quotes=["AAPL"], bars=["AAPL"])
    assert confirmation["corrections"] == ["AAPL"]
    seen = await ws.collect(lambda s: {"t", "q"} <= {m["T"] for m in s}, within_s=3.0)
    for message in seen:
        t = time_of(message)
        lag = world.now() - t
        assert timedelta(minutes=15) <= lag < timedelta(minutes=15, seconds=3), lag
        price = world.market.price_at("AAPL", t)
        if message["T"] == "t":
            assert _price(message["p"]) == price
            assert set(message) == {"T", "S", "i", "x", "p", "s", "c", "z", "t"}
        else:
            assert _price(message["bp"]) < price < _price(message["ap"])
    await ws.action("subscribe", dailyBars=["AAPL"])
    minute = world.now().replace(second=0, microsecond=0) - MINUTE
    before = world.now() - timedelta(minutes=15)
    hub_of(client).emit_bars(minute)
    after = world.now() - timedelta(minutes=15)
    bars = {m["T"]: m for m in await ws.collect(lambda s: len(s) >= 2, types={"b", "d"})}
    assert time_of(bars["b"]) == minute - timedelta(minutes=15)
    # today's bar as it stood 15 minutes ago: up to the last whole minute then
    day = bars["d"]
    assert time_of(day) == datetime(2026, 11, 18, tzinfo=NY).astimezone(UTC)
    closes = {
        world.market.price_at("AAPL", t.replace(second=0, microsecond=0)) for t in (before, after)
    }
    assert _price(day["c"]) in closes
    session_open = datetime(2026, 11, 18, 9, 30, tzinfo=NY).astimezone(UTC)
    assert _price(day["o"]) == world.market.price_at("AAPL", session_open)
    await ws.close()


@pytest.mark.parametrize("fmt", FORMATS)
async def test_the_delayed_feeds_session_opens_fifteen_minutes_late(
    aiohttp_client: Any, fmt: str
) -> None:
    world = world_at(WEDNESDAY_BEFORE_OPEN + timedelta(minutes=15), market_hours="real")
    client = await aiohttp_client(stream_app(world, bar_poll_s=0.05))
    ws = await connect(client, "/v2/delayed_sip", fmt)
    await ws.action("subscribe", statuses=["MSFT"])
    assert not await ws.quiet()  # 9:29:58 on the delayed feed: closed
    live = await connect(client, "/v2/iex", fmt)
    await live.action("subscribe", statuses=["MSFT"])
    (status,) = await live.collect(lambda s: len(s) >= 1, types={"s"})  # 9:44:58: open
    (delayed,) = await ws.collect(lambda s: len(s) >= 1, within_s=6.0, types={"s"})
    opens = datetime(2026, 11, 18, 9, 30, tzinfo=NY).astimezone(UTC)
    assert time_of(status) == opens
    assert opens <= time_of(delayed) < opens + timedelta(seconds=3)
    await ws.close()
    await live.close()


async def test_the_delayed_feed_needs_it_in_the_plan_and_the_test_feed_does_not(
    world: StreamWorld, aiohttp_client: Any
) -> None:
    client = await aiohttp_client(stream_app(world, feeds=frozenset({"iex"})))
    ws = await WireClient.open(client, "/v2/delayed_sip", "json")
    await ws.recv()
    await ws.send({"action": "auth", "key": "stream-key", "secret": "stream-secret"})
    assert await ws.recv() == [{"T": "error", "code": 409, "msg": "insufficient subscription"}]
    await ws.close()
    for path in ("/v2/test", "/v1beta3/crypto/us"):
        other = await connect(client, path, "json")
        await other.close()


# -- /v2/test ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
async def test_the_test_feed_prints_fakepaca_while_markets_are_closed(
    aiohttp_client: Any, fmt: str
) -> None:
    world = world_at(SATURDAY_NOON, market_hours="real")
    client = await aiohttp_client(stream_app(world, test_tick_s=0.2, bar_poll_s=0.05))
    ws = await connect(client, "/v2/test", fmt)
    await ws.action(
        "subscribe", trades=["FAKEPACA", "AAPL"], quotes=["FAKEPACA"], statuses=["*"], bars=["*"]
    )
    seen = await ws.collect(lambda s: sum(m["T"] == "t" for m in s) >= 3, within_s=5.0)
    assert {m["S"] for m in seen} == {"FAKEPACA"}
    assert {"t", "q", "s"} <= {m["T"] for m in seen}
    for message in seen:
        t = time_of(message)
        if message["T"] == "t":
            assert _price(message["p"]) == fakepaca_price(t)
            assert message["z"] == "A"
            assert abs(world.now() - t) < timedelta(seconds=3)
        if message["T"] == "q":
            assert _price(message["bp"]) < fakepaca_price(t) < _price(message["ap"])
    minute = world.now().replace(second=0, microsecond=0) - MINUTE
    hub_of(client).emit_bars(minute)
    (bar,) = await ws.collect(lambda s: len(s) >= 1, types={"b"})
    assert bar["S"] == "FAKEPACA"
    assert time_of(bar) == minute
    assert _price(bar["o"]) == fakepaca_price(minute)
    await ws.close()


def test_the_config_can_narrow_the_plan_to_some_feeds() -> None:
    class Config:
        stream_feeds = ("iex",)
        stream_late_trade_share = 0.5

    settings = StreamSettings.from_config(Config())
    assert settings.feeds == {"iex", "us", "test"}
    assert settings.late_trade_share == 0.5


async def test_the_retired_crypto_path_is_not_served(client: TestClient[Any, Any]) -> None:
    # alpaca-trade-api 3.x's CryptoDataStream dials /v1beta2/crypto, which Alpaca retired
    with pytest.raises(WSServerHandshakeError) as error:
        await client.ws_connect("/v1beta2/crypto")
    assert error.value.status == 404
