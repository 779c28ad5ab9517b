"""Returns people can check by hand: time-weighted, money-weighted, realised gains, risk.

Conventions (GIPS basics, see docs/returns.md):
- An external flow (deposit +, withdrawal −) on a point happens at the start of that point's
  period, so the period's return is `V_t / (V_{t-1} + CF_t) − 1`, and a deposit is never a
  gain. Linked geometrically, these give the time-weighted return (TWR): what the
  investments did, whatever the size and timing of deposits.
- The money-weighted return (XIRR) is the rate that makes all flows and the final value
  balance: what happened to *your* money, timing included.
- Nothing here annualises a range shorter than a year; a figure that cannot be computed is
  None with a reason, never a fake 0% or 100%.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from portfolio_rt.core.money import CENT, ZERO
from portfolio_rt.core.money import Fill as Fill  # fills are the valuation module's

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Unavailable:
    """Why a figure is not shown."""

    reason: str


def period_returns(
    equity: Sequence[Decimal], flows: Sequence[Decimal], *, opening: Decimal | None = None
) -> list[float | None]:
    """Each point's return over the previous one, net of that point's external flow.

    `opening` is the value just before the first point when the range begins at the
    account's opening (0: nothing was invested yet), so the funding day's own gain or loss
    counts: `V_0 / (opening + CF_0) − 1`. Otherwise the first point is the range's base and
    has no return (None); so does any period that starts from nothing invested.
    """
    if len(equity) != len(flows):
        raise ValueError("equity and flows must have one value per point")
    out: list[float | None] = [None] * len(equity)
    for t in range(len(equity)):
        if t == 0 and opening is None:
            continue
        base = (equity[t - 1] if t else opening or ZERO) + flows[t]
        if base > 0:
            out[t] = float(equity[t] / base) - 1.0
    return out


def cumulative_twr(
    equity: Sequence[Decimal], flows: Sequence[Decimal], *, opening: Decimal | None = None
) -> list[float | None]:
    """The time-weighted return from the start of the range to each point, as a fraction;
    None until something has been invested."""
    growth = 1.0
    started = False
    out: list[float | None] = []
    for r in period_returns(equity, flows, opening=opening):
        if r is not None:
            growth *= 1.0 + r
            started = True
        out.append(growth - 1.0 if started else None)
    if opening is None and out and equity and equity[0] > 0:
        out[0] = 0.0
    return out


def twr(
    equity: Sequence[Decimal], flows: Sequence[Decimal], *, opening: Decimal | None = None
) -> float | Unavailable:
    """The time-weighted return over the whole range, cumulative (not annualised)."""
    if len(equity) < (1 if opening is not None else 2):
        return Unavailable("Not enough history yet.")
    series = cumulative_twr(equity, flows, opening=opening)
    last = series[-1]
    if last is None:
        return Unavailable("Nothing was invested in this range.")
    return last


def annualised(cumulative: float | Unavailable, years: float) -> float | Unavailable:
    """A cumulative return over `years` as a rate a year: `(1 + c)^(1/years) − 1`. Only for a
    year or more (GIPS): over a shorter span a yearly rate would be an extrapolation."""
    if isinstance(cumulative, Unavailable):
        return cumulative
    if years < 1:
        return Unavailable("Shown once the account is a year old.")
    return float((1.0 + cumulative) ** (1.0 / years) - 1.0)


@dataclass(frozen=True)
class MoneyLine:
    """Per point: net deposits as of that point, the money the range's gain is measured
    against, and the gain (value − invested)."""

    deposits: list[Decimal]
    invested: list[Decimal]
    gains: list[Decimal]


def money_line(
    equity: Sequence[Decimal], flows: Sequence[Decimal], *, opening: Decimal | None, before: Decimal
) -> MoneyLine:
    """The deposits line and the gain line of a range. Net deposits as of each point are
    `before` (what came in before the range) plus the flows up to that point. The gain is
    measured from `opening` plus the first flow when the range begins at the account's
    opening, else from the first point's value. A flow at a later point changes no earlier
    point of either line."""
    deposits: list[Decimal] = []
    invested: list[Decimal] = []
    gains: list[Decimal] = []
    moved, base = before, ZERO
    for t, (value, flow) in enumerate(zip(equity, flows, strict=True)):
        moved += flow
        if t == 0:
            base = (opening + flow) if opening is not None else value
        else:
            base += flow
        deposits.append(moved)
        invested.append(base)
        gains.append(value - base)
    return MoneyLine(deposits, invested, gains)


def years_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / (DAYS_PER_YEAR * 86400)


@dataclass(frozen=True)
class MoneyWeighted:
    """The money-weighted return on both bases: over the whole span, and a year (only for a
    span of a year or more)."""

    cumulative: float | Unavailable
    annual: float | Unavailable


def money_weighted(
    flows: Sequence[tuple[datetime, Decimal]], final_value: Decimal, at: datetime
) -> MoneyWeighted:
    """`xirr`'s rate a year, and what it compounds to over the span since the first flow."""
    rate = xirr(flows, final_value, at)
    if isinstance(rate, Unavailable):
        return MoneyWeighted(rate, rate)
    years = years_between(min(t for t, _ in flows), at)
    cumulative = float((1.0 + rate) ** years - 1.0)
    return MoneyWeighted(cumulative, annualised(cumulative, years))


