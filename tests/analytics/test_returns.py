"""Returns checked against hand-computed figures and the properties that define them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portfolio_rt.analytics.returns import (
    Dividend,
    Fill,
    Unavailable,
    annualised,
    cumulative_twr,
    income,
    money_line,
    money_weighted,
    realized_fifo,
    risk_stats,
    twr,
    xirr,
)

T0 = datetime(2025, 1, 2, 21, tzinfo=UTC)


def test_worked_example_from_the_issue() -> None:
    """$1,000 grows 10%, then $10,000 is deposited, then the market falls 5%."""
    equity = [D("1000"), D("1100"), D("10545")]
    flows = [D("0"), D("0"), D("10000")]
    assert twr(equity, flows) == pytest.approx(0.045)
    gain = equity[-1] - (D("1000") + D("10000"))
    assert gain == D("-455")


def test_deposit_is_not_a_gain() -> None:
    equity = [D("500"), D("1500")]
    assert twr(equity, [D("0"), D("1000")]) == pytest.approx(0.0)


def test_first_funding_of_an_empty_account_is_not_a_return() -> None:
    equity = [D("0"), D("1000"), D("1100")]
    flows = [D("0"), D("1000"), D("0")]
    assert cumulative_twr(equity, flows) == [None, pytest.approx(0.0), pytest.approx(0.1)]


def test_withdrawal_is_not_a_loss() -> None:
    equity = [D("2000"), D("1000"), D("1050")]
    flows = [D("0"), D("-1000"), D("0")]
    assert twr(equity, flows) == pytest.approx(0.05)


def test_not_enough_history_is_said_not_faked() -> None:
    assert isinstance(twr([D("10")], [D("0")]), Unavailable)
    assert isinstance(twr([D("0"), D("0")], [D("0"), D("0")]), Unavailable)


prices = st.lists(st.decimals("0.5", "2", places=4), min_size=2, max_size=30)


@settings(deadline=None)  # a loaded machine must not fail a property
@given(moves=prices, day=st.integers(0, 29), amount=st.decimals("1", "100000", places=2))
def test_twr_is_unchanged_by_a_deposit_on_a_flat_day(moves, day, amount) -> None:  # type: ignore[no-untyped-def]
    """Insert a flat day with a deposit anywhere: the time-weighted return does not move."""

    def grow(start: D, deposit_at: int | None) -> tuple[list[D], list[D]]:
        equity, flows = [start], [D(0)]
        for i, m in enumerate(moves):
            if i == deposit_at:  # a day on which prices do not move and money comes in
                equity.append(equity[-1] + amount)
                flows.append(amount)
            equity.append(equity[-1] * m)
            flows.append(D(0))
        return equity, flows

    plain = twr(*grow(D("1000"), None))
    with_deposit = twr(*grow(D("1000"), day % len(moves)))
    assert with_deposit == pytest.approx(plain, rel=1e-9, abs=1e-12)


def test_xirr_single_flow_closed_form_over_two_years() -> None:
    rate = xirr([(T0, D("1000"))], D("1210"), T0 + timedelta(days=2 * 365.25))
    assert rate == pytest.approx(0.10, abs=1e-6)


def test_money_weighted_under_a_year_is_cumulative_only() -> None:
    result = money_weighted([(T0, D("1000"))], D("1050"), T0 + timedelta(days=91))
    assert result.cumulative == pytest.approx(0.05, abs=1e-6)
    assert isinstance(result.annual, Unavailable)
    assert "a year" in result.annual.reason


def test_money_weighted_over_two_years_on_both_bases() -> None:
    result = money_weighted([(T0, D("1000"))], D("1210"), T0 + timedelta(days=2 * 365.25))
    assert result.cumulative == pytest.approx(0.21, abs=1e-6)
    assert result.annual == pytest.approx(0.10, abs=1e-6)


def test_annualised_is_only_for_a_year_or_more() -> None:
    assert annualised(0.21, 2.0) == pytest.approx(0.10)
    assert annualised(0.10, 1.0) == pytest.approx(0.10)
    assert isinstance(annualised(0.05, 0.99), Unavailable)
    assert isinstance(annualised(Unavailable("none"), 3.0), Unavailable)


def test_xirr_two_flows_matches_the_equation() -> None:
    flows = [(T0, D("1000")), (T0 + timedelta(days=365.25), D("1000"))]
    end = T0 + timedelta(days=2 * 365.25)
    rate = xirr(flows, D("2310"), end)
    assert isinstance(rate, float)
    assert 1000 * (1 + rate) ** 2 + 1000 * (1 + rate) == pytest.approx(2310, abs=1e-4)


def test_xirr_without_deposits_is_unavailable() -> None:
    assert isinstance(xirr([], D("0"), T0), Unavailable)


def test_fifo_matches_hand_computed_lots_with_a_partial_sell() -> None:
    fills = [
        Fill(T0, "AAPL", "buy", D("10"), D("100")),
        Fill(T0 + timedelta(days=30), "AAPL", "buy", D("5"), D("120")),
        Fill(T0 + timedelta(days=60), "AAPL", "sell", D("12"), D("130")),
        Fill(T0 + timedelta(days=400), "AAPL", "sell", D("3"), D("90")),
    ]
    lots = realized_fifo(fills)
    assert [(lot.qty, lot.cost, lot.proceeds, lot.gain) for lot in lots] == [
        (D("10"), D("1000.00"), D("1300.00"), D("300.00")),
        (D("2"), D("240.00"), D("260.00"), D("20.00")),
        (D("3"), D("360.00"), D("270.00"), D("-90.00")),
    ]
    assert [lot.long_term for lot in lots] == [False, False, True]


def test_fifo_keeps_symbols_apart_and_fractional_quantities() -> None:
    fills = [
        Fill(T0, "BTC/USD", "buy", D("0.5"), D("60000")),
        Fill(T0, "ETH/USD", "buy", D("2"), D("3000")),
        Fill(T0 + timedelta(days=1), "BTC/USD", "sell", D("0.125"), D("64000")),
    ]
    (lot,) = realized_fifo(fills)
    assert (lot.symbol, lot.qty, lot.gain) == ("BTC/USD", D("0.125"), D("500.00"))


def test_risk_stats_drawdown_and_dates() -> None:
    equity = [D("100"), D("120"), D("90"), D("95"), D("130")]
    stats = risk_stats(equity, [D(0)] * 5, periods_per_year=252)
    assert stats.max_drawdown == pytest.approx(90 / 120 - 1)
    assert (stats.drawdown_start, stats.drawdown_end) == (1, 2)
    assert stats.volatility is not None
    assert stats.volatility > 0


def test_drawdown_ignores_deposits() -> None:
    equity = [D("100"), D("50"), D("1050")]
    flows = [D(0), D(0), D("1000")]
    stats = risk_stats(equity, flows, periods_per_year=252)
    assert stats.max_drawdown == pytest.approx(-0.5)


def test_income_by_month_holding_and_trailing_year() -> None:
    divs = [
        Dividend(date(2025, 3, 15), "KO", D("10.00")),
        Dividend(date(2025, 12, 15), "KO", D("11.00")),
        Dividend(date(2026, 3, 15), "PEP", D("20.00")),
    ]
    result = income(divs, today=date(2026, 6, 1), cost_basis=D("1000"))
    assert result.by_month == [
        ("2025-03", D("10.00")),
        ("2025-12", D("11.00")),
        ("2026-03", D("20.00")),
    ]
    assert result.by_holding == [("KO", D("21.00")), ("PEP", D("20.00"))]
    assert result.trailing_12m == D("31.00")
    assert result.yield_on_cost == pytest.approx(0.031)


def test_a_hand_computed_account_from_its_opening() -> None:
    """Five days from an account's opening, worked by hand (start-of-day flows):

    day 0: $8,000 deposited, closes at 7,789.02   1 + r0 = 7789.02 / (0 + 8000)
    day 1: no flow,          closes at 7,900.00   1 + r1 = 7900 / 7789.02
    day 2: $1,000 deposited, closes at 8,850.00   1 + r2 = 8850 / (7900 + 1000)
    day 3: $500 withdrawn,   closes at 8,400.00   1 + r3 = 8400 / (8850 − 500)
    day 4: a $12.34 dividend (income, not a flow), closes at 8,480.00
                                                  1 + r4 = 8480 / 8400
    r0 = −2.63725% (the funding day's own loss, $210.98, counts).
    1 + TWR = (7900 / 8000) × (8850 / 8900) × (8400 / 8350) × (8480 / 8400)
            = (7900 × 8850 × 8480) / (8000 × 8900 × 8350)
            = 592,879,200,000 / 594,520,000,000 = 0.99724012…, so TWR = −0.275988%.
    Net deposits: 8,000 · 8,000 · 9,000 · 8,500 · 8,500
    Gain (value − net deposits): −210.98 · −100.00 · −150.00 · −100.00 · −20.00
    """
    equity = [D("7789.02"), D("7900.00"), D("8850.00"), D("8400.00"), D("8480.00")]
    flows = [D("8000"), D("0"), D("1000"), D("-500"), D("0")]
    series = cumulative_twr(equity, flows, opening=D(0))
    assert series[0] == pytest.approx(-0.02637250, abs=1e-8)
    assert series[-1] == pytest.approx(592_879_200_000 / 594_520_000_000 - 1, abs=1e-12)
    assert series[-1] == pytest.approx(-0.00275988, abs=1e-8)
    line = money_line(equity, flows, opening=D(0), before=D(0))
    assert line.deposits == [D("8000"), D("8000"), D("9000"), D("8500"), D("8500")]
    assert line.gains == [D("-210.98"), D("-100.00"), D("-150.00"), D("-100.00"), D("-20.00")]
    # The same days as a later range (no opening): measured from day 0's value and deposits.
    later = money_line(equity, flows, opening=None, before=D(0))
    assert later.gains[0] == 0
    assert later.gains[-1] == D("8480.00") - D("7789.02") - D("500")
    assert cumulative_twr(equity, flows)[-1] == pytest.approx(
        (1 + series[-1]) / (1 + series[0]) - 1, abs=1e-12
    )


points = st.lists(
    st.tuples(st.decimals("0", "50000", places=2), st.decimals("-2000", "5000", places=2)),
    min_size=1,
    max_size=25,
)


@settings(deadline=None)  # a loaded machine must not fail a property
@given(points, st.decimals("0.01", "10000", places=2), st.booleans())
def test_a_new_flow_never_moves_an_earlier_point(rows, amount, from_opening) -> None:  # type: ignore[no-untyped-def]
    """Money that arrives now (a new last point, or more on the last point) leaves every
    earlier point of the deposits line and of the gain line as it was."""
    equity = [v for v, _ in rows]
    flows = [f for _, f in rows]
    opening = D(0) if from_opening else None
    before = money_line(equity, flows, opening=opening, before=D(100))
    grown = money_line(
        [*equity, equity[-1] + amount], [*flows, amount], opening=opening, before=D(100)
    )
    assert grown.deposits[:-1] == before.deposits
    assert grown.gains[:-1] == before.gains
    assert grown.deposits[-1] == before.deposits[-1] + amount
    more = money_line(equity, [*flows[:-1], flows[-1] + amount], opening=opening, before=D(100))
    assert more.deposits[:-1] == before.deposits[:-1]
    assert more.gains[:-1] == before.gains[:-1]


@settings(deadline=None)  # a loaded machine must not fail a property
@given(
    st.lists(st.decimals("0.8", "1.25", places=4), min_size=2, max_size=20),
    st.data(),
)
def test_twr_is_unchanged_by_splitting_a_deposit_in_two_on_the_same_day(moves, data) -> None:  # type: ignore[no-untyped-def]
    """Deposits on one day all arrive at its start: two of $x and $y are one of $x + $y."""
    day = data.draw(st.integers(0, len(moves) - 1))
    amount = data.draw(st.decimals("1", "20000", places=2))
    part = data.draw(st.decimals("0.01", "0.99", places=2))

    def run(deposits: list[list[D]]) -> float | None:
        value, equity, flows = D(0), [], []
        for k, move in enumerate(moves):
            inflow = sum(deposits[k], D(0))
            value = ((value + inflow) * move).quantize(D("0.01"))
            equity.append(value)
            flows.append(inflow)
        return cumulative_twr(equity, flows, opening=D(0))[-1]

    base = [[D(1000)] if k == 0 else [] for k in range(len(moves))]
    whole = [list(d) for d in base]
    whole[day].append(amount)
    split = [list(d) for d in base]
    first = (amount * part).quantize(D("0.01"))
    split[day] += [first, amount - first]
    assert run(split) == run(whole)
