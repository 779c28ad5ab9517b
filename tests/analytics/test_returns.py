"""Returns checked against hand-computed figures and the properties that define them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portfolio_rt.analytics.returns import (
    Dividend,
    Fill,
    Unavailable,
    cumulative_twr,
    income,
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


def test_xirr_under_a_year_is_not_annualised() -> None:
    result = xirr([(T0, D("1000"))], D("1050"), T0 + timedelta(days=91))
    assert result == pytest.approx(0.05, abs=1e-6)


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
