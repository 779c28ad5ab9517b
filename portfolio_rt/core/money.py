"""Pure money math for the page's figures, all in Decimal: returns, weights, first buys.

A deposit is not a gain: today's return takes out today's net deposits, and the all-time
return is measured against everything deposited, net of withdrawals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

CENT = Decimal("0.01")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Return:
    """An amount of money and, when there was money at stake, the percentage it is of it."""

    amount: Decimal
    pct: float | None

    def as_json(self) -> dict[str, object]:
        return {"amount": money(self.amount), "pct": self.pct}


@dataclass(frozen=True)
class CashFlow:
    """Money moved into (positive) or out of (negative) the account from outside it."""

    at: datetime
    amount: Decimal
    kind: str = ""
    """Alpaca's activity type: CSD (deposit), CSW (withdrawal), JNLC (cash journal), JNLS
    (share journal, valued at its quantity × price)."""


@dataclass(frozen=True)
class Fill:
    """One execution: what was bought or sold, when, how much, at what price."""

    at: datetime
    symbol: str
    side: str  # "buy" | "sell"
    qty: Decimal
    price: Decimal


def money(value: Decimal) -> Decimal:
    """Round to the cent, banker's rounding, as statements do."""
    return value.quantize(CENT, rounding=ROUND_HALF_EVEN)


def percent(part: Decimal, whole: Decimal) -> float | None:
    """`part / whole` in percent with 2 decimals; None when nothing was at stake."""
    if whole <= 0:
        return None
    return float((part * 100 / whole).quantize(CENT, rounding=ROUND_HALF_EVEN))


@dataclass(frozen=True)
class TodayBasis:
    """What today's return is measured against, folded once per account and day so the live
    flusher prices each new equity with one subtraction and one division."""

    offset: Decimal
    """Yesterday's close plus today's net deposits: equity above it is today's gain."""
    stake: Decimal
    """Yesterday's close plus today's deposits (not withdrawals): what was invested today."""

    @classmethod
    def of(cls, last_equity: Decimal, net_flows_today: Decimal) -> TodayBasis:
        return cls(last_equity + net_flows_today, last_equity + max(net_flows_today, ZERO))

    def gain(self, equity: Decimal) -> Return:
        amount = equity - self.offset
        return Return(money(amount), percent(amount, self.stake))


def today_return(equity: Decimal, last_equity: Decimal, net_flows_today: Decimal) -> Return:
    """Today's gain: the change since the last close minus the money moved in today,
    as a share of what was invested (yesterday's value plus today's deposits)."""
    return TodayBasis.of(last_equity, net_flows_today).gain(equity)


def all_time_return(equity: Decimal, net_deposits: Decimal) -> Return:
    """Gain since the account opened: value now minus everything put in, net."""
    amount = equity - net_deposits
    return Return(money(amount), percent(amount, net_deposits))


def net_flows(flows: Iterable[CashFlow], since: datetime | None = None) -> Decimal:
    return sum((f.amount for f in flows if since is None or f.at >= since), ZERO)


def range_gain(gain: Decimal, invested: Decimal) -> dict[str, object]:
    """A range's change: what the account gained over it, deposits and withdrawals left
    out, as an amount and a share of the money it is measured against; "up" when it gained
    or broke even."""
    direction = "up" if gain >= 0 else "down"
    return {"amount": money(gain), "pct": percent(gain, invested), "direction": direction}


def weights_pct(values: Sequence[Decimal]) -> list[float]:
    """Each value's share of the total, in percent; all zero when the total is zero."""
    total = sum(values, ZERO)
    if total <= 0:
        return [0.0 for _ in values]
    return [float((v * 100 / total).quantize(CENT, rounding=ROUND_HALF_EVEN)) for v in values]


def first_bought_at(fills: Iterable[Fill]) -> dict[str, datetime]:
    """When each position was last opened from zero: the first buy after the holding was
    last empty (a position sold out and bought again dates from the new first buy)."""
    held: dict[str, Decimal] = {}
    opened: dict[str, datetime] = {}
    for fill in sorted(fills, key=lambda f: f.at):
        before = held.get(fill.symbol, ZERO)
        after = before + fill.qty if fill.side == "buy" else before - fill.qty
        if before <= 0 < after:
            opened[fill.symbol] = fill.at
        elif after <= 0:
            opened.pop(fill.symbol, None)
        held[fill.symbol] = after
    return opened
