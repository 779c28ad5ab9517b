"""Journals through the service: a cash reward journaled from the firm account into maya's, and
shares journaled from maya's to jordan's, read back as a person and a script meet them. Each
shows in the activities (as a transfer, with its amount), is money moved in the history's net
deposits and in the summary's returns, never a gain: the gain lines, all-time and today's
returns stay as they were, at the same prices (the world's clock is frozen)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from portfolio_rt.core.periods import PERIODS
from portfolio_rt.sandbox.journals import FIRM_ACCOUNT_ID, JournalRequest
from tests.fixtures.frozen import StartWorld, World

# Wednesday 2026-11-18, 11:00 New York: in session.
IN_SESSION = datetime(2026, 11, 18, 16, 0, tzinfo=UTC)
CENT = Decimal("0.01")


@pytest.fixture
async def world(frozen_world: StartWorld) -> World:
    return await frozen_world(IN_SESSION)


def returns(summary: dict[str, Any]) -> tuple[Decimal, Decimal]:
    return (
        Decimal(summary["all_time_return"]["amount"]),
        Decimal(summary["today_return"]["amount"]),
    )


async def test_a_cash_reward_is_net_deposits_and_a_transfer_not_a_gain(world: World) -> None:
    before = await world.get("/api/portfolio/summary")
    ranges_before = await world.ranges()

    world.sandbox.journals.create(
        JournalRequest(
            "JNLC", FIRM_ACCOUNT_ID, world.maya, "Cash-back reward", amount=Decimal("25.00")
        )
    )

    after = await world.get("/api/portfolio/summary")
    assert Decimal(after["equity"]) == Decimal(before["equity"]) + 25
    assert Decimal(after["net_deposits"]) == Decimal(before["net_deposits"]) + 25
    assert returns(after) == returns(before)
    ranges = await world.ranges()
    for period in PERIODS:
        drawn, now = ranges_before[period], ranges[period]
        assert Decimal(now["net_deposits"][-1]) == Decimal(drawn["net_deposits"][-1]) + 25, period
        assert now["profit_loss"] == drawn["profit_loss"], period
        assert now["change"]["amount"] == drawn["change"]["amount"], period

    listed = await world.get("/api/portfolio/activities?types=journal")
    (journal,) = listed["activities"]
    assert (journal["type"], journal["code"]) == ("journal", "JNLC")
    assert Decimal(journal["amount"]) == Decimal(25)
    assert journal["description"] == "Cash-back reward"
    by_code = await world.get("/api/portfolio/activities?types=JNLC,JNLS")
    assert [a["id"] for a in by_code["activities"]] == [journal["id"]]


async def test_shares_journaled_are_flows_at_their_value_on_both_sides(world: World) -> None:
    ledger = world.sandbox.ledger
    jordan = world.sandbox.personas["jordan"]
    held = ledger.positions(world.maya)[0]
    before = {name: await world.get("/api/portfolio/summary", name) for name in ("maya", "jordan")}
    history_before = {
        name: await world.get("/api/portfolio/history?period=1M", name)
        for name in ("maya", "jordan")
    }

    journal = world.sandbox.journals.create(
        JournalRequest("JNLS", world.maya, jordan, "Gift", symbol=held.symbol, qty=Decimal(1))
    )
    assert journal.price is not None
    value = journal.price.quantize(CENT)

    for name, sign in (("maya", -1), ("jordan", 1)):
        after = await world.get("/api/portfolio/summary", name)
        was = before[name]
        moved = Decimal(after["net_deposits"]) - Decimal(was["net_deposits"])
        assert moved == sign * value, name
        all_time, today = returns(after)
        old_all_time, old_today = returns(was)
        # The holding is valued once now, not in two parts: a cent of rounding at most.
        assert abs(all_time - old_all_time) <= CENT, name
        assert abs(today - old_today) <= CENT, name
        history = await world.get("/api/portfolio/history?period=1M", name)
        drawn = history_before[name]
        last = Decimal(history["net_deposits"][-1]) - Decimal(drawn["net_deposits"][-1])
        assert last == sign * value, name
        assert history["profit_loss"][:-1] == drawn["profit_loss"][:-1], name
        gain = Decimal(history["profit_loss"][-1]) - Decimal(drawn["profit_loss"][-1])
        assert abs(gain) <= CENT, name

    listed = await world.get("/api/portfolio/activities?types=journal", "jordan")
    (row,) = listed["activities"]
    assert (row["code"], row["symbol"], Decimal(row["qty"])) == ("JNLS", held.symbol, 1)
    assert Decimal(row["amount"]) == value
