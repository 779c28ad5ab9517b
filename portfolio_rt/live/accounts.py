"""One account's facts the live value needs beyond its positions: cash, last close and the
net deposits since that close (a deposit is not a gain), read through the broker gateway."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID

from ..broker.flows import cash_flows, today_flows
from ..broker.gateway import BrokerGateway, decimal_of
from ..core.money import ZERO
from ..core.periods import NEW_YORK
from .position_figures import PositionBasis


@dataclass
class AccountFacts:
    cash: Decimal
    last_equity: Decimal
    flows_today: Decimal
    day: date
    positions: dict[str, float]
    prices: dict[str, float]
    bases: dict[str, PositionBasis] = field(default_factory=dict)
    """What each position's returns are measured against (the positions topic's figures)."""


def market_day(now: datetime | None = None) -> date:
    """Today's date in New York (the day Alpaca's `last_equity` and today's return refer to)."""
    return (now or datetime.now(UTC)).astimezone(NEW_YORK).date()


async def load_account(gateway: BrokerGateway, account_id: str, *, fresh: bool) -> AccountFacts:
    """Cash, last_equity, positions and today's net deposits; `fresh` skips the read cache."""
    uid = UUID(account_id)
    if fresh:
        gateway.invalidate_account(uid)
    account, positions, (flows, _), transfers = await asyncio.gather(
        gateway.trade_account(uid),
        gateway.positions(uid),
        cash_flows(gateway, uid),
        gateway.transfers(uid),
    )
    now = datetime.now(UTC)
    day = market_day(now)
    held: dict[str, float] = {}
    prices: dict[str, float] = {}
    bases: dict[str, PositionBasis] = {}
    for p in positions.value:
        qty = decimal_of(p.qty) or ZERO
        if qty:
            held[p.symbol] = float(qty)
            value = decimal_of(p.market_value) or ZERO
            today = decimal_of(p.unrealized_intraday_pl) or ZERO
            bases[p.symbol] = PositionBasis.of(decimal_of(p.cost_basis) or ZERO, value - today)
        price = decimal_of(p.current_price)
        if price:
            prices[p.symbol] = float(price)
    trade = account.value
    return AccountFacts(
        cash=decimal_of(trade.cash) or ZERO,
        last_equity=decimal_of(trade.last_equity) or ZERO,
        flows_today=today_flows(account.value, transfers.value, flows, now),
        day=day,
        positions=held,
        prices=prices,
        bases=bases,
    )


async def load_cash(gateway: BrokerGateway, account_id: str) -> tuple[Decimal, Decimal]:
    """Cash and last_equity alone, read fresh: one call where `load_account` makes several
    (what a fill or a dividend changes; positions come from the event itself)."""
    uid = UUID(account_id)
    gateway.invalidate_account(uid)
    trade = (await gateway.trade_account(uid)).value
    return decimal_of(trade.cash) or ZERO, decimal_of(trade.last_equity) or ZERO