def xirr(
    flows: Sequence[tuple[datetime, Decimal]], final_value: Decimal, at: datetime
) -> float | Unavailable:
    """The annual rate r with Σ CFᵢ·(1+r)^(−tᵢ) = V·(1+r)^(−T), by bisection (robust where
    Newton's method diverges). Flows are the investor's deposits (+) and withdrawals (−).
    The rate is a year's whatever the span: `money_weighted` gives it on both bases."""
    if not flows:
        return Unavailable("No deposits yet.")
    start = min(t for t, _ in flows)
    years = [years_between(start, t) for t, _ in flows]
    horizon = years_between(start, at)
    if horizon <= 0:
        return Unavailable("The account is too new.")
    amounts = [float(a) for _, a in flows]
    value = float(final_value)
    if sum(a for a in amounts if a > 0) <= 0:
        return Unavailable("No deposits yet.")

    def npv(rate: float) -> float:
        # Value at `at` of every flow grown at `rate`, minus what the account is worth.
        grown = 0.0
        for amount, year in zip(amounts, years, strict=True):
            grown += amount * float((1 + rate) ** (horizon - year))
        return grown - value

    lo, hi = -0.9999, 10.0
    f_lo, f_hi = npv(lo), npv(hi)
    if f_lo * f_hi > 0:
        return Unavailable("No single rate explains these flows.")
    for _ in range(200):
        mid = (lo + hi) / 2
        f_mid = npv(mid)
        if abs(f_mid) < 1e-9 or hi - lo < 1e-12:
            break
        if (f_mid > 0) == (f_hi > 0):
            hi, f_hi = mid, f_mid
        else:
            lo, f_lo = mid, f_mid
    return (lo + hi) / 2


@dataclass(frozen=True)
class RealizedLot:
    """One sale matched to the purchase lot(s) it closed, first in, first out."""

    symbol: str
    sold_at: datetime
    bought_at: datetime
    qty: Decimal
    proceeds: Decimal
    cost: Decimal

    @property
    def gain(self) -> Decimal:
        return self.proceeds - self.cost

    @property
    def long_term(self) -> bool:
        """Held more than a year (US tax treatment)."""
        return (self.sold_at - self.bought_at).days > 365


