"""One account's state inside the ledger: its records, holdings and time-ordered money events.

The event list is the source every derived figure (balances at the last close, portfolio history)
is computed from, so positions and cash can always be replayed from it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from .records import (
    ZERO,
    AccountRecord,
    ActivityRecord,
    BankRecord,
    OrderRecord,
    TransferRecord,
)


@dataclass(slots=True)
class Holding:
    """Shares of one symbol: quantity and what was paid for the quantity still held."""

    qty: Decimal
    cost_basis: Decimal
    first_bought_at: datetime


@dataclass(frozen=True, slots=True)
class MoneyEvent:
    """A change of cash and/or of one symbol's quantity at one instant.

    `flow` names the cash-flow activity type (CSD, CSW, JNLC, JNLS, DIV) for non-trade money;
    fills have none. `flow_value` is what a flow of shares (JNLS) is worth when it moves; a cash
    flow's value is its cash.
    """

    at: datetime
    cash_delta: Decimal
    symbol: str | None = None
    qty_delta: Decimal = ZERO
    flow: str | None = None
    flow_value: Decimal | None = None

    @property
    def flow_amount(self) -> Decimal:
        """What the flow moved into (+) or out of (−) the account, in dollars."""
        return self.cash_delta if self.flow_value is None else self.flow_value


@dataclass(slots=True)
class Book:
    """Everything the ledger keeps for one account."""

    record: AccountRecord
    cash: Decimal = ZERO
    holdings: dict[str, Holding] = field(default_factory=dict)
    banks: list[BankRecord] = field(default_factory=list)
    transfers: list[TransferRecord] = field(default_factory=list)
    orders: list[OrderRecord] = field(default_factory=list)
    orders_by_id: dict[UUID, OrderRecord] = field(default_factory=dict)
    orders_by_client_id: dict[str, OrderRecord] = field(default_factory=dict)
    open_orders: dict[UUID, OrderRecord] = field(default_factory=dict)
    activities: list[ActivityRecord] = field(default_factory=list)
    activities_sorted: bool = True
    events: list[MoneyEvent] = field(default_factory=list)
    last_at: datetime | None = None
    activity_seq: int = 0
    last_activity_ms: int = 0
    dividend_tracked: set[str] = field(default_factory=set)
    daily_equity: dict[date, Decimal] = field(default_factory=dict)

    def add_event(self, event: MoneyEvent) -> None:
        """Append an event (events arrive in time order) and drop cached days it changes."""
        self.events.append(event)
        if self.daily_equity:
            event_date = event.at.date()
            # A cached close at or after the event's instant is stale; the cache is keyed by NY
            # date, so dropping every day from the UTC date before the event on is safe.
            self.daily_equity = {
                d: v for d, v in self.daily_equity.items() if (event_date - d).days > 1
            }

    def add_activity(self, activity: ActivityRecord) -> None:
        """Keep the account's activities sorted by id (ids sort by time, then sequence)."""
        if self.activities and self.activities[-1].id > activity.id:
            self.activities_sorted = False
        self.activities.append(activity)

    def sorted_activities(self) -> list[ActivityRecord]:
        """The account's activities in ascending id order."""
        if not self.activities_sorted:
            self.activities.sort(key=lambda a: a.id)
            self.activities_sorted = True
        return self.activities

    def state_at(self, t: datetime) -> tuple[Decimal, dict[str, Decimal]]:
        """Cash and quantities held at instant `t` (events at exactly `t` included)."""
        cash = self.cash
        qty = {s: h.qty for s, h in self.holdings.items()}
        cut = bisect_right(self.events, t, key=lambda e: e.at)
        for event in self._after(cut):
            cash -= event.cash_delta
            if event.symbol is not None:
                qty[event.symbol] = qty.get(event.symbol, ZERO) - event.qty_delta
        return cash, {s: q for s, q in qty.items() if q != 0}

    def _after(self, cut: int) -> Sequence[MoneyEvent]:
        return self.events[cut:]
