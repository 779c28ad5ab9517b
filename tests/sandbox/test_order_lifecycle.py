"""Orders live as Alpaca's do: the POST answers `accepted`, the fill comes later (large orders
in several partial fills), limit and stop orders rest until the price crosses, day orders
expire at the close and GTC orders do not, a replacement ends the old order `replaced`. Cash
and positions change at fill time only, and every step is a trade event."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from portfolio_rt.sandbox.events import Event
from portfolio_rt.sandbox.ledger import LedgerError
from tests.sandbox.ledger_support import LedgerWorld, build_ledger, funded_account

FILL = timedelta(milliseconds=300)


@pytest.fixture
def world() -> LedgerWorld:
    return build_ledger(fill_delay=FILL)


def trade_events(world: LedgerWorld, order_id: UUID) -> list[Event]:
    return [e for e in world.ledger.events.events("trades") if e.body["order"].id == order_id]


def step(world: LedgerWorld, seconds: float) -> None:
    world.clock.advance(seconds)
    world.ledger.advance()


def test_a_market_order_is_accepted_then_routed_then_filled(world: LedgerWorld) -> None:
    account = funded_account(world)
    cash = world.ledger.balances(account).cash
    order = world.ledger.submit_order(
        account, symbol="AAPL", side="buy", type="market", time_in_force="day", qty="2"
    )
    assert order.status == "accepted"
    assert world.ledger.positions(account) == []
    assert world.ledger.balances(account).cash == cash  # nothing moves in the POST

    step(world, 0.1)
    assert order.status == "new"
    step(world, 0.25)
    assert order.status == "filled"
    assert order.filled_qty == 2
    price = order.filled_avg_price
    assert price is not None
    assert [p.qty for p in world.ledger.positions(account)] == [2]
    assert world.ledger.balances(account).cash == cash - (2 * price).quantize(Decimal("0.01"))

    events = trade_events(world, order.id)
    assert [e.body["event"] for e in events] == ["new", "fill"]  # accepting is no event
    fill = events[-1].body
    assert (fill["qty"], fill["price"], fill["position_qty"]) == (2, price, 2)
    assert [e.body["order"].status for e in events] == ["new", "filled"]
    assert events[0].at < events[1].at
    assert len({e.body["execution_id"] for e in events}) == 2


def test_a_large_order_fills_in_partial_fills(world: LedgerWorld) -> None:
    account = funded_account(world, Decimal(40_000))
    price = world.market.price_at("AAPL", world.clock.t)
    qty = (Decimal(15_000) / price).to_integral_value()  # above the 10,000 split threshold
    order = world.ledger.submit_order(
        account, symbol="AAPL", side="buy", type="market", time_in_force="day", qty=qty
    )
    seen = []
    for _ in range(12):
        step(world, 0.1)
        seen.append((order.status, order.filled_qty))
    assert order.status == "filled"
    assert order.filled_qty == qty
    statuses = [s for s, _ in seen]
    assert statuses.count("partially_filled") >= 2
    events = trade_events(world, order.id)
    kinds = [e.body["event"] for e in events]
    assert kinds == ["new", "partial_fill", "partial_fill", "fill"]
    parts = [e.body["qty"] for e in events[1:]]
    assert sum(parts) == qty
    assert all(p == p.to_integral_value() for p in parts)  # whole shares for a whole order
    assert [e.body["position_qty"] for e in events[1:]] == [
        parts[0],
        parts[0] + parts[1],
        qty,
    ]
    # The average is the executions' weighted average.
    weighted = sum(e.body["qty"] * e.body["price"] for e in events[1:]) / qty
    assert order.filled_avg_price is not None
    assert abs(order.filled_avg_price - weighted) < Decimal("0.000001")
    fills = [a for a in world.ledger.activities(account_id=account) if a.order_id == order.id]
    assert sorted(a.order_status for a in fills) == [
        "filled",
        "partially_filled",
        "partially_filled",
    ]


def test_a_limit_order_rests_until_its_price_is_reached(world: LedgerWorld) -> None:
    account = funded_account(world)
    price = world.market.price_at("SPY", world.clock.t)
    low = (price * Decimal("0.5")).quantize(Decimal("0.01"))
    order = world.ledger.submit_order(
        account,
        symbol="SPY",
        side="buy",
        type="limit",
        time_in_force="gtc",
        qty="1",
        limit_price=low,
    )
    step(world, 1)
    assert order.status == "new"
    assert world.ledger.positions(account) == []
    high = (price * Decimal("1.5")).quantize(Decimal("0.01"))
    new = world.ledger.replace_order(account, order.id, limit_price=high)
    assert order.status == "replaced"
    assert order.replaced_by == new.id
    assert new.replaces == order.id
    assert order.replaced_at is not None
    step(world, 1)
    assert new.status == "filled"
    assert [e.body["event"] for e in trade_events(world, order.id)] == ["new", "replaced"]
    assert [e.body["event"] for e in trade_events(world, new.id)] == ["new", "fill"]


def test_a_stop_order_waits_for_its_stop_then_trades_as_market(world: LedgerWorld) -> None:
    account = funded_account(world)
    price = world.market.price_at("SPY", world.clock.t)
    far = (price * Decimal("1.5")).quantize(Decimal("0.01"))
    order = world.ledger.submit_order(
        account, symbol="SPY", side="buy", type="stop", time_in_force="gtc", qty="1", stop_price=far
    )
    step(world, 1)
    assert order.status == "new"
    near = (price * Decimal("0.9")).quantize(Decimal("0.01"))  # already passed: triggers
    new = world.ledger.replace_order(account, order.id, stop_price=near)
    step(world, 1)
    assert new.status == "filled"
    assert new.stop_price == near


def test_day_orders_expire_at_the_close_and_gtc_orders_stay(world: LedgerWorld) -> None:
    account = funded_account(world)
    price = world.market.price_at("SPY", world.clock.t)
    low = (price * Decimal("0.5")).quantize(Decimal("0.01"))
    day = world.ledger.submit_order(
        account, symbol="SPY", side="buy", type="limit", time_in_force="day", qty="1",
        limit_price=low,
    )  # fmt: skip
    gtc = world.ledger.submit_order(
        account, symbol="SPY", side="buy", type="limit", time_in_force="gtc", qty="1",
        limit_price=low,
    )  # fmt: skip
    step(world, 8 * 3600)  # past the close
    assert day.status == "expired"
    assert gtc.status == "new"
    assert trade_events(world, day.id)[-1].body["event"] == "expired"


def test_an_ioc_order_that_cannot_trade_is_canceled(world: LedgerWorld) -> None:
    account = funded_account(world)
    price = world.market.price_at("SPY", world.clock.t)
    order = world.ledger.submit_order(
        account, symbol="SPY", side="buy", type="limit", time_in_force="ioc", qty="1",
        limit_price=(price * Decimal("0.5")).quantize(Decimal("0.01")),
    )  # fmt: skip
    step(world, 1)
    assert order.status == "canceled"
    assert [e.body["event"] for e in trade_events(world, order.id)] == ["new", "canceled"]


def test_cancel_before_the_fill_moves_nothing(world: LedgerWorld) -> None:
    account = funded_account(world)
    cash = world.ledger.balances(account).cash
    order = world.ledger.submit_order(
        account, symbol="AAPL", side="buy", type="market", time_in_force="day", qty="1"
    )
    world.ledger.cancel_order(account, order.id)
    step(world, 2)
    assert order.status == "canceled"
    assert world.ledger.balances(account).cash == cash
    with pytest.raises(LedgerError):
        world.ledger.cancel_order(account, order.id)


def test_a_filled_order_cannot_be_replaced(world: LedgerWorld) -> None:
    account = funded_account(world)
    order = world.ledger.submit_order(
        account, symbol="AAPL", side="buy", type="market", time_in_force="day", qty="1"
    )
    step(world, 1)
    with pytest.raises(LedgerError):
        world.ledger.replace_order(account, order.id, qty=Decimal(2))


def test_funding_account_and_cash_changes_are_events(world: LedgerWorld) -> None:
    account = funded_account(world)  # opened, bank linked, deposit cleared
    events = world.ledger.events
    funding = [e.body for e in events.events("funding") if e.account_id == account]
    transfer = [
        (b["status_from"], b["status_to"]) for b in funding if b["entity_type"] == "Transfer"
    ]
    assert transfer == [
        (None, "QUEUED"),
        ("QUEUED", "SENT_TO_CLEARING"),
        ("SENT_TO_CLEARING", "COMPLETE"),
    ]
    banks = [(b["status_from"], b["status_to"]) for b in funding if b["entity_type"] != "Transfer"]
    assert banks == [(None, "QUEUED"), ("QUEUED", "APPROVED")]
    accounts = [e.body["status_to"] for e in events.events("accounts") if e.account_id == account]
    assert accounts == ["ACTIVE"]
    nta = [
        e.body["activity"].activity_type for e in events.events("nta") if e.account_id == account
    ]
    assert nta == ["CSD"]


def test_event_ids_only_grow(world: LedgerWorld) -> None:
    account = funded_account(world)
    for _ in range(3):
        world.ledger.submit_order(
            account, symbol="AAPL", side="buy", type="market", time_in_force="day", qty="1"
        )
        step(world, 0.05)
    step(world, 2)
    for stream in ("trades", "funding", "nta"):
        logged = world.ledger.events.events(stream)
        assert [e.seq for e in logged] == list(range(1, len(logged) + 1))
        assert [e.ulid for e in logged] == sorted(e.ulid for e in logged)
        assert len({e.ulid for e in logged}) == len(logged)
