"""The real alpaca-py `BrokerClient` against a served sandbox: every Broker route it calls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from alpaca.broker import BrokerClient
from alpaca.broker.enums import (
    AccountEntities,
    BankAccountType,
    TransferDirection,
    TransferTiming,
)
from alpaca.broker.models import (
    Account,
    ACHRelationship,
    Order,
    TradeAccount,
    Transfer,
)
from alpaca.broker.requests import (
    CreateACHRelationshipRequest,
    CreateACHTransferRequest,
    GetAccountActivitiesRequest,
    GetTransfersRequest,
    LimitOrderRequest,
    ListAccountsRequest,
    MarketOrderRequest,
)
from alpaca.common.enums import Sort
from alpaca.common.exceptions import APIError
from alpaca.trading.enums import (
    AccountStatus,
    ActivityType,
    OrderSide,
    OrderStatus,
    QueryOrderStatus,
    TimeInForce,
)
from alpaca.trading.models import (
    AllAccountsPositions,
    NonTradeActivity,
    PortfolioHistory,
    Position,
    TradeActivity,
)
from alpaca.trading.requests import (
    GetOrderByIdRequest,
    GetOrdersRequest,
    GetPortfolioHistoryRequest,
    ReplaceOrderRequest,
)

from portfolio_rt.sandbox.app import RunningSandbox
from tests.fixtures.settings import SANDBOX_KEY, SANDBOX_SECRET

# alpaca-py request models whose validators fill fields (`type`) or are untyped: used as Any.
ActivitiesRequest: Any = GetAccountActivitiesRequest
AccountsRequest: Any = ListAccountsRequest
MarketOrder: Any = MarketOrderRequest
LimitOrder: Any = LimitOrderRequest


def client(server: RunningSandbox) -> BrokerClient:
    return BrokerClient(SANDBOX_KEY, SANDBOX_SECRET, url_override=server.broker_url)


async def sdk(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """alpaca-py is synchronous: run each call in a worker thread.

    Typed `Any`: the SDK's return types are unions with its raw-data dicts.
    """
    return await asyncio.to_thread(fn, *args, **kwargs)


def persona(server: RunningSandbox, name: str) -> UUID:
    return server.sandbox.personas[name]


async def test_accounts_and_trade_account(sandbox_server: RunningSandbox) -> None:
    broker = client(sandbox_server)
    maya = persona(sandbox_server, "maya")
    account = await sdk(broker.get_account_by_id, maya)
    assert isinstance(account, Account)
    assert account.id == maya
    assert account.contact is not None
    trade = await sdk(broker.get_trade_account_by_id, maya)
    assert isinstance(trade, TradeAccount)
    assert Decimal(trade.equity or "0") > 0
    assert trade.previous_close is not None
    everyone = await sdk(broker.list_accounts)
    assert maya in {a.id for a in everyone}
    filtered = await sdk(
        broker.list_accounts,
        AccountsRequest(
            query=account.contact.email_address,
            status=[AccountStatus.ACTIVE, AccountStatus.APPROVED],
            created_after=account_created(account) - timedelta(seconds=1),
            created_before=datetime.now(UTC) + timedelta(days=1),
            sort=Sort.ASC,
            entities=[AccountEntities.CONTACT, AccountEntities.IDENTITY],
        ),
    )
    assert [a.id for a in filtered] == [maya]


async def test_sdk_reads_the_fields_alpaca_added(sandbox_server: RunningSandbox) -> None:
    """kyc_results, agreements, documents, trusted_contact; positions' usd and swap rates;
    transfers' currency, instant_amount and hold_until (which the SDK ignores); asset prices."""
    broker = client(sandbox_server)
    maya = persona(sandbox_server, "maya")
    account = await sdk(broker.get_account_by_id, maya)
    assert account.kyc_results is not None
    assert account.kyc_results.summary == "pass"
    assert account.agreements
    assert {a.agreement.value for a in account.agreements} >= {"customer_agreement"}
    assert account.documents
    assert account.documents[0].document_type == "identity_verification"
    assert account.trusted_contact is not None
    assert account.trusted_contact.email_address
    positions = await sdk(broker.get_all_positions_for_account, maya)
    assert all(p.usd is not None and p.usd.market_value == p.market_value for p in positions)
    assert {(p.swap_rate, p.avg_entry_swap_rate) for p in positions} == {("1", "1")}
    transfers = await sdk(broker.get_transfers_for_account, maya)
    assert transfers
    assert all(isinstance(t, Transfer) for t in transfers)
    raw = BrokerClient(
        SANDBOX_KEY, SANDBOX_SECRET, url_override=sandbox_server.broker_url, raw_data=True
    )
    asset = await sdk(raw.get_asset, "AAPL")
    assert Decimal(asset["last_price"]) > 0
    assert "last_close_pct_change" in asset
    assert (await sdk(broker.get_asset, "AAPL")).symbol == "AAPL"  # the model ignores them


