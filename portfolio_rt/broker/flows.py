"""Money moved into and out of an account from outside: every flow from the activities, and
today's from the moment each one completed (an activity's date cannot tell a deposit made
before the close from one made after it; the transfer's completion time can)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from alpaca.broker.models import TradeAccount, Transfer

from ..core.money import ZERO, CashFlow
from ..core.periods import NEW_YORK
from .gateway import BrokerGateway, decimal_of, enum_value
from .read_cache import Fetched

CASH_FLOW_TYPES = ("CSD", "CSW", "JNLC")
"""External cash: deposits, withdrawals and cash journals in or out."""


async def cash_flows(
    gateway: BrokerGateway, account_id: UUID
) -> tuple[list[CashFlow], Fetched[Any]]:
    """Money moved in and out from outside: deposits positive, withdrawals negative."""
    fetched = await gateway.all_activities(account_id, CASH_FLOW_TYPES)
    flows = []
    for activity in fetched.value:
        amount = decimal_of(getattr(activity, "net_amount", None)) or ZERO
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
    `last_equity` was taken): transfers by the time they completed, cash journals (which
    have only a date) when dated after `since`'s day."""
    total = ZERO
    for t in transfers:
        done = t.updated_at or t.created_at
        if enum_value(t.status) in COMPLETED and done >= since:
            amount = decimal_of(t.amount) or ZERO
            total += amount if enum_value(t.direction) == "INCOMING" else -amount
    return total + sum((f.amount for f in flows if f.kind == "JNLC" and f.at > since), ZERO)


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
