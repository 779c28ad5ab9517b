"""The demo personas: who they are, and that every figure agrees with every other."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from portfolio_rt.sandbox.calendar import MarketCalendar, MarketClock
from portfolio_rt.sandbox.ledger import Ledger
from portfolio_rt.sandbox.market import Market
from portfolio_rt.sandbox.personas import (
    PERSONAS,
    add_generated_accounts,
    generated_account_id,
    persona_account_id,
    seed_accounts,
)
from portfolio_rt.sandbox.records import CENT, ActivityRecord
from portfolio_rt.sandbox.world import Sandbox
from tests.fixtures.settings import sandbox_config

NY = ZoneInfo("America/New_York")
# Wednesday 2026-03-04, 10:00 New York.
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
BROAD_KINDS = {"broad_etf", "intl_etf", "bond_etf"}


class World:
    """A market and a ledger seeded with the personas, frozen at `NOW`."""

    def __init__(self, seed: int = 7, market_hours: str = "always_open") -> None:
        def now() -> datetime:
            return NOW

        self.clock = MarketClock(MarketCalendar(), market_hours)  # type: ignore[arg-type]
        self.market = Market(
            seed, self.clock.calendar, self.clock, history_start=date(2020, 3, 4), now=now
        )
        self.ledger = Ledger(self.market, self.clock, now=now, transfer_delay=timedelta(seconds=30))
        self.ids = seed_accounts(self.ledger, self.market, extra_accounts=0, seed=seed)


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def age(born: date) -> int:
    today = NOW.date()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def test_five_personas_with_stable_ids(world: World) -> None:
    assert tuple(world.ids) == PERSONAS
    for name, account_id in world.ids.items():
        assert account_id == persona_account_id(name)
        assert world.ledger.account(account_id).persona == name


def test_maya_saves_monthly_into_broad_etfs_since_2022(world: World) -> None:
    ledger, account_id = world.ledger, world.ids["maya"]
    record = ledger.account(account_id)
    assert age(record.date_of_birth) == 24
    assert record.created_at.year == 2022
    positions = ledger.positions(account_id)
    assert 3 <= len(positions) <= 4
    kinds = {world.market.universe.get(p.symbol).kind for p in positions}  # type: ignore[union-attr]
    assert kinds <= BROAD_KINDS
    deposits = ledger.activities(account_id=account_id, activity_types=["CSD"], page_size=100)
    months = {(a.date.year, a.date.month) for a in deposits}
    assert len(months) == len(deposits) >= 48  # one a month, Jan 2022 to Feb 2026


def test_jordan_concentrates_in_a_few_tech_stocks_and_crypto(world: World) -> None:
    ledger, account_id = world.ledger, world.ids["jordan"]
    assert age(ledger.account(account_id).date_of_birth) == 29
    positions = ledger.positions(account_id)
    stocks = [p for p in positions if p.asset_class == "us_equity"]
    crypto = [p for p in positions if p.asset_class == "crypto"]
    assert 3 <= len(stocks) <= 5
    assert crypto
    sells = [
        a
        for a in ledger.activities(account_id=account_id, activity_types=["FILL"], page_size=100)
        if a.side == "sell"
    ]
    assert sells  # he trims a position now and then
    top = max(p.market_value for p in positions)
    assert top / ledger.balances(account_id).equity > Decimal("0.2")


def test_sam_holds_about_25_dividend_payers_and_receives_dividends(world: World) -> None:
    ledger, account_id = world.ledger, world.ids["sam"]
    assert age(ledger.account(account_id).date_of_birth) == 33
    positions = ledger.positions(account_id)
    assert 22 <= len(positions) <= 28
    universe = world.market.universe
    sectors = {universe.get(p.symbol).sector for p in positions}  # type: ignore[union-attr]
    assert len(sectors) >= 8
    assert all(universe.get(p.symbol).dividend_yield > 0 for p in positions)  # type: ignore[union-attr]
    dividends = ledger.activities(account_id=account_id, activity_types=["DIV"], page_size=100)
    assert len(dividends) >= 50
    held = {p.symbol for p in positions}
    for div in dividends:
        assert div.symbol in held
        assert div.qty is not None
        assert div.per_share_amount is not None
        assert div.net_amount == (div.qty * div.per_share_amount).quantize(CENT)


def test_alex_is_new_with_one_pending_deposit(world: World) -> None:
    ledger, account_id = world.ledger, world.ids["alex"]
    assert age(ledger.account(account_id).date_of_birth) == 19
    assert ledger.positions(account_id) == []
    (transfer,) = ledger.transfers(account_id)
    assert transfer.direction == "INCOMING"
    assert transfer.status in ("QUEUED", "SENT_TO_CLEARING")
    balances = ledger.balances(account_id)
    assert balances.cash == 0
    assert balances.equity == 0
    assert balances.pending_transfer_in == transfer.amount
    assert ledger.activities(account_id=account_id) == []
    assert ledger.orders(account_id, status="all") == []


def test_pat_holds_about_300_positions(world: World) -> None:
    positions = world.ledger.positions(world.ids["pat"])
    assert 280 <= len(positions) <= 320


@pytest.mark.parametrize("name", PERSONAS)
def test_every_figure_agrees_with_every_other(world: World, name: str) -> None:
    ledger, account_id = world.ledger, world.ids[name]
    balances = ledger.balances(account_id)
    positions = ledger.positions(account_id)
    activities = all_activities(ledger, account_id)
    # positions are the replay of the fills, cash the replay of every activity
    qty: dict[str, Decimal] = {}
    cash = Decimal(0)
    deposits = Decimal(0)
    for a in activities:
        if a.activity_type == "FILL":
            assert a.qty is not None
            assert a.price is not None
            sign = 1 if a.side == "buy" else -1
            qty[a.symbol or ""] = qty.get(a.symbol or "", Decimal(0)) + sign * a.qty
            cash -= sign * (a.qty * a.price).quantize(CENT)
        else:
            cash += a.net_amount or 0
            if a.activity_type in ("CSD", "CSW"):
                deposits += a.net_amount or 0
    assert {s: q for s, q in qty.items() if q} == {p.symbol: p.qty for p in positions}
    assert cash == balances.cash >= 0
    # equity is cash plus the positions at the live price
    assert balances.equity == balances.cash + sum((p.market_value for p in positions), Decimal(0))
    for p in positions:
        assert p.market_value == (p.qty * world.market.price_at(p.symbol, NOW)).quantize(CENT)
    # the history ends at today's equity, passes through yesterday's close at last_equity,
    # and its profit and loss over the whole life is equity less the money put in
    created = ledger.account(account_id).created_at
    history = ledger.portfolio_history(account_id, start=created, timeframe="1D")
    assert history.equity[-1] == balances.equity
    if len(history.equity) > 1:
        assert history.equity[-2] == balances.last_equity
    first_close = created_close(world, created)
    moved_in_later = sum(
        (
            a.net_amount or 0
            for a in activities
            if a.activity_type in ("CSD", "CSW") and a.at > first_close
        ),
        Decimal(0),
    )
    assert history.profit_loss[-1] == balances.equity - history.equity[0] - moved_in_later
    if deposits:
        orders = ledger.orders(account_id, status="all", limit=500)
        assert all(o.status == "filled" for o in orders)


def all_activities(ledger: Ledger, account_id: UUID) -> list[ActivityRecord]:
    """Every activity of the account, by following the page token."""
    out = []
    token = None
    while page := ledger.activities(account_id=account_id, page_token=token):
        out.extend(page)
        token = page[-1].id
    return out


def created_close(world: World, created: datetime) -> datetime:
    """The close of the first trading day on or after the account was opened."""
    calendar = world.clock.calendar
    d = world.clock.market_date(created)
    if not calendar.is_trading_day(d):
        d = calendar.next_trading_day(d)
    session = calendar.session(d)
    assert session is not None
    return session[1]


def test_the_same_seed_gives_the_same_accounts_and_histories(world: World) -> None:
    again = World()
    for name, account_id in world.ids.items():
        assert again.ids[name] == account_id
        assert again.ledger.balances(account_id) == world.ledger.balances(account_id)
        first = [a.id for a in world.ledger.activities(account_id=account_id)]
        assert [a.id for a in again.ledger.activities(account_id=account_id)] == first


def test_personas_build_under_real_market_hours() -> None:
    world = World(seed=11, market_hours="real")
    for account_id in world.ids.values():
        orders = world.ledger.orders(account_id, status="all", limit=500)
        assert all(o.status == "filled" for o in orders)


def test_generated_accounts_are_deterministic_and_replayed_on_first_use(world: World) -> None:
    ledger = world.ledger
    ids = add_generated_accounts(ledger, count=2000, seed=99, now=NOW)
    assert ids == [generated_account_id(99, i) for i in range(2000)]
    assert set(ids) <= set(ledger.accounts_with_positions())
    for account_id in ids[:20]:
        positions = ledger.positions(account_id)
        assert 2 <= len(positions) <= 5
        deposits = ledger.activities(account_id=account_id, activity_types=["CSD"])
        assert len(deposits) == 1
        balances = ledger.balances(account_id)
        assert balances.equity == balances.cash + sum(
            (p.market_value for p in positions), Decimal(0)
        )


def test_one_hundred_thousand_generated_accounts_register(
    world: World,
) -> None:
    ledger = Ledger(world.market, world.clock, now=lambda: NOW, transfer_delay=timedelta(0))
    ids = add_generated_accounts(ledger, count=100_000, seed=5, now=NOW)
    assert len(set(ids)) == 100_000
    assert len(ledger.accounts_with_positions()) == 100_000
    last = ledger.positions(ids[-1])  # built on first use
    assert last


@pytest.mark.parametrize("day", range(1, 32))
def test_every_persona_takes_a_deposit_and_an_order_on_any_day_of_a_month(day: int) -> None:
    """Personas' monthly stories stop at the ledger's now, so a transfer or an order made
    now is never earlier than an event already written (sam refused new transfers from the
    5th to the 8th: his 8th-of-the-month deposit was written ahead of time)."""
    now = datetime(2026, 12, day, 15, 0, tzinfo=UTC)  # 10:00 New York, Monday to Thursday
    sandbox = Sandbox.build(sandbox_config(), now=lambda: now)
    for name in PERSONAS:
        account = sandbox.personas[name]
        bank = sandbox.ledger.banks(account)[0]
        transfer = sandbox.ledger.create_transfer(
            account, relationship_id=bank.id, amount=Decimal(25), direction="INCOMING"
        )
        assert transfer.created_at == now, name
        assert all(t.created_at <= now for t in sandbox.ledger.transfers(account)), name
        if sandbox.ledger.balances(account).cash < 5:
            continue  # alex: his first deposit is still clearing
        order = sandbox.ledger.submit_order(
            account,
            symbol="VTI",
            side="buy",
            type="market",
            time_in_force="day",
            notional=Decimal(5),
        )
        assert order.submitted_at == now, name
