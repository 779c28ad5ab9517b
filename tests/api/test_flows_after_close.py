"""Money that arrives after the close: it moves no point that was already drawn (every
range's equity, deposits line, gain line and time-weighted return stay as they were, point by
point, while the summary's net deposits take it in at once), and it is never counted as the
next day's gain, in the summary or on the live socket."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from portfolio_rt.core.money import TodayBasis
from portfolio_rt.core.periods import PERIODS
from portfolio_rt.live.accounts import load_account
from portfolio_rt.state import RUNTIME
from tests.fixtures.frozen import StartWorld, World

# Wednesday 2026-11-18, 17:00 New York: an hour after the close.
AFTER_CLOSE = datetime(2026, 11, 18, 22, 0, tzinfo=UTC)
POINT_FIELDS = ("equity", "net_deposits", "profit_loss", "profit_loss_pct", "twr_pct")


@pytest.fixture
async def world(frozen_world: StartWorld) -> World:
    return await frozen_world(AFTER_CLOSE)


async def test_a_deposit_and_a_withdrawal_after_the_close_move_no_drawn_point(
    world: World,
) -> None:
    before = await world.ranges()
    summary_before = await world.get("/api/portfolio/summary")

    world.clock.advance(timedelta(hours=2))  # 19:00 New York
    world.transfer("1000.00", "INCOMING")
    world.clock.advance(timedelta(minutes=10))
    world.transfer("200.00", "OUTGOING")
    world.clock.advance(timedelta(minutes=20))  # both completed (transfer delay 0.5 s)

    after = await world.ranges()
    summary_after = await world.get("/api/portfolio/summary")
    assert Decimal(summary_after["net_deposits"]) == Decimal(
        summary_before["net_deposits"]
    ) + Decimal("800.00")

    for period in PERIODS:
        drawn, now = before[period], after[period]
        assert drawn["timestamp"], period
        index = {stamp: i for i, stamp in enumerate(now["timestamp"])}
        # Every point but the last, which is the live value (it moves on, as Total value does).
        for i, stamp in enumerate(drawn["timestamp"][:-1]):
            j = index[stamp]
            for field in POINT_FIELDS:
                assert now[field][j] == drawn[field][i], (period, field, stamp)
        assert now["equity"][-1] == summary_after["equity"], period
        assert now["net_deposits"][-1] == summary_after["net_deposits"], period


NY = ZoneInfo("America/New_York")


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY).astimezone(UTC)  # type: ignore[misc]


def independent_today(world: World) -> Decimal:
    """Today's return from prices alone: Σ qty × (price now − last close's), no cash flows
    involved (maya holds only exchange-traded funds and trades nothing in these days)."""
    return sum(
        (
            p.qty * p.current_price - p.qty * p.lastday_price
            for p in world.sandbox.ledger.positions(world.maya)
        ),
        Decimal(0),
    )


async def today_amount(world: World) -> Decimal:
    summary = await world.get("/api/portfolio/summary")
    amount = Decimal(summary["today_return"]["amount"])
    # The live engine's facts leave out the same money: the socket's figure agrees.
    gateway = world.client.app[RUNTIME].gateway
    facts = await load_account(gateway, str(world.maya), fresh=True)
    live = TodayBasis.of(facts.last_equity, facts.flows_today).gain(Decimal(summary["equity"]))
    assert live.amount == amount
    return amount


@pytest.mark.parametrize(
    ("deposit_at", "same_day", "next_session"),
    [
        # Wednesday 19:00, after the close; then Thursday at midnight and at 09:35.
        (ny(2026, 11, 18, 19, 0), ny(2026, 11, 19, 0, 0), ny(2026, 11, 19, 9, 35)),
        # Saturday 11:00; then Saturday noon and Monday 09:35.
        (ny(2026, 11, 21, 11, 0), ny(2026, 11, 21, 12, 0), ny(2026, 11, 23, 9, 35)),
        # Thanksgiving (no session) at noon; then 13:00 and Friday 09:35.
        (ny(2026, 11, 26, 12, 0), ny(2026, 11, 26, 13, 0), ny(2026, 11, 27, 9, 35)),
    ],
    ids=["evening", "saturday", "holiday"],
)
async def test_money_that_arrives_after_the_close_is_not_the_next_days_gain(
    frozen_world: StartWorld,
    deposit_at: datetime,
    same_day: datetime,
    next_session: datetime,
) -> None:
    world = await frozen_world(deposit_at)
    clock = world.clock
    world.transfer("1234.56", "INCOMING")
    clock.t = same_day
    # Markets are shut: no price has moved since the last close, and neither has the
    # return, whatever the deposit did to the value.
    assert independent_today(world) == 0
    assert await today_amount(world) == Decimal("0.00")
    clock.t = next_session
    moved = independent_today(world)
    assert moved != 0
    # Two rounded equities' difference is within a cent or two of the unrounded move.
    today = await today_amount(world)
    assert abs(today - moved) <= Decimal("0.02")
    # The 1D chart is measured from the same close and ends at the same live value.
    day = await world.get("/api/portfolio/history?period=1D")
    summary = await world.get("/api/portfolio/summary")
    assert day["equity"][-1] == summary["equity"]
    assert Decimal(day["change"]["amount"]) == today
