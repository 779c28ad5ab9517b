"""Money moved into and out of an account from outside, read from its activities."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from ..core.money import ZERO, CashFlow
from ..core.periods import NEW_YORK
from .gateway import BrokerGateway, decimal_of
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
        flows.append(CashFlow(at=at.astimezone(UTC), amount=amount))
    return flows, fetched