def account_created(account: Account) -> datetime:
    return datetime.fromisoformat(str(account.created_at).replace("Z", "+00:00"))


async def test_unknown_account_raises_api_error_404(sandbox_server: RunningSandbox) -> None:
    broker = client(sandbox_server)
    with pytest.raises(APIError) as caught:
        await sdk(broker.get_account_by_id, uuid4())
    assert caught.value.status_code == 404
    assert caught.value.code == 40410000


async def test_positions_single_and_bulk(sandbox_server: RunningSandbox) -> None:
    broker = client(sandbox_server)
    maya = persona(sandbox_server, "maya")
    positions = await sdk(broker.get_all_positions_for_account, maya)
    assert positions
    assert all(isinstance(p, Position) for p in positions)
    first = positions[0]
    by_symbol = await sdk(broker.get_open_position_for_account, maya, first.symbol)
    by_asset = await sdk(broker.get_open_position_for_account, maya, first.asset_id)
    assert by_symbol.symbol == by_asset.symbol == first.symbol
    bulk = await sdk(broker.get_all_accounts_positions)
    assert isinstance(bulk, AllAccountsPositions)
    assert str(maya) in bulk.positions
    pat = await sdk(broker.get_all_positions_for_account, persona(sandbox_server, "pat"))
    assert len(pat) >= 250


@pytest.mark.parametrize(
    "request_",
    [
        None,
        GetPortfolioHistoryRequest(period="1D"),
        GetPortfolioHistoryRequest(period="1W", timeframe="15Min", extended_hours=True),
        GetPortfolioHistoryRequest(period="1M", timeframe="1D", cashflow_types="ALL"),
        GetPortfolioHistoryRequest(period="1A", timeframe="1D"),
        GetPortfolioHistoryRequest(
            period="1D", timeframe="5Min", intraday_reporting="continuous", pnl_reset="no_reset"
        ),
        GetPortfolioHistoryRequest(
            start=datetime(2025, 1, 2, 14, 30, tzinfo=UTC),
            end=datetime(2025, 3, 3, 21, 0, tzinfo=UTC),
            timeframe="1D",
        ),
        GetPortfolioHistoryRequest(period="1M", date_end=date(2025, 6, 30)),
    ],
)
async def test_portfolio_history_parses(
    sandbox_server: RunningSandbox, request_: GetPortfolioHistoryRequest | None
) -> None:
    broker = client(sandbox_server)
    history = await sdk(
        broker.get_portfolio_history_for_account, persona(sandbox_server, "sam"), request_
    )
    assert isinstance(history, PortfolioHistory)
    assert len(history.timestamp) == len(history.equity) == len(history.profit_loss)


async def test_order_lifecycle(fresh_sandbox_server: RunningSandbox) -> None:
    broker = client(fresh_sandbox_server)
    maya = persona(fresh_sandbox_server, "maya")
    market = await sdk(
        broker.submit_order_for_account,
        maya,
        MarketOrder(symbol="AAPL", qty=1.5, side=OrderSide.BUY, time_in_force="day"),
    )
    assert isinstance(market, Order)
    notional = await sdk(
        broker.submit_order_for_account,
        maya,
        MarketOrder(
            symbol="SPY", notional=250.0, side=OrderSide.BUY, time_in_force=TimeInForce.DAY
        ),
    )
    assert notional.notional == "250"
    client_id = f"sdk-{uuid4()}"
    limit = await sdk(
        broker.submit_order_for_account,
        maya,
        LimitOrder(
            symbol="AAPL",
            qty=1,
            side=OrderSide.BUY,
            time_in_force=TimeInForce.GTC,
            limit_price=1.25,
            client_order_id=client_id,
            commission=1.0,
        ),
    )
    assert limit.status in (OrderStatus.NEW, OrderStatus.ACCEPTED)
    got = await sdk(
        broker.get_order_for_account_by_id, maya, limit.id, GetOrderByIdRequest(nested=True)
    )
    assert got.id == limit.id
    by_client = await sdk(broker.get_order_for_account_by_client_id, maya, client_id)
    assert by_client.id == limit.id
    orders = await sdk(
        broker.get_orders_for_account,
        maya,
        GetOrdersRequest(
            status=QueryOrderStatus.ALL,
            limit=100,
            after=datetime(2020, 1, 1, tzinfo=UTC),
            until=datetime.now(UTC) + timedelta(days=1),
            direction=Sort.DESC,
            nested=True,
            side=OrderSide.BUY,
            symbols=["AAPL", "SPY"],
        ),
    )
    assert {market.id, notional.id, limit.id} <= {o.id for o in orders}
    replaced = await sdk(
        broker.replace_order_for_account_by_id,
        maya,
        limit.id,
        ReplaceOrderRequest(qty=2, limit_price=1.5),
    )
    assert replaced.limit_price in ("1.5", 1.5, "1.50")
    await sdk(broker.cancel_order_for_account_by_id, maya, replaced.id)
    canceled = await sdk(broker.get_order_for_account_by_id, maya, replaced.id)
    assert canceled.status == OrderStatus.CANCELED
    await sdk(
        broker.submit_order_for_account,
        maya,
        LimitOrder(symbol="SPY", qty=1, side=OrderSide.BUY, time_in_force="gtc", limit_price=1.0),
    )
    results = await sdk(broker.cancel_orders_for_account, maya)
    assert results
    assert {r.status for r in results} == {200}


