"""A ledger on the real market with a clock the test moves by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from portfolio_rt.sandbox.calendar import MarketCalendar, MarketClock
from portfolio_rt.sandbox.ledger import Ledger
from portfolio_rt.sandbox.market import Market
from portfolio_rt.sandbox.settings import MarketHours
from tests.fixtures.clock import ManualClock

# Tuesday 2025-06-10, 11:00 New York: the equity session is open.
IN_SESSION = datetime(2025, 6, 10, 15, 0, tzinfo=UTC)
# Saturday 2025-06-14, 14:00 New York: equities closed, crypto trading.
WEEKEND = datetime(2025, 6, 14, 18, 0, tzinfo=UTC)
HISTORY_START = date(2024, 1, 2)
DELAY = timedelta(seconds=30)


@dataclass
class LedgerWorld:
    clock: ManualClock
    market_clock: MarketClock
    market: Market
    ledger: Ledger


def build_market(
    now: ManualClock, market_hours: MarketHours = "real"
) -> tuple[MarketClock, Market]:
    """The real market frozen at the clock's time (it may be moved a few days forward)."""
    market_clock = MarketClock(MarketCalendar(), market_hours)
    market = Market(7, market_clock.calendar, market_clock, history_start=HISTORY_START, now=now)
    return market_clock, market


def build_ledger(
    start: datetime = IN_SESSION,
    market_hours: MarketHours = "real",
    delay: timedelta = DELAY,
    fill_delay: timedelta = timedelta(0),
) -> LedgerWorld:
    """A fresh ledger on a fresh market; the clock starts at `start`. Orders fill as they are
    placed unless `fill_delay` says otherwise (then as Alpaca's: accepted, then traded)."""
    clock = ManualClock(start)
    market_clock, market = build_market(clock, market_hours)
    ledger = Ledger(market, market_clock, now=clock, transfer_delay=delay, fill_delay=fill_delay)
    ledger.events.seal()
    return LedgerWorld(clock, market_clock, market, ledger)


def open_account(ledger: Ledger, at: datetime, name: str = "Test") -> tuple[UUID, UUID]:
    """An account with a linked bank; returns (account id, relationship id)."""
    account = ledger.create_account(
        given_name=name, family_name="Investor", email=f"{name.lower()}@example.com", created_at=at
    )
    bank = ledger.link_bank(
        account.id,
        owner_name=f"{name} Investor",
        bank_account_type="CHECKING",
        account_number="123456789",
        routing_number="121000358",
        at=at,
    )
    return account.id, bank.id


def funded_account(world: LedgerWorld, amount: Decimal = Decimal(10_000)) -> UUID:
    """An account whose deposit cleared a minute before the clock's time."""
    start = world.clock.t - timedelta(minutes=5)
    account_id, bank_id = open_account(world.ledger, start)
    world.ledger.create_transfer(
        account_id, relationship_id=bank_id, amount=amount, direction="INCOMING", at=start
    )
    world.ledger.advance(world.clock.t)
    return account_id
