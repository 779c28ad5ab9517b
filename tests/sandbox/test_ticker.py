"""The live ticker: rate, open markets only, prices on the path, latest values, lifecycle."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from portfolio_rt.sandbox.calendar import NY, MarketCalendar, MarketClock
from portfolio_rt.sandbox.market import Market, Quote, Trade
from portfolio_rt.sandbox.ticker import Ticker
from tests.fixtures.clock import ManualClock

WEDNESDAY_NOON = datetime(2026, 11, 18, 12, 0, tzinfo=NY).astimezone(UTC)
SATURDAY_NOON = datetime(2026, 11, 21, 12, 0, tzinfo=NY).astimezone(UTC)


def make(
    start: datetime, market_hours: str = "always_open", rate: float = 200.0
) -> tuple[Ticker, Market, ManualClock]:
    clock = ManualClock(start)
    calendar = MarketCalendar()
    market_clock = MarketClock(calendar, market_hours)  # type: ignore[arg-type]
    market = Market(
        7, calendar, market_clock, history_start=start.date() - timedelta(days=40), now=clock
    )
    return Ticker(market, market_clock, trades_per_second=rate, now=clock), market, clock


def trades_of(batch: Sequence[Trade | Quote]) -> list[Trade]:
    return [t for t in batch if isinstance(t, Trade)]


def test_trades_follow_the_rate_with_a_quote_each() -> None:
    ticker, _, clock = make(WEDNESDAY_NOON, rate=200.0)
    total: list[Trade | Quote] = []
    for _ in range(40):
        clock.advance(0.025)
        total.extend(ticker.tick())
    trades = trades_of(total)
    assert len(trades) == 200  # 1 s at 200/s; the fraction carries over between ticks
    assert len(total) == 400


def test_prices_are_the_market_path_and_quotes_straddle_them() -> None:
    ticker, market, clock = make(WEDNESDAY_NOON)
    clock.advance(0.5)
    batch = ticker.tick()
    assert batch
    for item in batch:
        price = market.price_at(item.symbol, item.t)
        assert item.t <= clock()
        if isinstance(item, Trade):
            assert item.price == price
        else:
            assert item.bid < price < item.ask


def test_trade_times_spread_over_the_elapsed_interval() -> None:
    ticker, _, clock = make(WEDNESDAY_NOON, rate=1000.0)
    start = clock()
    clock.advance(0.1)
    times = [t.t for t in trades_of(ticker.tick())]
    assert times == sorted(times)
    assert start < times[0] < times[-1] == clock()


def test_only_open_markets_tick_on_a_weekend() -> None:
    ticker, market, clock = make(SATURDAY_NOON, market_hours="real", rate=500.0)
    clock.advance(1.0)
    symbols = {t.symbol for t in ticker.tick()}
    assert symbols
    assert all(market.universe.get(s).asset_class == "crypto" for s in symbols)  # type: ignore[union-attr]


def test_popular_symbols_trade_more_but_every_symbol_trades_in_time() -> None:
    ticker, market, clock = make(WEDNESDAY_NOON, rate=2000.0)
    counts: Counter[str] = Counter()
    for _ in range(60):
        clock.advance(0.5)
        counts.update(t.symbol for t in trades_of(ticker.tick()))
    assert set(counts) == set(market.universe.symbols)
    assert counts["SPY"] > 5 * counts[market.universe.symbols[-5]]


def test_same_seed_gives_the_same_flow() -> None:
    def flow() -> list[tuple[str, datetime]]:
        ticker, _, clock = make(WEDNESDAY_NOON)
        out: list[tuple[str, datetime]] = []
        for _ in range(5):
            clock.advance(0.1)
            out.extend((t.symbol, t.t) for t in trades_of(ticker.tick()))
        return out

    assert flow() == flow()


def test_latest_trade_is_the_last_emitted_one() -> None:
    ticker, _, clock = make(WEDNESDAY_NOON, rate=1000.0)
    clock.advance(1.0)
    emitted = trades_of(ticker.tick())
    last = {t.symbol: t for t in emitted}
    for symbol, trade in last.items():
        assert ticker.latest_trade(symbol) == trade
        assert ticker.latest_trade(symbol.lower()) == trade


def test_latest_values_before_any_tick_come_from_the_last_open_instant() -> None:
    ticker, market, clock = make(SATURDAY_NOON, market_hours="real")
    trade = ticker.latest_trade("AAPL")
    quote = ticker.latest_quote("AAPL")
    assert trade is not None
    assert quote is not None
    friday_close = datetime(2026, 11, 20, 16, 0, tzinfo=NY).astimezone(UTC)
    assert trade.t == friday_close
    assert trade.price == market.close("AAPL", friday_close.date())
    assert quote.bid < trade.price < quote.ask
    btc = ticker.latest_trade("BTC/USD")
    assert btc is not None
    assert btc.t == clock()


def test_unknown_symbols_have_no_latest_values() -> None:
    ticker, _, _ = make(WEDNESDAY_NOON)
    assert ticker.latest_trade("NOPE") is None
    assert ticker.latest_quote("NOPE") is None


async def test_listeners_get_batches_from_the_background_task() -> None:
    ticker, _, _ = make(datetime.now(UTC), rate=400.0)
    ticker._now = lambda: datetime.now(UTC)
    batches: list[Sequence[Trade | Quote]] = []
    ticker.add_listener(batches.append)
    ticker.start()
    try:
        await asyncio.sleep(0.3)
    finally:
        await ticker.close()
    assert len(batches) >= 3
    count = len(batches)
    await asyncio.sleep(0.1)
    assert len(batches) == count  # closed: nothing more
    assert not ticker.running
    assert not [t for t in asyncio.all_tasks() if t.get_name() == "sandbox-ticker"]


async def test_requested_symbols_tick_promptly() -> None:
    ticker, _, _ = make(datetime.now(UTC), rate=0.0)
    ticker._now = lambda: datetime.now(UTC)
    got: list[Trade | Quote] = []
    ticker.add_listener(got.extend)
    ticker.interval_s = 5.0  # only a request can wake it
    ticker.start()
    try:
        await asyncio.sleep(0.05)
        ticker.request_ticks(["ko", "BTC/USD", "NOPE"])
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 1.0
        while len(got) < 4:
            assert loop.time() < deadline
            await asyncio.sleep(0.01)
    finally:
        await ticker.close()
    assert {t.symbol for t in got} == {"KO", "BTC/USD"}
    assert len(trades_of(got)) == 2


async def test_a_failing_listener_does_not_stop_the_others() -> None:
    ticker, _, clock = make(WEDNESDAY_NOON)
    seen: list[int] = []

    def broken(batch: Sequence[Trade | Quote]) -> None:
        raise RuntimeError("boom")

    ticker.add_listener(broken)
    ticker.add_listener(lambda batch: seen.append(len(batch)))
    clock.advance(0.5)
    ticker.tick()
    assert seen
    ticker.remove_listener(broken)
    ticker.remove_listener(broken)  # unknown listeners are ignored


@pytest.mark.parametrize("stall_s", [5.0, 3600.0])
def test_a_stall_is_caught_up_for_at_most_a_second(stall_s: float) -> None:
    ticker, _, clock = make(WEDNESDAY_NOON, rate=100.0)
    clock.advance(stall_s)
    assert len(trades_of(ticker.tick())) == 100