def realized_fifo(fills: Sequence[Fill]) -> list[RealizedLot]:
    """Match every sell to the oldest open buys of that symbol. A partial match splits the
    lot; cost is the lot's price × matched quantity. Rounded to the cent at the end only."""
    open_lots: dict[str, deque[_Lot]] = defaultdict(deque)
    out: list[RealizedLot] = []
    for fill in sorted(fills, key=lambda f: f.at):
        lots = open_lots[fill.symbol]
        if fill.side == "buy":
            lots.append(_Lot(fill.at, fill.qty, fill.price))
            continue
        remaining = fill.qty
        while remaining > 0 and lots:
            lot = lots[0]
            take = min(lot.qty, remaining)
            out.append(
                RealizedLot(
                    symbol=fill.symbol,
                    sold_at=fill.at,
                    bought_at=lot.bought_at,
                    qty=take,
                    proceeds=(take * fill.price).quantize(CENT),
                    cost=(take * lot.price).quantize(CENT),
                )
            )
            remaining -= take
            lot.qty -= take
            if lot.qty == 0:
                lots.popleft()
    return out


@dataclass
class _Lot:
    bought_at: datetime
    qty: Decimal
    price: Decimal


@dataclass(frozen=True)
class RiskStats:
    volatility: float | None  # annualised, fraction
    max_drawdown: float | None  # fraction, ≤ 0
    drawdown_start: int | None  # index of the peak
    drawdown_end: int | None  # index of the trough
    return_per_risk: float | None


def risk_stats(
    equity: Sequence[Decimal],
    flows: Sequence[Decimal],
    periods_per_year: float,
    *,
    opening: Decimal | None = None,
) -> RiskStats:
    """Volatility of the flow-adjusted period returns (annualised), the deepest fall of the
    time-weighted index from a peak (with where it started and ended), and their ratio."""
    returns = [r for r in period_returns(equity, flows, opening=opening) if r is not None]
    volatility = None
    if len(returns) >= 2:
        mean = sum(returns) / len(returns)
        var = sum((r - mean) ** 2 for r in returns) / (len(returns) - 1)
        volatility = math.sqrt(var) * math.sqrt(periods_per_year)
    index = cumulative_twr(equity, flows, opening=opening)
    peak_value, peak_at = -math.inf, None
    worst, worst_start, worst_end = 0.0, None, None
    for i, v in enumerate(index):
        if v is None:
            continue
        level = 1.0 + v
        if level > peak_value:
            peak_value, peak_at = level, i
        drawdown = level / peak_value - 1.0
        if drawdown < worst:
            worst, worst_start, worst_end = drawdown, peak_at, i
    total = index[-1] if index else None
    ratio = None
    if volatility and total is not None and volatility > 0:
        ratio = total / volatility
    has_index = any(v is not None for v in index)
    return RiskStats(
        volatility=volatility,
        max_drawdown=worst if has_index else None,
        drawdown_start=worst_start,
        drawdown_end=worst_end,
        return_per_risk=ratio,
    )


@dataclass(frozen=True)
class Dividend:
    paid_on: date
    symbol: str
    amount: Decimal


@dataclass(frozen=True)
class Income:
    by_month: list[tuple[str, Decimal]]  # ("2026-03", amount), oldest first
    by_holding: list[tuple[str, Decimal]]  # largest first
    trailing_12m: Decimal
    yield_on_cost: float | None  # trailing 12 months ÷ cost basis of what is held, fraction


def income(dividends: Sequence[Dividend], today: date, cost_basis: Decimal) -> Income:
    months: dict[str, Decimal] = defaultdict(lambda: ZERO)
    holdings: dict[str, Decimal] = defaultdict(lambda: ZERO)
    year_ago = date(today.year - 1, today.month, min(today.day, 28))
    trailing = ZERO
    for d in dividends:
        months[d.paid_on.strftime("%Y-%m")] += d.amount
        holdings[d.symbol] += d.amount
        if d.paid_on > year_ago:
            trailing += d.amount
    return Income(
        by_month=sorted(months.items()),
        by_holding=sorted(holdings.items(), key=lambda kv: kv[1], reverse=True),
        trailing_12m=trailing,
        yield_on_cost=float(trailing / cost_basis) if cost_basis > 0 else None,
    )
