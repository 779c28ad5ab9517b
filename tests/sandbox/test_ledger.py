"""The ledger: transfers, orders, positions, activities, dividends and its invariants."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from portfolio_rt.sandbox.calendar import MarketClock
from portfolio_rt.sandbox.ledger import Ledger, LedgerError
from portfolio_rt.sandbox.market import Market
from portfolio_rt.sandbox.records import CENT

from .ledger_support import (
    DELAY,
    IN_SESSION,
    WEEKEND,
    LedgerWorld,
    ManualClock,
    build_ledger,
    build_market,
    funded_account,
    open_account,
)


@pytest.fixture(scope="module")
def shared_market() -> tuple[ManualClock, MarketClock, Market]:
    """One market for the module (its prices do not depend on the clock); tests reset the clock."""
    clock = ManualClock(IN_SESSION)
    market_clock, market = build_market(clock)
    return clock, market_clock, market


@pytest.fixture
def world(shared_market: tuple[ManualClock, MarketClock, Market]) -> LedgerWorld:
    clock, market_clock, market = shared_market
    clock.t = IN_SESSION
    ledger = Ledger(market, market_clock, now=clock, transfer_delay=DELAY)
    return LedgerWorld(clock, market_clock, market, ledger)


def snapshot(ledger: Ledger, account_id: UUID) -> tuple[object, ...]:
    """Everything a refused request must leave unchanged."""
    book = ledger._books[account_id]
    return (
        book.cash,
        {s: (h.qty, h.cost_basis) for s, h in book.holdings.items()},
        len(book.orders),
        len(book.transfers),
        len(book.activities),
        len(book.events),
        len(book.banks),
    )


# ---------------------------------------------------------------------- transfers


def test_deposit_moves_through_clearing_and_is_cash_only_when_complete(world: LedgerWorld) -> None:
    ledger, clock = world.ledger, world.clock
    account_id, bank_id = open_account(ledger, clock.t)
    transfer = ledger.create_transfer(
        account_id, relationship_id=bank_id, amount="1500.25", direction="INCOMING"
    )
    assert transfer.status == "QUEUED"
    assert ledger.balances(account_id).pending_transfer_in == Decimal("1500.25")
    assert ledger.balances(account_id).cash == 0

    clock.advance(DELAY * 0.75)
    assert ledger.transfers(account_id)[0].status == "SENT_TO_CLEARING"
    assert ledger.balances(account_id).cash == 0

    clock.advance(DELAY)
    balances = ledger.balances(account_id)
    assert transfer.status == "COMPLETE"
    assert balances.cash == Decimal("1500.25")
    assert balances.pending_transfer_in == 0
    assert balances.equity == Decimal("1500.25")
    (activity,) = ledger.activities(account_id=account_id)
    assert activity.activity_type == "CSD"
    assert activity.net_amount == Decimal("1500.25")
    assert activity.at == transfer.completes_at


def test_bank_relationship_is_approved_shortly_after_linking(world: LedgerWorld) -> None:
    account_id, bank_id = open_account(world.ledger, world.clock.t)
    assert [b.status for b in world.ledger.banks(account_id)] == ["QUEUED"]
    world.clock.advance(DELAY)
    assert world.ledger.banks(account_id, {"APPROVED"})[0].id == bank_id
    world.ledger.delete_bank(account_id, bank_id)
    assert world.ledger.banks(account_id) == []
    with pytest.raises(LedgerError) as err:
        world.ledger.delete_bank(account_id, bank_id)
    assert err.value.status == 404


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"bank_account_type": "BROKERAGE"}, 422),
        ({"routing_number": "12345"}, 422),
        ({"account_number": ""}, 422),
        ({"owner_name": ""}, 422),
    ],
)
def test_bad_bank_details_are_refused(
    world: LedgerWorld, changes: dict[str, str], status: int
) -> None:
    account_id, _ = open_account(world.ledger, world.clock.t)
    fields = {
        "owner_name": "Test Investor",
        "bank_account_type": "CHECKING",
        "account_number": "123456789",
        "routing_number": "121000358",
    } | changes
    before = snapshot(world.ledger, account_id)
    with pytest.raises(LedgerError) as err:
        world.ledger.link_bank(account_id, **fields)  # type: ignore[arg-type]
    assert err.value.status == status
    assert err.value.code == 42210000
    assert snapshot(world.ledger, account_id) == before


@pytest.mark.parametrize(
    ("amount", "direction", "status"),
    [
        ("0", "INCOMING", 422),
        ("-5", "INCOMING", 422),
        ("10.001", "INCOMING", 422),
        ("abc", "INCOMING", 422),
        ("NaN", "INCOMING", 422),
        ("50000.01", "INCOMING", 403),
        ("100", "SIDEWAYS", 422),
        ("20000", "OUTGOING", 403),
    ],
)
def test_bad_transfers_are_refused_without_changing_the_ledger(
    world: LedgerWorld, amount: str, direction: str, status: int
) -> None:
    account_id = funded_account(world, Decimal(10_000))
    bank_id = world.ledger.banks(account_id)[0].id
    before = snapshot(world.ledger, account_id)
    with pytest.raises(LedgerError) as err:
        world.ledger.create_transfer(
            account_id, relationship_id=bank_id, amount=amount, direction=direction
        )
    assert err.value.status == status
    assert snapshot(world.ledger, account_id) == before


def test_transfer_through_an_unknown_relationship_is_refused(world: LedgerWorld) -> None:
    account_id = funded_account(world)
    with pytest.raises(LedgerError) as err:
        world.ledger.create_transfer(
            account_id, relationship_id=uuid4(), amount="10", direction="INCOMING"
        )
    assert err.value.status == 422


def test_withdrawal_reserves_cash_then_leaves_as_csw(world: LedgerWorld) -> None:
    ledger = world.ledger
    account_id = funded_account(world, Decimal(1000))
    bank_id = ledger.banks(account_id)[0].id
    ledger.create_transfer(account_id, relationship_id=bank_id, amount="400", direction="OUTGOING")
    balances = ledger.balances(account_id)
    assert balances.cash == 1000
    assert balances.pending_transfer_out == 400
    assert balances.buying_power == 600
    with pytest.raises(LedgerError):
        ledger.create_transfer(
            account_id, relationship_id=bank_id, amount="700", direction="OUTGOING"
        )
    world.clock.advance(DELAY * 2)
    assert ledger.balances(account_id).cash == 600
    latest = ledger.activities(account_id=account_id)[0]
    assert latest.activity_type == "CSW"
    assert latest.net_amount == Decimal(-400)


def test_queued_transfer_can_be_canceled_and_never_moves_cash(world: LedgerWorld) -> None:
    ledger = world.ledger
    account_id, bank_id = open_account(ledger, world.clock.t)
    transfer = ledger.create_transfer(
        account_id, relationship_id=bank_id, amount="100", direction="INCOMING"
    )
    ledger.cancel_transfer(account_id, transfer.id)
    world.clock.advance(DELAY * 2)
    assert transfer.status == "CANCELED"
    assert ledger.balances(account_id).cash == 0
    with pytest.raises(LedgerError) as err:
        ledger.cancel_transfer(account_id, transfer.id)
    assert err.value.status == 422
    with pytest.raises(LedgerError) as err:
        ledger.cancel_transfer(account_id, uuid4())
    assert err.value.status == 404


def test_transfers_are_listed_newest_first(world: LedgerWorld) -> None:
    ledger = world.ledger
    account_id, bank_id = open_account(ledger, world.clock.t)
    first = ledger.create_transfer(
        account_id, relationship_id=bank_id, amount="1", direction="INCOMING"
    )
    world.clock.advance(timedelta(seconds=1))
    second = ledger.create_transfer(
        account_id, relationship_id=bank_id, amount="2", direction="INCOMING"
    )
    assert [t.id for t in ledger.transfers(account_id)] == [second.id, first.id]
    assert ledger.transfers(account_id, "OUTGOING") == []


# ---------------------------------------------------------------------- orders


def test_market_buy_fills_at_the_market_price(world: LedgerWorld) -> None:
    ledger, market = world.ledger, world.market
    account_id = funded_account(world)
    order = ledger.submit_order(
        account_id, symbol="aapl", side="buy", type="market", time_in_force="day", qty="3"
    )
    price = market.price_at("AAPL", world.clock.t)
    assert order.status == "filled"
    assert order.symbol == "AAPL"
    assert order.filled_qty == 3
    assert order.filled_avg_price == price
    cost = (3 * price).quantize(CENT)
    (position,) = ledger.positions(account_id)
    assert position.qty == 3
    assert position.cost_basis == cost
    assert position.market_value == cost
    assert position.current_price == price
    assert ledger.balances(account_id).cash == 10_000 - cost
    fill = ledger.activities(account_id=account_id, activity_types=["FILL"])[0]
    assert fill.symbol == "AAPL"
    assert fill.qty == 3
    assert fill.price == price
    assert fill.side == "buy"
    assert fill.order_id == order.id
    assert ledger.order_by_client_id(account_id, order.client_order_id) is order


def test_notional_buy_computes_a_fractional_quantity(world: LedgerWorld) -> None:
    ledger = world.ledger
    account_id = funded_account(world)
    order = ledger.submit_order(
        account_id, symbol="MSFT", side="buy", type="market", time_in_force="day", notional=250
    )
    price = world.market.price_at("MSFT", world.clock.t)
    assert order.filled_qty == (Decimal(250) / price).quantize(Decimal("1e-9"), "ROUND_DOWN")
    assert order.qty is None  # as Alpaca: a notional order keeps its notional, not a qty
    assert ledger.balances(account_id).cash >= 10_000 - 250


def test_selling_part_keeps_the_average_entry_price(world: LedgerWorld) -> None:
    ledger = world.ledger
    account_id = funded_account(world)
    ledger.submit_order(
        account_id, symbol="KO", side="buy", type="market", time_in_force="day", qty=10
    )
    before = ledger.position(account_id, "KO")
    world.clock.advance(timedelta(minutes=30))
    sell = ledger.submit_order(
        account_id, symbol="KO", side="sell", type="market", time_in_force="day", qty="4"
    )
    after = ledger.position(account_id, "KO")
    assert sell.status == "filled"
    assert after.qty == 6
    assert after.avg_entry_price == before.avg_entry_price
    ledger.submit_order(
        account_id, symbol="KO", side="sell", type="market", time_in_force="day", qty="6"
    )
    assert ledger.positions(account_id) == []
    with pytest.raises(LedgerError) as err:
        ledger.position(account_id, "KO")
    assert (err.value.status, err.value.code) == (404, 40410000)


def test_short_buying_power_is_refused_with_alpacas_error(world: LedgerWorld) -> None:
    ledger = world.ledger
    account_id = funded_account(world, Decimal(100))
    before = snapshot(ledger, account_id)
    with pytest.raises(LedgerError) as err:
        ledger.submit_order(
            account_id, symbol="AAPL", side="buy", type="market", time_in_force="day", qty=100
        )
    assert (err.value.status, err.value.code, err.value.message) == (
        403,
        40310000,
        "insufficient buying power",
    )
    assert snapshot(ledger, account_id) == before


def test_selling_more_than_held_is_refused(world: LedgerWorld) -> None:
    ledger = world.ledger
    account_id = funded_account(world)
    ledger.submit_order(
        account_id, symbol="KO", side="buy", type="market", time_in_force="day", qty=2
    )
    before = snapshot(ledger, account_id)
    with pytest.raises(LedgerError) as err:
        ledger.submit_order(
            account_id, symbol="KO", side="sell", type="market", time_in_force="day", qty=3
        )
    assert (err.value.status, err.value.code) == (403, 40310000)
    assert err.value.message.startswith("insufficient qty available for order")
    assert snapshot(ledger, account_id) == before


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"symbol": "NOPE"}, 422, 42210000),
        ({"side": "short"}, 422, 42210000),
        ({"type": "stop"}, 422, 42210000),
        ({"time_in_force": "opg"}, 422, 42210000),
        ({"qty": None}, 422, 42210000),
        ({"notional": 10}, 422, 42210000),
        ({"qty": 0}, 422, 42210000),
        ({"qty": -1}, 422, 42210000),
        ({"qty": "1.0000000001"}, 422, 42210000),
        ({"qty": "lots"}, 422, 42210000),
        ({"qty": "Infinity"}, 422, 42210000),
        ({"limit_price": 10}, 422, 42210000),
        ({"type": "limit"}, 422, 42210000),
        ({"type": "limit", "limit_price": -1}, 422, 42210000),
        ({"qty": None, "notional": "0.5"}, 422, 42210000),
        ({"qty": None, "notional": "10.001"}, 422, 42210000),
        ({"qty": None, "notional": 10, "type": "limit", "limit_price": 5}, 422, 42210000),
        ({"client_order_id": ""}, 422, 42210000),
        ({"client_order_id": "x" * 129}, 422, 42210000),
    ],
)
def test_bad_orders_are_refused_without_changing_the_ledger(
    world: LedgerWorld, fields: dict[str, object], status: int, code: int
) -> None:
    ledger = world.ledger
    account_id = funded_account(world)
    order: dict[str, object] = {
        "symbol": "AAPL",
        "side": "buy",
        "type": "market",
        "time_in_force": "day",
        "qty": 1,
    } | fields
    before = snapshot(ledger, account_id)
    with pytest.raises(LedgerError) as err:
        ledger.submit_order(account_id, **order)  # type: ignore[arg-type]
    assert (err.value.status, err.value.code) == (status, code)
    assert snapshot(ledger, account_id) == before


def test_unknown_account_is_404(world: LedgerWorld) -> None:
    with pytest.raises(LedgerError) as err:
        world.ledger.balances(uuid4())
    assert (err.value.status, err.value.code) == (404, 40410000)
    with pytest.raises(LedgerError):
        world.ledger.account(uuid4())


def test_duplicate_client_order_id_is_refused(world: LedgerWorld) -> None:
    ledger = world.ledger
    account_id = funded_account(world)
    ledger.submit_order(
        account_id,
        symbol="KO",
        side="buy",
        type="market",
        time_in_force="day",
        qty=1,
        client_order_id="mine-1",
    )
    with pytest.raises(LedgerError) as err:
        ledger.submit_order(
            account_id,
            symbol="KO",
            side="buy",
            type="market",
            time_in_force="day",
            qty=1,
            client_order_id="mine-1",
        )
    assert err.value.status == 422


def test_market_order_waits_for_the_open_when_equities_are_closed() -> None:
    world = build_ledger(WEEKEND)
    ledger = world.ledger
    account_id = funded_account(world)
    order = ledger.submit_order(
        account_id, symbol="AAPL", side="buy", type="market", time_in_force="day", qty=2
    )
    assert order.status == "accepted"
    assert ledger.positions(account_id) == []
    assert ledger.balances(account_id).buying_power < 10_000  # reserved for the order
    monday_open = datetime(2025, 6, 16, 13, 30, tzinfo=UTC)
    world.clock.t = monday_open + timedelta(minutes=1)
    ledger.advance()
    assert order.status == "filled"
    assert order.filled_at == monday_open
    assert order.filled_avg_price == world.market.price_at("AAPL", monday_open)
    assert ledger.position(account_id, "AAPL").qty == 2


def test_crypto_trades_on_weekends() -> None:
    world = build_ledger(WEEKEND)
    account_id = funded_account(world)
    order = world.ledger.submit_order(
        account_id, symbol="BTCUSD", side="buy", type="market", time_in_force="gtc", notional=500
    )
    assert order.status == "filled"
    assert order.symbol == "BTC/USD"
    assert world.ledger.position(account_id, "BTCUSD").asset_class == "crypto"


def test_limit_order_fills_only_when_the_price_crosses(world: LedgerWorld) -> None:
    ledger, market = world.ledger, world.market
    account_id = funded_account(world)
    price = market.price_at("AAPL", world.clock.t)
    marketable = ledger.submit_order(
        account_id,
        symbol="AAPL",
        side="buy",
        type="limit",
        time_in_force="day",
        qty=1,
        limit_price=price + 1,
    )
    assert marketable.status == "filled"
    assert marketable.filled_avg_price == price
    resting = ledger.submit_order(
        account_id,
        symbol="AAPL",
        side="buy",
        type="limit",
        time_in_force="gtc",
        qty=1,
        limit_price=(price / 2).quantize(CENT),
    )
    assert resting.status == "new"
    assert ledger.orders(account_id, status="open") == [resting]
    assert ledger.balances(account_id).buying_power == (
        ledger.balances(account_id).cash - resting.limit_price  # type: ignore[operator]
    )
    ledger.cancel_order(account_id, resting.id)
    assert resting.status == "canceled"
    with pytest.raises(LedgerError) as err:
        ledger.cancel_order(account_id, resting.id)
    assert err.value.status == 422
    assert ledger.orders(account_id, status="open") == []


def test_resting_limit_order_fills_during_advance_when_the_price_crosses(
    world: LedgerWorld,
) -> None:
    ledger, market, clock = world.ledger, world.market, world.clock
    account_id = funded_account(world)
    start = clock.t
    later = [start + timedelta(minutes=m) for m in range(1, 240)]
    prices = market.prices_at("AAPL", later)
    low = min(prices)
    assert low < market.price_at("AAPL", start)
    limit = low + Decimal("0.01")
    order = ledger.submit_order(
        account_id,
        symbol="AAPL",
        side="buy",
        type="limit",
        time_in_force="day",
        qty=1,
        limit_price=limit,
    )
    assert order.status == "new"
    for t, p in zip(later, prices, strict=True):
        clock.t = t
        ledger.advance()
        if p <= limit:
            break
    assert order.status == "filled"
    assert order.filled_avg_price is not None
    assert order.filled_avg_price <= limit


def test_day_limit_orders_expire_at_the_close(world: LedgerWorld) -> None:
    ledger = world.ledger
    account_id = funded_account(world)
    order = ledger.submit_order(
        account_id,
        symbol="KO",
        side="buy",
        type="limit",
        time_in_force="day",
        qty=1,
        limit_price="1.00",
    )
    world.clock.t = datetime(2025, 6, 10, 20, 1, tzinfo=UTC)
    ledger.advance()
    assert order.status == "expired"


def test_ioc_limit_that_cannot_fill_is_canceled(world: LedgerWorld) -> None:
    account_id = funded_account(world)
    order = world.ledger.submit_order(
        account_id,
        symbol="KO",
        side="buy",
        type="limit",
        time_in_force="ioc",
        qty=1,
        limit_price="1.00",
    )
    assert order.status == "canceled"


def test_cancel_all_orders_cancels_only_open_ones(world: LedgerWorld) -> None:
    ledger = world.ledger
    account_id = funded_account(world)
    filled = ledger.submit_order(
        account_id, symbol="KO", side="buy", type="market", time_in_force="day", qty=1
    )
    resting = [
        ledger.submit_order(
            account_id,
            symbol=s,
            side="buy",
            type="limit",
            time_in_force="gtc",
            qty=1,
            limit_price="1.00",
        )
        for s in ("KO", "PEP")
    ]
    canceled = ledger.cancel_all_orders(account_id)
    assert {o.id for o in canceled} == {o.id for o in resting}
    assert filled.status == "filled"


def test_orders_filter_by_status_side_symbol_and_time(world: LedgerWorld) -> None:
    ledger, clock = world.ledger, world.clock
    account_id = funded_account(world)
    made = []
    for symbol in ("KO", "PEP", "KO"):
        made.append(
            ledger.submit_order(
                account_id, symbol=symbol, side="buy", type="market", time_in_force="day", qty=1
            )
        )
        clock.advance(timedelta(minutes=1))
    assert ledger.orders(account_id) == []
    assert ledger.orders(account_id, status="closed") == made[::-1]
    assert ledger.orders(account_id, status="all", direction="asc") == made
    assert ledger.orders(account_id, status="all", symbols=["ko"]) == [made[2], made[0]]
    assert ledger.orders(account_id, status="all", side="sell") == []
    assert ledger.orders(account_id, status="all", limit=1) == [made[2]]
    assert ledger.orders(account_id, status="all", after=made[0].submitted_at) == made[:0:-1]
    assert ledger.orders(account_id, status="all", until=made[1].submitted_at) == [made[0]]
    naive = made[1].submitted_at.replace(tzinfo=None)  # alpaca-py treats naive times as UTC
    assert ledger.orders(account_id, status="all", until=naive) == [made[0]]
    for bad in ({"status": "done"}, {"limit": 0}, {"limit": 501}, {"direction": "up"}):
        with pytest.raises(LedgerError):
            ledger.orders(account_id, **bad)
    with pytest.raises(LedgerError) as err:
        ledger.order(account_id, uuid4())
    assert err.value.status == 404


# ---------------------------------------------------------------------- balances and activities


def test_last_equity_is_the_equity_at_the_previous_close(world: LedgerWorld) -> None:
    ledger, market, clock = world.ledger, world.market, world.clock
    account_id = funded_account(world, Decimal(5000))
    ledger.submit_order(
        account_id, symbol="MSFT", side="buy", type="market", time_in_force="day", qty=5
    )
    today = ledger.balances(account_id)
    assert today.last_equity == 0  # nothing was held at yesterday's close
    clock.t = datetime(2025, 6, 11, 15, 0, tzinfo=UTC)
    tomorrow = ledger.balances(account_id)
    close = market.close("MSFT", clock.t.date() - timedelta(days=1))
    assert tomorrow.last_long_market_value == (5 * close).quantize(CENT)
    assert tomorrow.last_equity == tomorrow.last_cash + tomorrow.last_long_market_value
    assert tomorrow.previous_close == datetime(2025, 6, 10, 20, 0, tzinfo=UTC)
    position = ledger.position(account_id, "MSFT")
    assert position.lastday_price == close
    assert position.change_today == ((position.current_price - close) / close).quantize(
        Decimal("0.0001")
    )


def test_activity_pages_follow_the_token_in_both_directions(world: LedgerWorld) -> None:
    ledger, clock = world.ledger, world.clock
    account_id = funded_account(world)
    for _ in range(7):
        clock.advance(timedelta(seconds=1))
        ledger.submit_order(
            account_id, symbol="KO", side="buy", type="market", time_in_force="day", qty=1
        )
    everything = ledger.activities(account_id=account_id, direction="asc")
    ids = [a.id for a in everything]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids) == 8
    pages: list[str] = []
    token = None
    while page := ledger.activities(account_id=account_id, page_size=3, page_token=token):
        pages.extend(a.id for a in page)
        token = page[-1].id
    assert pages == ids[::-1]
    asc = ledger.activities(account_id=account_id, direction="asc", page_token=ids[2])
    assert [a.id for a in asc] == ids[3:]
    fills = ledger.activities(account_id=account_id, activity_types=["FILL"])
    assert len(fills) == 7
    assert ledger.activities(account_id=account_id, activity_types=["DIV"]) == []
    with pytest.raises(LedgerError):
        ledger.activities(account_id=account_id, activity_types=["NOPE"])
    with pytest.raises(LedgerError):
        ledger.activities(account_id=account_id, page_size=101)


def test_holders_of_record_get_dividends_on_the_pay_date() -> None:
    clock = ManualClock(IN_SESSION)
    market_clock, market = build_market(clock)
    ledger = Ledger(market, market_clock, now=clock, transfer_delay=DELAY)
    (div, *_) = [
        d
        for d in market.dividends("KO", IN_SESSION.date() - timedelta(days=300), IN_SESSION.date())
        if d.pay_date < IN_SESSION.date()
    ]
    bought = datetime.combine(div.ex_date - timedelta(days=7), datetime.min.time(), UTC)
    account_id, bank_id = open_account(ledger, bought)
    ledger.create_transfer(
        account_id, relationship_id=bank_id, amount="5000", direction="INCOMING", at=bought
    )
    session = market_clock.calendar.session(market_clock.calendar.next_trading_day(bought.date()))
    assert session is not None
    ledger.submit_order(
        account_id,
        symbol="KO",
        side="buy",
        type="market",
        time_in_force="day",
        qty=40,
        at=session[0] + timedelta(hours=1),
    )
    dividends = ledger.activities(account_id=account_id, activity_types=["DIV"], direction="asc")
    first = dividends[0]
    assert first.symbol == "KO"
    assert first.date == div.pay_date
    assert first.per_share_amount == div.per_share
    assert first.net_amount == (40 * div.per_share).quantize(CENT)
    cash = ledger.balances(account_id).cash
    fill_cost = ledger.orders(account_id, status="closed")[0].filled_avg_price
    assert fill_cost is not None
    paid = sum((a.net_amount or Decimal(0) for a in dividends), Decimal(0))
    assert cash == 5000 - (40 * fill_cost).quantize(CENT) + paid


def test_buyer_on_the_ex_date_gets_no_dividend() -> None:
    clock = ManualClock(IN_SESSION)
    market_clock, market = build_market(clock)
    ledger = Ledger(market, market_clock, now=clock, transfer_delay=DELAY)
    divs = market.dividends("KO", IN_SESSION.date() - timedelta(days=200), IN_SESSION.date())
    div = divs[-1]
    session = market_clock.calendar.session(div.ex_date)
    assert session is not None
    account_id, bank_id = open_account(ledger, session[0] - timedelta(hours=2))
    ledger.create_transfer(
        account_id,
        relationship_id=bank_id,
        amount="5000",
        direction="INCOMING",
        at=session[0] - timedelta(hours=2),
    )
    ledger.submit_order(
        account_id,
        symbol="KO",
        side="buy",
        type="market",
        time_in_force="day",
        qty=10,
        at=session[0] + timedelta(minutes=5),
    )
    paid = ledger.activities(account_id=account_id, activity_types=["DIV"], direction="asc")
    assert all(a.date > div.pay_date for a in paid)


# ---------------------------------------------------------------------- properties


SYMBOLS = ("AAPL", "KO", "SPY", "BTC/USD")


@st.composite
def scripts(draw: st.DrawFn) -> list[tuple[str, str, Decimal, int]]:
    """Random deposits, withdrawals, buys and sells, spaced minutes apart."""
    steps = []
    for _ in range(draw(st.integers(1, 14))):
        kind = draw(st.sampled_from(("deposit", "withdraw", "buy", "buy", "sell", "notional")))
        symbol = draw(st.sampled_from(SYMBOLS))
        amount = Decimal(draw(st.integers(1, 400_000))) / 100
        if kind in ("buy", "sell"):
            amount = Decimal(draw(st.integers(1, 5_000))) / 100
        steps.append((kind, symbol, amount, draw(st.integers(1, 90))))
    return steps


@pytest.fixture(scope="module")
def property_market() -> tuple[ManualClock, MarketClock, Market]:
    clock = ManualClock(datetime(2025, 6, 13, 19, 0, tzinfo=UTC))
    market_clock, market = build_market(clock, "always_open")
    return clock, market_clock, market


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=scripts())
def test_ledger_invariants_hold_for_any_sequence_of_requests(
    property_market: tuple[ManualClock, MarketClock, Market],
    steps: list[tuple[str, str, Decimal, int]],
) -> None:
    clock, market_clock, market = property_market
    ledger = Ledger(market, market_clock, now=clock, transfer_delay=DELAY)
    t = datetime(2025, 6, 9, 14, 0, tzinfo=UTC)
    account_id, bank_id = open_account(ledger, t)
    deposits = Decimal(0)
    for kind, symbol, amount, minutes in steps:
        t += timedelta(minutes=minutes)
        try:
            if kind in ("deposit", "withdraw"):
                amount = min(amount, Decimal(50_000))
                ledger.create_transfer(
                    account_id,
                    relationship_id=bank_id,
                    amount=amount,
                    direction="INCOMING" if kind == "deposit" else "OUTGOING",
                    at=t,
                )
                deposits += amount if kind == "deposit" else -amount
            elif kind == "notional":
                ledger.submit_order(
                    account_id,
                    symbol=symbol,
                    side="buy",
                    type="market",
                    time_in_force="gtc",
                    notional=max(amount, Decimal(1)),
                    at=t,
                )
            else:
                ledger.submit_order(
                    account_id,
                    symbol=symbol,
                    side=kind,
                    type="market",
                    time_in_force="gtc",
                    qty=amount,
                    at=t,
                )
        except LedgerError:
            pass
        ledger.advance(t)
        assert ledger._books[account_id].cash >= 0  # no order or withdrawal overdraws
    balances = ledger.balances(account_id)
    positions = ledger.positions(account_id)
    # equity is cash plus each position at the live price, to the cent
    now = clock()
    assert balances.equity == balances.cash + sum(
        ((p.qty * market.price_at(p.symbol, now)).quantize(CENT) for p in positions), Decimal(0)
    )
    assert balances.cash >= 0
    # positions are the replay of the fills
    replay: dict[str, Decimal] = {}
    for fill in ledger.activities(account_id=account_id, activity_types=["FILL"]):
        assert fill.qty is not None
        sign = 1 if fill.side == "buy" else -1
        replay[fill.symbol or ""] = replay.get(fill.symbol or "", Decimal(0)) + sign * fill.qty
    assert {s: q for s, q in replay.items() if q} == {p.symbol: p.qty for p in positions}
    # cash is the replay of every activity
    cash = Decimal(0)
    for activity in ledger.activities(account_id=account_id, page_size=100):
        if activity.activity_type == "FILL":
            assert activity.qty is not None
            assert activity.price is not None
            value = (activity.qty * activity.price).quantize(CENT)
            cash += -value if activity.side == "buy" else value
        else:
            cash += activity.net_amount or 0
    assert cash == balances.cash


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=scripts(),
    extra=st.integers(1, 2_000_000).map(lambda c: Decimal(c) / 100),
    when=st.integers(0, 14),
)
def test_a_deposit_never_shows_as_profit_in_history(
    property_market: tuple[ManualClock, MarketClock, Market],
    steps: list[tuple[str, str, Decimal, int]],
    extra: Decimal,
    when: int,
) -> None:
    """The same trades with one more deposit give the same profit and loss at every point."""
    clock, market_clock, market = property_market
    outcomes = []
    for with_extra in (False, True):
        ledger = Ledger(market, market_clock, now=clock, transfer_delay=DELAY)
        t = datetime(2025, 6, 9, 14, 0, tzinfo=UTC)
        account_id, bank_id = open_account(ledger, t)
        ledger.create_transfer(
            account_id, relationship_id=bank_id, amount="40000", direction="INCOMING", at=t
        )
        statuses = []
        for k, (kind, symbol, amount, minutes) in enumerate(steps):
            t += timedelta(minutes=minutes)
            if with_extra and k == when % len(steps):
                # between two steps (they are at least a minute apart), moving nothing else
                ledger.create_transfer(
                    account_id,
                    relationship_id=bank_id,
                    amount=min(extra, Decimal(50_000)),
                    direction="INCOMING",
                    at=t - timedelta(seconds=30),
                )
            if kind in ("deposit", "withdraw"):
                continue
            try:
                side = "buy" if kind == "notional" else kind
                qty = None if kind == "notional" else amount
                notional = max(amount, Decimal(1)) if kind == "notional" else None
                order = ledger.submit_order(
                    account_id,
                    symbol=symbol,
                    side=side,
                    type="market",
                    time_in_force="gtc",
                    qty=qty,
                    notional=notional,
                    at=t,
                )
                statuses.append(order.status)
            except LedgerError as exc:
                statuses.append(exc.message)
        histories = [
            ledger.portfolio_history(
                account_id, start=datetime(2025, 6, 9, tzinfo=UTC), timeframe="1D"
            ),
            ledger.portfolio_history(
                account_id,
                period="1W",
                timeframe="15Min",
                intraday_reporting="continuous",
                pnl_reset="no_reset",
            ),
            ledger.portfolio_history(account_id, period="1W", timeframe="1H"),
        ]
        outcomes.append((statuses, [h.profit_loss for h in histories], histories))
    (plain_statuses, plain_pl, plain), (extra_statuses, extra_pl, richer) = outcomes
    assume(plain_statuses == extra_statuses)
    assert plain_pl == extra_pl
    assert richer[0].equity[-1] == plain[0].equity[-1] + min(extra, Decimal(50_000))


ANYTHING = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from(["1e400", "1e-400", "1E20", "-0", "0.0000000001", " 5", "1_000", "0x10"]),
)
WORDS = st.one_of(
    st.text(max_size=10),
    st.sampled_from(["buy", "sell", "market", "limit", "day", "gtc", "AAPL", "BTC/USD", "ALL"]),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    symbol=WORDS,
    side=WORDS,
    type_=WORDS,
    tif=WORDS,
    qty=ANYTHING,
    notional=ANYTHING,
    limit=ANYTHING,
    amount=ANYTHING,
    direction=WORDS,
    period=st.none() | WORDS,
    timeframe=st.none() | WORDS,
    reporting=WORDS,
    reset=WORDS,
    flows=st.none() | WORDS,
)
def test_any_input_is_either_done_or_refused_with_an_alpaca_error(
    shared_market: tuple[ManualClock, MarketClock, Market],
    symbol: str,
    side: str,
    type_: str,
    tif: str,
    qty: object,
    notional: object,
    limit: object,
    amount: object,
    direction: str,
    period: str | None,
    timeframe: str | None,
    reporting: str,
    reset: str,
    flows: str | None,
) -> None:
    clock, market_clock, market = shared_market
    clock.t = IN_SESSION
    ledger = Ledger(market, market_clock, now=clock, transfer_delay=DELAY)
    account_id = funded_account(LedgerWorld(clock, market_clock, market, ledger))
    bank_id = ledger.banks(account_id)[0].id

    def order() -> object:
        return ledger.submit_order(
            account_id,
            symbol=symbol,
            side=side,
            type=type_,
            time_in_force=tif,
            qty=qty,  # type: ignore[arg-type]
            notional=notional,  # type: ignore[arg-type]
            limit_price=limit,  # type: ignore[arg-type]
        )

    def transfer() -> object:
        return ledger.create_transfer(
            account_id,
            relationship_id=bank_id,
            amount=amount,  # type: ignore[arg-type]
            direction=direction,
        )

    def history() -> object:
        return ledger.portfolio_history(
            account_id,
            period=period,
            timeframe=timeframe,
            intraday_reporting=reporting,
            pnl_reset=reset,
            cashflow_types=flows,
        )

    calls: list[Callable[[], object]] = [order, transfer, history]
    for call in calls:
        before = snapshot(ledger, account_id)
        refused: LedgerError | None = None
        try:
            call()
        except LedgerError as exc:
            refused = exc
        if refused is not None:
            assert refused.status in (403, 404, 409, 422)
            assert snapshot(ledger, account_id) == before
    assert ledger.balances(account_id).cash >= 0


def test_activities_at_the_same_instant_get_strictly_increasing_ids(world: LedgerWorld) -> None:
    ledger = world.ledger
    account_id = funded_account(world)
    orders = [
        ledger.submit_order(
            account_id, symbol=s, side="buy", type="market", time_in_force="day", qty=1
        )
        for s in ("KO", "PEP", "PG", "KO")
    ]
    assert len({o.filled_at for o in orders}) == 1
    fills = ledger.activities(account_id=account_id, activity_types=["FILL"], direction="asc")
    ids = [a.id for a in fills]
    assert ids == sorted(ids)
    assert len(set(ids)) == 4
    assert [a.order_id for a in fills] == [o.id for o in orders]
    assert all(a.at == orders[0].filled_at for a in fills)
