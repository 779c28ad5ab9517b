"""The stream's pure pieces without sockets: order book ladders and their changes, LULD bands,
late trades and the bars they cut, trading status codes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from portfolio_rt.sandbox.calendar import NY
from portfolio_rt.sandbox.market import Bar, Quote
from portfolio_rt.sandbox.order_books import DEPTH, book_at, changes, grid_step
from portfolio_rt.sandbox.stream_bars import MAX_LATE_S, cut_bar, late_seconds
from portfolio_rt.sandbox.stream_lulds import LuldBands, band_width, doubled, price_band
from portfolio_rt.sandbox.stream_statuses import trading_status
from portfolio_rt.sandbox.stream_test_feed import FakePaca

T0 = datetime(2026, 11, 18, 17, 0, 0, 123_456, tzinfo=UTC)
D = Decimal


def _quote(t: datetime, bid: str, ask: str) -> Quote:
    return Quote("BTC/USD", t, D(bid), D("0.4"), D(ask), D("0.6"), "", "", "", (), 17)


# -- order books ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "step"),
    [("90000", "50"), ("3000", "1"), ("140", "0.05"), ("20", "0.01"), ("0.15", "0.01")],
)
def test_the_grid_step_suits_the_price(price: str, step: str) -> None:
    assert grid_step(D(price)) == D(step)


def test_a_book_is_the_quote_on_top_of_a_ladder_and_the_same_for_every_reader() -> None:
    quote = _quote(T0, "90012.34", "90050.12")
    book = book_at("BTC/USD", quote)
    assert book == book_at("BTC/USD", quote)
    assert (book.bids[0].price, book.bids[0].size) == (quote.bid, quote.bid_size)
    assert (book.asks[0].price, book.asks[0].size) == (quote.ask, quote.ask_size)
    assert len(book.bids) == len(book.asks) == DEPTH
    assert [b.price for b in book.bids] == sorted((b.price for b in book.bids), reverse=True)
    assert [a.price for a in book.asks] == sorted(a.price for a in book.asks)
    assert all(level.size > 0 for level in (*book.bids, *book.asks))
    assert (book.t, book.nanos) == (T0, 17)


def test_a_cheap_pair_has_no_level_at_or_below_zero() -> None:
    book = book_at("DOGE/USD", _quote(T0, "0.05", "0.06"))
    assert [b.price for b in book.bids] == [D("0.05"), D("0.04"), D("0.03"), D("0.02"), D("0.01")]


def test_changes_turn_one_book_into_the_next() -> None:
    before = book_at("BTC/USD", _quote(T0, "90012.34", "90050.12"))
    after = book_at("BTC/USD", _quote(T0 + timedelta(seconds=1), "89990.00", "90031.00"))
    bids, asks = changes(before, after)
    assert bids
    assert asks
    assert all(
        level.size == 0 for level in bids if level.price not in {b.price for b in after.bids}
    )
    book = {level.price: level.size for level in before.bids}
    for level in bids:
        if level.size == 0:
            del book[level.price]
        else:
            book[level.price] = level.size
    assert book == {level.price: level.size for level in after.bids}
    assert changes(after, after) == ([], [])


def test_a_second_later_most_levels_stay() -> None:
    before = book_at("BTC/USD", _quote(T0, "90012.34", "90050.12"))
    after = book_at("BTC/USD", _quote(T0 + timedelta(seconds=1), "90012.34", "90050.12"))
    bids, asks = changes(before, after)
    assert 0 < len(bids) + len(asks) < DEPTH  # a few sizes moved, no level moved


# -- LULD bands ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "tier", "width"),
    [
        ("100", 1, "5"),
        ("100", 2, "10"),
        ("2.00", 1, "0.40"),
        ("2.00", 2, "0.40"),
        ("0.50", 2, "0.15"),
        ("0.10", 2, "0.075"),
    ],
)
def test_band_widths_follow_the_plan(reference: str, tier: int, width: str) -> None:
    assert band_width(D(reference), tier, doubled=False) == D(width)
    assert band_width(D(reference), tier, doubled=True) == 2 * D(width)


def test_bands_double_at_the_open_and_for_tier_1_at_the_close() -> None:
    opens = datetime(2026, 11, 18, 9, 30, tzinfo=NY).astimezone(UTC)
    closes = datetime(2026, 11, 18, 16, 0, tzinfo=NY).astimezone(UTC)
    session = (opens, closes)
    assert doubled(session, opens + timedelta(minutes=14), 2, D(50))
    assert not doubled(session, opens + timedelta(minutes=15), 1, D(50))
    assert doubled(session, closes - timedelta(minutes=25), 1, D(50))
    assert not doubled(session, closes - timedelta(minutes=25), 2, D(50))
    assert doubled(session, closes - timedelta(minutes=1), 2, D(2))
    assert not doubled(None, opens, 1, D(50))


def test_price_bands_round_to_the_cent_and_stay_positive() -> None:
    assert price_band(D("100.004"), D("5.0002")) == (D("95.00"), D("105.00"))
    assert price_band(D("0.01"), D("0.0075")) == (D("0.01"), D("0.02"))


class _Steps:
    """A source whose price is `level` until the test changes it."""

    symbols: Sequence[str] = ("X",)

    def __init__(self) -> None:
        self.level = D(100)

    def prices(self, symbol: str, times: Sequence[datetime]) -> list[Decimal]:
        return [self.level for _ in times]

    def tier(self, symbol: str) -> int:
        return 1

    def tape(self, symbol: str) -> str:
        return "C"

    def session(self, t: datetime) -> None:
        return None


def test_a_new_band_only_when_the_reference_moves_one_percent() -> None:
    source = _Steps()
    bands = LuldBands(source)  # type: ignore[arg-type]
    first = bands.current("X", T0)
    assert (first.down, first.up, first.indicator, first.tape) == (D(95), D(105), "B", "C")
    source.level = D("100.99")
    assert bands.advance("X", T0 + timedelta(seconds=15)) is None
    source.level = D("101.00")
    moved = bands.advance("X", T0 + timedelta(seconds=30))
    assert moved is not None
    assert (moved.down, moved.up) == (D("95.95"), D("106.05"))
    assert bands.current("X", T0 + timedelta(seconds=45)) == moved
    opening = bands.open_session("X", T0 + timedelta(hours=1))
    assert opening.indicator == "A"


# -- late trades ---------------------------------------------------------------------------------


def test_late_trades_come_in_about_the_share_of_minutes_asked() -> None:
    minutes = [T0.replace(microsecond=0, second=0) + timedelta(minutes=k) for k in range(2000)]
    late = [late_seconds("AAPL", m, 0.25) for m in minutes]
    assert 0.2 < sum(1 for s in late if s) / len(late) < 0.3
    assert {s for s in late if s} <= set(range(1, MAX_LATE_S + 1))
    assert not any(late_seconds("AAPL", m, 0.0) for m in minutes)
    assert all(late_seconds("AAPL", m, 1.0) for m in minutes)


def test_a_cut_bar_is_the_whole_bar_up_to_the_cut() -> None:
    source = FakePaca()
    minute = T0.replace(second=0, microsecond=0)
    whole = source.minute_bar("FAKEPACA", minute)
    cut = cut_bar(source, "FAKEPACA", whole, 7)
    assert isinstance(cut, Bar)
    assert cut.t == whole.t
    assert cut.o == whole.o
    assert cut.c == source.prices("FAKEPACA", [minute + timedelta(seconds=53)])[0]
    assert whole.l <= cut.l <= min(cut.o, cut.c) <= max(cut.o, cut.c) <= cut.h <= whole.h
    assert cut.v == int(whole.v * 53 / 60)


# -- statuses ------------------------------------------------------------------------------------


def test_statuses_use_each_plans_resumption_code() -> None:
    assert trading_status("AAPL", "C", T0) == {
        "T": "s",
        "S": "AAPL",
        "sc": "T",
        "sm": "Trading Resumption",
        "rc": "",
        "rm": "",
        "t": T0,
        "z": "C",
    }
    assert trading_status("JPM", "A", T0)["sc"] == "3"
    assert trading_status("SPY", "B", T0)["sm"] == "Resume"
