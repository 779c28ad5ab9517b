"""The simulated market: deterministic, realistic volatility, one consistent price path."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_rt.sandbox.calendar import NY, MarketCalendar, MarketClock
from portfolio_rt.sandbox.market import Market
from portfolio_rt.sandbox.universe import Universe, default_universe

NOW = datetime(2026, 11, 25, 18, 0, tzinfo=UTC)  # a Wednesday, 13:00 in New York
HISTORY_START = date(2020, 11, 25)
CALENDAR = MarketCalendar()


def make_market(
    seed: int = 7, hours: str = "always_open", universe: Universe | None = None
) -> Market:
    clock = MarketClock(CALENDAR, "real" if hours == "real" else "always_open")
    return Market(
        seed, CALENDAR, clock, history_start=HISTORY_START, now=lambda: NOW, universe=universe
    )


@pytest.fixture(scope="module")
def universe() -> Universe:
    return default_universe()


@pytest.fixture(scope="module")
def market(universe: Universe) -> Market:
    return make_market(universe=universe)


@pytest.fixture(scope="module")
def real_market(universe: Universe) -> Market:
    return make_market(hours="real", universe=universe)


def ny(d: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(d, time(hour, minute), NY).astimezone(UTC)


def log_returns(market: Market, symbol: str) -> np.ndarray:
    closes = [float(bar.c) for bar in market.daily_bars(symbol, HISTORY_START, NOW.date())]
    return np.diff(np.log(np.array(closes[:-1])))  # drop today's partial bar


def test_same_seed_same_prices_and_other_seed_other_prices(
    market: Market, universe: Universe
) -> None:
    again = make_market(universe=universe)
    other = make_market(seed=8, universe=universe)
    t = datetime(2024, 3, 5, 15, 1, 7, tzinfo=UTC)
    for symbol in ("AAPL", "SPY", "BTC/USD", "ZTS"):
        assert market.price_at(symbol, t) == again.price_at(symbol, t)
        assert market.daily_bars(symbol, date(2024, 1, 1), date(2024, 2, 1)) == again.daily_bars(
            symbol, date(2024, 1, 1), date(2024, 2, 1)
        )
        assert market.price_at(symbol, t) != other.price_at(symbol, t)


@pytest.mark.parametrize(
    "symbol", ["AAPL", "KO", "XOM", "ZTS", "GME", "SPY", "XLK", "VEA", "BND", "GLD", "BTC/USD"]
)
def test_realised_volatility_is_near_the_target(market: Market, symbol: str) -> None:
    inst = market.universe.get(symbol)
    assert inst is not None
    per_year = 365 if inst.asset_class == "crypto" else 252
    realised = float(np.std(log_returns(market, symbol))) * math.sqrt(per_year)
    assert 0.8 * inst.annual_vol < realised < 1.2 * inst.annual_vol


def test_kinds_are_ordered_by_risk(market: Market) -> None:
    def vol(symbol: str) -> float:
        return float(np.std(log_returns(market, symbol)))

    assert vol("BND") < vol("SPY") < vol("NVDA") < vol("ETH/USD") * math.sqrt(252 / 365) * 1.5


def test_stocks_in_a_sector_move_together(market: Market) -> None:
    energy = [log_returns(market, s) for s in ("XOM", "CVX", "COP", "XLE")]
    corr = np.corrcoef(np.array(energy))
    assert corr[np.triu_indices(4, 1)].min() > 0.3
    cross = np.corrcoef(log_returns(market, "XOM"), log_returns(market, "MSFT"))[0, 1]
    assert 0.0 < cross < corr[0, 1]
    assert np.corrcoef(log_returns(market, "SPY"), log_returns(market, "VOO"))[0, 1] > 0.9


def test_recent_prices_of_familiar_tickers_are_realistic(market: Market) -> None:
    apple = market.close("AAPL", NOW.date())
    assert Decimal(150) < apple < Decimal(450)
    assert Decimal(40_000) < market.close("BTC/USD", NOW.date()) < Decimal(200_000)


def test_close_of_a_day_is_the_price_at_its_session_close(market: Market) -> None:
    for d in CALENDAR.trading_days(date(2026, 10, 1), date(2026, 11, 24)):
        session = CALENDAR.session(d)
        assert session is not None
        for symbol in ("AAPL", "SCHD", "PLUG"):
            assert market.close(symbol, d) == market.price_at(symbol, session[1])
            if session[1] == ny(d, 16):
                assert market.close(symbol, d) == market.price_at(symbol, ny(d, 16))


def test_crypto_close_is_the_price_at_the_next_utc_midnight(market: Market) -> None:
    for offset in range(10):
        d = date(2026, 11, 10) + timedelta(days=offset)
        midnight = datetime.combine(d + timedelta(days=1), time(0), UTC)
        assert market.close("BTC/USD", d) == market.price_at("BTC/USD", midnight)


def test_close_is_the_last_completed_session(market: Market) -> None:
    assert market.close("AAPL", date(2026, 11, 28)) == market.close("AAPL", date(2026, 11, 24))
    assert market.close("AAPL", date(2026, 11, 22)) == market.close("AAPL", date(2026, 11, 20))
    with pytest.raises(KeyError):
        market.close("AAPL", date(2020, 1, 2))
    with pytest.raises(KeyError):
        market.price_at("NOPE", NOW)


def test_daily_bars_agree_with_the_price_path(market: Market) -> None:
    bars = market.daily_bars("MSFT", date(2026, 11, 16), date(2026, 11, 20))
    assert len(bars) == 5
    for bar, previous in zip(bars[1:], bars, strict=False):
        assert bar.o == previous.c
    for bar in bars:
        d = bar.t.astimezone(NY).date()
        assert bar.t == ny(d, 0)
        session = CALENDAR.session(d)
        assert session is not None
        minutes = market.minute_bars("MSFT", session[0], session[1] - timedelta(minutes=1))
        assert len(minutes) == 390
        assert bar.h == max(m.h for m in minutes)
        assert bar.l == min(m.l for m in minutes)
        assert bar.v == sum(m.v for m in minutes)
        assert bar.c == minutes[-1].c == market.close("MSFT", d)
        assert bar.l <= bar.o <= bar.h
        assert bar.l <= bar.c <= bar.h


def test_daily_bars_never_reach_into_the_future(market: Market) -> None:
    bars = market.daily_bars("AAPL", date(2026, 11, 1), date(2027, 1, 31))
    assert bars[-1].t == ny(NOW.date(), 0)
    assert bars[-1].c == market.price_at("AAPL", NOW)
    crypto = market.daily_bars("ETH/USD", date(2026, 11, 1), date(2027, 1, 31))
    assert len(crypto) == 25
    assert crypto[-1].t == datetime(2026, 11, 25, tzinfo=UTC)
    assert crypto[-1].c == market.price_at("ETH/USD", NOW)
    assert all(bar.t <= NOW for bar in market.minute_bars("AAPL", NOW - timedelta(hours=1), NOW))


def test_daily_bars_skip_non_trading_days(market: Market) -> None:
    days = [
        b.t.astimezone(NY).date()
        for b in market.daily_bars("KO", date(2026, 1, 1), date(2026, 1, 31))
    ]
    assert days == CALENDAR.trading_days(date(2026, 1, 1), date(2026, 1, 31))


def test_minute_bars_are_only_in_session_for_equities(market: Market) -> None:
    start = NOW - timedelta(days=31)
    bars = market.minute_bars("SPY", start, NOW)
    assert bars
    for bar in bars:
        assert MarketClock(CALENDAR, "real").in_session(bar.t)
    early = CALENDAR.session(date(2025, 11, 28))
    assert early is not None
    assert len(market.minute_bars("SPY", early[0], early[1])) == 210
    saturday = ny(date(2026, 11, 21), 0)
    assert market.minute_bars("SPY", saturday, saturday + timedelta(days=1)) == []
    btc = market.minute_bars(
        "BTC/USD", saturday, saturday + timedelta(days=1) - timedelta(minutes=1)
    )
    assert len(btc) == 1440


def test_minute_bars_open_and_close_on_the_price_path(market: Market) -> None:
    for bar in market.minute_bars("AMZN", NOW - timedelta(hours=2), NOW - timedelta(minutes=2)):
        assert bar.o == market.price_at("AMZN", bar.t)
        assert bar.c == market.price_at("AMZN", bar.t + timedelta(minutes=1))
        assert bar.l <= min(bar.o, bar.c)
        assert max(bar.o, bar.c) <= bar.h


def test_price_at_is_continuous_across_session_boundaries(
    market: Market, real_market: Market
) -> None:
    for m in (market, real_market):
        for d in CALENDAR.trading_days(date(2026, 11, 2), date(2026, 11, 24)):
            session = CALENDAR.session(d)
            assert session is not None
            for edge in session:
                for symbol in ("AAPL", "BND"):
                    before = m.price_at(symbol, edge - timedelta(milliseconds=1))
                    after = m.price_at(symbol, edge + timedelta(milliseconds=1))
                    assert abs(after - before) <= Decimal("0.01")


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=datetime(2021, 1, 1), max_value=datetime(2026, 11, 25, 17)),
    st.sampled_from(["AAPL", "BTC/USD", "SPY", "GME"]),
)
def test_price_moves_little_within_a_second(
    market: Market, real_market: Market, naive: datetime, symbol: str
) -> None:
    t = naive.replace(tzinfo=UTC)
    for m in (market, real_market):
        a = m.price_at(symbol, t)
        b = m.price_at(symbol, t + timedelta(seconds=1))
        assert abs(b - a) <= max(Decimal("0.02"), a * Decimal("0.002"))


def test_real_mode_is_flat_off_session(real_market: Market) -> None:
    d = date(2026, 11, 20)  # a Friday
    close = real_market.close("AAPL", d)
    for t in (ny(d, 16, 1), ny(d, 20), ny(date(2026, 11, 21), 12), ny(date(2026, 11, 23), 9, 29)):
        assert real_market.price_at("AAPL", t) == close


def test_always_open_mode_moves_off_session_but_keeps_closes(
    market: Market, real_market: Market
) -> None:
    d = date(2026, 11, 20)
    close = market.close("AAPL", d)
    assert close == real_market.close("AAPL", d)
    weekend = [ny(date(2026, 11, 21), h) for h in range(0, 24, 2)]
    assert len(set(market.prices_at("AAPL", weekend))) > 3
    assert market.price_at("AAPL", ny(date(2026, 11, 23), 9, 30)) == close
    assert market.price_at("AAPL", ny(d, 16)) == close


def test_crypto_trades_every_day(real_market: Market) -> None:
    saturday = [ny(date(2026, 11, 21), h) for h in range(24)]
    assert len(set(real_market.prices_at("BTC/USD", saturday))) > 12


def test_prices_at_matches_price_at(market: Market) -> None:
    times = [NOW - timedelta(minutes=7 * i) for i in range(500)]
    assert market.prices_at("TSLA", times) == [market.price_at("TSLA", t) for t in times]


def test_trades_and_quotes_sit_on_the_price_path(market: Market) -> None:
    for symbol in ("AAPL", "SPY", "GME", "BND", "BTC/USD", "SOL/USD"):
        for k in range(20):
            t = NOW - timedelta(seconds=97 * k)
            price = market.price_at(symbol, t)
            trade = market.trade_at(symbol, t)
            assert trade.price == price
            assert trade.size > 0
            assert trade.t == t
            assert market.trade_at(symbol, t) == trade
            quote = market.quote_at(symbol, t)
            assert quote.bid < price < quote.ask
            assert quote.bid_size > 0
            assert quote.ask_size > 0


def test_dividend_payers_pay_quarterly(market: Market) -> None:
    dividends = market.dividends("KO", date(2025, 1, 1), date(2025, 12, 31))
    assert len(dividends) == 4
    for div in dividends:
        assert CALENDAR.is_trading_day(div.ex_date)
        assert div.pay_date > div.ex_date
        assert Decimal("0.1") < div.per_share < Decimal("2")
    assert market.dividends("AMZN", date(2021, 1, 1), date(2026, 11, 25)) == []
    assert market.dividends("BTC/USD", date(2021, 1, 1), date(2026, 11, 25)) == []
    assert all(
        div.ex_date <= NOW.date()
        for div in market.dividends("SCHD", date(2026, 1, 1), date(2027, 12, 31))
    )
    assert len(market.dividends("BND", date(2021, 1, 1), date(2025, 12, 31))) == 20