async def test_insufficient_buying_power_is_api_error_403(
    sandbox_server: RunningSandbox,
) -> None:
    broker = client(sandbox_server)
    with pytest.raises(APIError) as caught:
        await sdk(
            broker.submit_order_for_account,
            persona(sandbox_server, "alex"),
            MarketOrder(symbol="AAPL", qty=100_000, side=OrderSide.BUY, time_in_force="day"),
        )
    assert caught.value.status_code == 403
    assert isinstance(caught.value.code, int)


async def wait_for_status(
    broker: BrokerClient, account: UUID, transfer_id: UUID, status: str, within: float = 10.0
) -> Any:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        transfers = await sdk(broker.get_transfers_for_account, account)
        match = next(t for t in transfers if t.id == transfer_id)
        if match.status == status:
            return match
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"transfer stayed {match.status}")
        await asyncio.sleep(0.1)


async def test_deposit_goes_queued_to_complete_and_raises_cash(
    fresh_sandbox_server: RunningSandbox,
) -> None:
    broker = client(fresh_sandbox_server)
    alex = persona(fresh_sandbox_server, "alex")
    before = Decimal((await sdk(broker.get_trade_account_by_id, alex)).cash or "0")
    relationships = await sdk(broker.get_ach_relationships_for_account, alex)
    assert relationships
    transfer = await sdk(
        broker.create_transfer_for_account,
        alex,
        CreateACHTransferRequest(
            amount="250.00",
            direction=TransferDirection.INCOMING,
            timing=TransferTiming.IMMEDIATE,
            relationship_id=relationships[0].id,
        ),
    )
    assert isinstance(transfer, Transfer)
    assert transfer.status == "QUEUED"
    await wait_for_status(broker, alex, transfer.id, "COMPLETE")
    after = Decimal((await sdk(broker.get_trade_account_by_id, alex)).cash or "0")
    assert after - before >= Decimal("250.00")


async def test_ach_relationships_and_transfer_cancel(fresh_sandbox_server: RunningSandbox) -> None:
    broker = client(fresh_sandbox_server)
    jordan = persona(fresh_sandbox_server, "jordan")
    existing = await sdk(broker.get_ach_relationships_for_account, jordan)
    for relationship in existing:
        await sdk(broker.delete_ach_relationship_for_account, jordan, relationship.id)
    created = await sdk(
        broker.create_ach_relationship_for_account,
        jordan,
        CreateACHRelationshipRequest(
            account_owner_name="Jordan Roe",
            bank_account_type=BankAccountType.CHECKING,
            bank_account_number="000123456789",
            bank_routing_number="121000358",
            nickname="Everyday checking",
        ),
    )
    assert isinstance(created, ACHRelationship)
    listed = await sdk(broker.get_ach_relationships_for_account, jordan, ["QUEUED", "APPROVED"])
    assert created.id in {r.id for r in listed}
    transfer = await sdk(
        broker.create_transfer_for_account,
        jordan,
        CreateACHTransferRequest(
            amount="10",
            direction=TransferDirection.INCOMING,
            timing=TransferTiming.IMMEDIATE,
            relationship_id=created.id,
        ),
    )
    await sdk(broker.cancel_transfer_for_account, jordan, transfer.id)
    await wait_for_status(broker, jordan, transfer.id, "CANCELED", within=2)
    await sdk(broker.delete_ach_relationship_for_account, jordan, created.id)
    remaining = await sdk(broker.get_ach_relationships_for_account, jordan)
    assert created.id not in {r.id for r in remaining}


