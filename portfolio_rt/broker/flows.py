"""Money moved into and out of an account from outside: every flow from the activities, and
today's from the moment each one completed (an activity's date cannot tell a deposit made
before the close from one made after it; the transfer's completion time can)."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from alpaca.broker.models import TradeAccount, Transfer

from ..core.money import ZERO, CashFlow, money
from ..core.periods import NEW_YORK
from .gateway import BrokerGateway, decimal_of, enum_value
from .read_cache import Fetched

CASH_FLOW_TYPES = ("CSD", "CSW", "JNLC")
"""External cash: deposits, withdrawals and cash journals in or out (what the broker's
portfolio history is asked to report at each point)."""
SHARE_JOURNAL = "JNLS"
"""Shares journaled in or out: money's worth moved from outside, not a gain. Its activity
carries no amount (`net_amount` 0), so it is valued at its quantity × price."""
FLOW_TYPES = (*CASH_FLOW_TYPES, SHARE_JOURNAL)
JOURNALS = frozenset({"JNLC", SHARE_JOURNAL})


def activity_amount(activity: Any) -> Decimal:
    """What a non-trade activity moved, in dollars (a share journal at quantity × price)."""
    if enum_value(getattr(activity, "activity_type", None)) == SHARE_JOURNAL:
        qty = decimal_of(getattr(activity, "qty", None)) or ZERO
        price = decimal_of(getattr(activity, "price", None)) or ZERO
        return money(qty * price)
    return decimal_of(getattr(activity, "net_amount", None)) or ZERO


async def cash_flows(
    gateway: BrokerGateway, account_id: UUID
) -> tuple[list[CashFlow], Fetched[Any]]:
    """Money moved in and out from outside: deposits positive, withdrawals negative, shares
    journaled at their value."""
    fetched = await gateway.all_activities(account_id, FLOW_TYPES)
    flows = []
    for activity in fetched.value:
        amount = activity_amount(activity)
        if getattr(activity, "status", None) == "canceled":
            continue
        day = getattr(activity, "date", None)
        at = datetime.combine(day, datetime.min.time(), NEW_YORK) if day else datetime.now(UTC)
        kind = enum_value(getattr(activity, "activity_type", None)) or ""
        flows.append(CashFlow(at=at.astimezone(UTC), amount=amount, kind=kind))
    return flows, fetched


COMPLETED = frozenset({"COMPLETE", "SETTLED"})
"""Transfer statuses whose money is in the account (and so in its equity)."""


def moved_since(
    transfers: Iterable[Transfer], flows: Iterable[CashFlow], since: datetime
) -> Decimal:
    """Net external money that reached the account after `since` (the moment its
    `last_equity` was taken): transfers by the time they completed, journals (which have
    only a date) when dated after `since`'s day."""
    total = ZERO
    for t in transfers:
        done = t.updated_at or t.created_at
        if enum_value(t.status) in COMPLETED and done >= since:
            amount = decimal_of(t.amount) or ZERO
            total += amount if enum_value(t.direction) == "INCOMING" else -amount
    return total + sum((f.amount for f in flows if f.kind in JOURNALS and f.at > since), ZERO)


def last_close(account: TradeAccount, now: datetime) -> datetime:
    """When the account's `last_equity` was taken: Alpaca's `previous_close`, else (a
    response without it) the start of today in New York."""
    if account.previous_close is not None:
        return account.previous_close
    return datetime.combine(now.astimezone(NEW_YORK).date(), datetime.min.time(), NEW_YORK)


def today_flows(
    account: TradeAccount, transfers: Iterable[Transfer], flows: Iterable[CashFlow], now: datetime
) -> Decimal:
    """Net deposits since the account's last close: what today's return must leave out."""
    return moved_since(transfers, flows, last_close(account, now))


def with_share_journals(
    stamps: Sequence[int], point_flows: Sequence[Decimal], flows: Iterable[CashFlow]
) -> list[Decimal]:
    """Each history point's external flows plus the shares journaled by it, which the
    broker's history is not asked for (its cash-flow map holds cash). A journal has only a
    date, so it lands on the first point of its New York day (a daily range's point for that
    day; on an intraday range, the day's first point), or the next point when that day has
    none; one from before the range's first day or after its last point is not the range's."""
    out = list(point_flows)
    journals = [flow for flow in flows if flow.kind == SHARE_JOURNAL]
    if not journals:  # nearly every account, on every summary and history read
        return out
    days = [datetime.fromtimestamp(stamp, NEW_YORK).date() for stamp in stamps]
    for flow in journals:
        day = flow.at.astimezone(NEW_YORK).date()
        at = bisect_left(days, day)
        if days and days[0] <= day and at < len(out):  # not before the range, nor after it
            out[at] += flow.amount
    return out