async def test_transfer_pagination_ends(sandbox_server: RunningSandbox) -> None:
    broker = client(sandbox_server)
    maya = persona(sandbox_server, "maya")
    everything = await sdk(broker.get_transfers_for_account, maya)
    assert len(everything) >= 3
    paged = await sdk(broker.get_transfers_for_account, maya, GetTransfersRequest(limit=2))
    assert [t.id for t in paged] == [t.id for t in everything]
    capped = await sdk(
        broker.get_transfers_for_account, maya, GetTransfersRequest(limit=2), max_items_limit=3
    )
    assert len(capped) == 3
    incoming = await sdk(
        broker.get_transfers_for_account,
        maya,
        GetTransfersRequest(direction=TransferDirection.INCOMING),
    )
    assert all(t.direction == TransferDirection.INCOMING for t in incoming)


async def test_activities_pagination_ends_with_and_without_a_cap(
    sandbox_server: RunningSandbox,
) -> None:
    broker = client(sandbox_server)
    sam = persona(sandbox_server, "sam")
    everything = await sdk(
        broker.get_account_activities, ActivitiesRequest(account_id=sam, page_size=25)
    )
    assert len(everything) > 25
    assert all(isinstance(a, TradeActivity | NonTradeActivity) for a in everything)
    assert len({a.id for a in everything}) == len(everything)
    capped = await sdk(
        broker.get_account_activities,
        ActivitiesRequest(account_id=sam),
        max_items_limit=30,
    )
    assert [a.id for a in capped] == [a.id for a in everything[:30]]
    fills = await sdk(
        broker.get_account_activities,
        ActivitiesRequest(
            account_id=sam,
            activity_types=[ActivityType.FILL, ActivityType.DIV],
            direction=Sort.ASC,
            after=datetime(2020, 1, 1, tzinfo=UTC),
            until=datetime.now(UTC) + timedelta(days=1),
        ),
    )
    assert {a.activity_type for a in fills} <= {ActivityType.FILL, ActivityType.DIV}
    all_accounts = await sdk(
        broker.get_account_activities, ActivitiesRequest(), max_items_limit=250
    )
    assert len(all_accounts) == 250


async def test_withdrawal_goes_out_and_lowers_cash(fresh_sandbox_server: RunningSandbox) -> None:
    broker = client(fresh_sandbox_server)
    maya = persona(fresh_sandbox_server, "maya")
    started = fresh_sandbox_server.sandbox.now()
    before = Decimal((await sdk(broker.get_trade_account_by_id, maya)).cash)
    relationship = (await sdk(broker.get_ach_relationships_for_account, maya))[0]
    transfer = await sdk(
        broker.create_transfer_for_account,
        maya,
        CreateACHTransferRequest(
            amount="10.50",
            direction=TransferDirection.OUTGOING,
            timing=TransferTiming.IMMEDIATE,
            relationship_id=relationship.id,
        ),
    )
    assert transfer.direction == TransferDirection.OUTGOING
    await wait_for_status(broker, maya, transfer.id, "COMPLETE")
    after = Decimal((await sdk(broker.get_trade_account_by_id, maya)).cash)
    moves = await sdk(
        broker.get_account_activities,
        ActivitiesRequest(
            account_id=maya,
            activity_types=[ActivityType.CSW, ActivityType.DIV],
            after=started - timedelta(seconds=1),
        ),
    )
    assert [a.net_amount for a in moves if a.activity_type == ActivityType.CSW] == [-10.5]
    dividends = sum(
        (Decimal(str(a.net_amount)) for a in moves if a.activity_type == ActivityType.DIV),
        Decimal(0),
    )
    assert before - after + dividends == Decimal("10.50")


async def test_activities_for_one_date(sandbox_server: RunningSandbox) -> None:
    broker = client(sandbox_server)
    sam = persona(sandbox_server, "sam")
    some = await sdk(
        broker.get_account_activities,
        ActivitiesRequest(account_id=sam, activity_types=[ActivityType.DIV]),
        max_items_limit=1,
    )
    assert some
    day = some[0].date
    on_day = await sdk(
        broker.get_account_activities,
        ActivitiesRequest(account_id=sam, date=datetime(day.year, day.month, day.day, tzinfo=UTC)),
    )
    assert on_day
    assert all(getattr(a, "date", None) in (day, None) for a in on_day)
    assert some[0].id in {a.id for a in on_day}
