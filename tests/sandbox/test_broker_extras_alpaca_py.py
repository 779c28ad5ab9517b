"""The real alpaca-py `BrokerClient` against a served sandbox: every method for closing
positions, trade configurations, watchlists, trade documents, recipient banks and wire
transfers, each answer parsed into the SDK's model and checked."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from alpaca.broker import BrokerClient
from alpaca.broker.enums import (
    BankStatus,
    IdentifierType,
    TradeDocumentType,
    TransferDirection,
    TransferTiming,
    TransferType,
)
from alpaca.broker.models import Bank, Order, TradeDocument, Transfer
from alpaca.broker.requests import (
    CreateBankRequest,
    CreateBankTransferRequest,
    GetAccountActivitiesRequest,
    GetTradeDocumentsRequest,
    LimitOrderRequest,
    MarketOrderRequest,
)
from alpaca.common.exceptions import APIError
from alpaca.trading.enums import ActivityType, OrderSide, OrderStatus
from alpaca.trading.models import AccountConfiguration, ClosePositionResponse, Watchlist
from alpaca.trading.models import Order as TradingOrder
from alpaca.trading.requests import (
    ClosePositionRequest,
    CreateWatchlistRequest,
    UpdateWatchlistRequest,
)

from portfolio_rt.sandbox.app import RunningSandbox
from tests.fixtures.settings import SANDBOX_KEY, SANDBOX_SECRET

ActivitiesRequest: Any = GetAccountActivitiesRequest
MarketOrder: Any = MarketOrderRequest
LimitOrder: Any = LimitOrderRequest
ROUTING = "121000358"


def client(server: RunningSandbox) -> BrokerClient:
    return BrokerClient(SANDBOX_KEY, SANDBOX_SECRET, url_override=server.broker_url)


async def sdk(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """alpaca-py is synchronous: each call runs in a worker thread."""
    return await asyncio.to_thread(fn, *args, **kwargs)


def persona(server: RunningSandbox, name: str) -> UUID:
    return server.sandbox.personas[name]


async def test_close_one_position_by_qty_percentage_and_whole(
    fresh_sandbox_server: RunningSandbox,
) -> None:
    broker = client(fresh_sandbox_server)
    maya = persona(fresh_sandbox_server, "maya")
    positions = {p.symbol: p for p in await sdk(broker.get_all_positions_for_account, maya)}
    by_qty = await sdk(
        broker.close_position_for_account, maya, "VTI", ClosePositionRequest(qty="1.5")
    )
    assert isinstance(by_qty, Order)
    assert (by_qty.symbol, by_qty.side, by_qty.type, by_qty.qty) == (
        "VTI",
        OrderSide.SELL,
        "market",
        "1.5",
    )
    assert by_qty.status == OrderStatus.ACCEPTED
    vxus = positions["VXUS"]
    by_pct = await sdk(
        broker.close_position_for_account,
        maya,
        vxus.asset_id,
        ClosePositionRequest(percentage="10"),
    )
    tenth = (Decimal(vxus.qty) / 10).quantize(Decimal("0.000000001"), rounding=ROUND_DOWN)
    assert (by_pct.symbol, Decimal(str(by_pct.qty))) == ("VXUS", tenth)
    whole = await sdk(broker.close_position_for_account, maya, "QQQ")
    assert Decimal(str(whole.qty)) == Decimal(positions["QQQ"].qty)
    with pytest.raises(APIError) as caught:
        await sdk(broker.close_position_for_account, maya, "TSLA")
    assert (caught.value.status_code, caught.value.code) == (404, 40410000)


async def test_close_all_positions_answers_one_result_each(
    fresh_sandbox_server: RunningSandbox,
) -> None:
    broker = client(fresh_sandbox_server)
    jordan = persona(fresh_sandbox_server, "jordan")
    held = {p.symbol: p.qty for p in await sdk(broker.get_all_positions_for_account, jordan)}
    assert held
    for symbol, qty in held.items():  # sell orders far above the market hold every share
        await sdk(
            broker.submit_order_for_account,
            jordan,
            LimitOrder(symbol=symbol, qty=qty, side=OrderSide.SELL, time_in_force="gtc",
                       limit_price=100_000),
        )  # fmt: skip
    refused = await sdk(broker.close_all_positions_for_account, jordan)
    assert all(isinstance(r, ClosePositionResponse) for r in refused)
    assert {r.status for r in refused} == {403}
    assert {r.body.symbol: r.body.existing_qty for r in refused} == {
        symbol: float(qty) for symbol, qty in held.items()
    }
    assert all(r.body.code == 40310000 and r.body.available == 0 for r in refused)
    results = await sdk(broker.close_all_positions_for_account, jordan, cancel_orders=True)
    assert {r.status for r in results} == {200}
    assert {r.body.symbol for r in results} == set(held)
    # `ClosePositionResponse.body` is the Trading API's Order (or the failure's details).
    assert all(isinstance(r.body, TradingOrder) for r in results)
    assert {r.body.side for r in results} == {OrderSide.SELL}
    assert {r.body.symbol: r.body.qty for r in results} == held


async def test_trade_configuration_reads_updates_and_suspends(
    fresh_sandbox_server: RunningSandbox,
) -> None:
    broker = client(fresh_sandbox_server)
    maya = persona(fresh_sandbox_server, "maya")
    config = await sdk(broker.get_trade_configuration_for_account, maya)
    assert isinstance(config, AccountConfiguration)
    assert (config.suspend_trade, config.fractional_trading, config.max_margin_multiplier) == (
        False,
        True,
        "1",
    )
    config.suspend_trade = True
    config.max_options_trading_level = 1
    updated = await sdk(broker.update_trade_configuration_for_account, maya, config)
    assert isinstance(updated, AccountConfiguration)
    assert updated.suspend_trade is True
    assert updated.max_options_trading_level == 1
    assert (await sdk(broker.get_trade_account_by_id, maya)).trade_suspended_by_user is True
    with pytest.raises(APIError) as caught:
        await sdk(
            broker.submit_order_for_account,
            maya,
            MarketOrder(symbol="T", qty=1, side=OrderSide.BUY, time_in_force="day"),
        )
    assert caught.value.status_code == 403
    assert caught.value.message == "new orders are rejected by user request"
    updated.suspend_trade = False
    updated.fractional_trading = False
    await sdk(broker.update_trade_configuration_for_account, maya, updated)
    with pytest.raises(APIError) as fractional:
        await sdk(
            broker.submit_order_for_account,
            maya,
            MarketOrder(symbol="T", qty=0.5, side=OrderSide.BUY, time_in_force="day"),
        )
    assert (fractional.value.status_code, fractional.value.message) == (422, "qty must be integer")
    whole = await sdk(
        broker.submit_order_for_account,
        maya,
        MarketOrder(symbol="T", qty=1, side=OrderSide.BUY, time_in_force="day"),
    )
    assert whole.qty in ("1", 1.0)


async def test_watchlist_methods(fresh_sandbox_server: RunningSandbox) -> None:
    broker = client(fresh_sandbox_server)
    sam = persona(fresh_sandbox_server, "sam")
    created = await sdk(
        broker.create_watchlist_for_account,
        sam,
        CreateWatchlistRequest(name="Tech", symbols=["AAPL", "MSFT"]),
    )
    assert isinstance(created, Watchlist)
    assert created.account_id == sam
    assert [a.symbol for a in created.assets or []] == ["AAPL", "MSFT"]
    listed = await sdk(broker.get_watchlists_for_account, sam)
    assert [(w.id, w.name, w.assets) for w in listed] == [(created.id, "Tech", None)]
    got = await sdk(broker.get_watchlist_for_account_by_id, sam, created.id)
    assert [a.symbol for a in got.assets or []] == ["AAPL", "MSFT"]
    added = await sdk(broker.add_asset_to_watchlist_for_account_by_id, sam, created.id, "BTC/USD")
    assert [a.symbol for a in added.assets or []] == ["AAPL", "MSFT", "BTC/USD"]
    removed = await sdk(
        broker.remove_asset_from_watchlist_for_account_by_id, sam, created.id, "MSFT"
    )
    assert [a.symbol for a in removed.assets or []] == ["AAPL", "BTC/USD"]
    renamed = await sdk(
        broker.update_watchlist_for_account_by_id,
        sam,
        created.id,
        UpdateWatchlistRequest(name="Core", symbols=["SPY"]),
    )
    assert (renamed.name, [a.symbol for a in renamed.assets or []]) == ("Core", ["SPY"])
    assert renamed.updated_at >= created.updated_at
    await sdk(broker.delete_watchlist_from_account_by_id, sam, created.id)
    assert await sdk(broker.get_watchlists_for_account, sam) == []
    with pytest.raises(APIError) as caught:
        await sdk(broker.get_watchlist_for_account_by_id, sam, created.id)
    assert caught.value.status_code == 404


async def test_trade_document_methods(sandbox_server: RunningSandbox, tmp_path: Path) -> None:
    broker = client(sandbox_server)
    maya = persona(sandbox_server, "maya")
    everything = await sdk(broker.get_trade_documents_for_account, maya)
    assert everything
    assert all(isinstance(d, TradeDocument) for d in everything)
    kinds = {d.type for d in everything}
    assert kinds == {TradeDocumentType.ACCOUNT_STATEMENT, TradeDocumentType.TRADE_CONFIRMATION}
    statements = [d for d in everything if d.type == TradeDocumentType.ACCOUNT_STATEMENT]
    last = statements[-1]
    filtered = await sdk(
        broker.get_trade_documents_for_account,
        maya,
        GetTradeDocumentsRequest(
            start=last.date, end=last.date, type=TradeDocumentType.ACCOUNT_STATEMENT
        ),
    )
    assert [d.id for d in filtered] == [last.id]
    one = await sdk(broker.get_trade_document_for_account_by_id, maya, last.id)
    assert (one.id, one.date, one.sub_type) == (last.id, last.date, None)
    target = tmp_path / "statement.pdf"
    await sdk(broker.download_trade_document_for_account_by_id, maya, last.id, str(target))
    content = target.read_bytes()
    assert content.startswith(b"%PDF-1.4")
    assert content.rstrip().endswith(b"%%EOF")
    assert b"Closing equity" in content
    confirmation = next(d for d in everything if d.type == TradeDocumentType.TRADE_CONFIRMATION)
    other = tmp_path / "confirmation.pdf"
    await sdk(broker.download_trade_document_for_account_by_id, maya, confirmation.id, str(other))
    assert confirmation.date.isoformat().encode() in other.read_bytes()
    with pytest.raises(APIError) as caught:
        await sdk(
            broker.get_trade_document_for_account_by_id, persona(sandbox_server, "sam"), last.id
        )
    assert caught.value.status_code == 404


async def test_recipient_bank_methods_and_a_wire_deposit(
    fresh_sandbox_server: RunningSandbox,
) -> None:
    broker = client(fresh_sandbox_server)
    pat = persona(fresh_sandbox_server, "pat")
    before = Decimal((await sdk(broker.get_trade_account_by_id, pat)).cash)
    bank = await sdk(
        broker.create_bank_for_account,
        pat,
        CreateBankRequest(
            name="First Wire Bank",
            bank_code_type=IdentifierType.ABA,
            bank_code=ROUTING,
            account_number="123456789abc",
        ),
    )
    assert isinstance(bank, Bank)
    assert (bank.status, bank.bank_code_type, bank.country) == (
        BankStatus.QUEUED,
        IdentifierType.ABA,
        "",
    )
    assert [b.id for b in await sdk(broker.get_banks_for_account, pat)] == [bank.id]
    transfer = await sdk(
        broker.create_transfer_for_account,
        pat,
        CreateBankTransferRequest(
            amount="1250.50",
            direction=TransferDirection.INCOMING,
            timing=TransferTiming.IMMEDIATE,
            bank_id=bank.id,
            additional_information="invoice 42",
        ),
    )
    assert isinstance(transfer, Transfer)
    assert (transfer.type, transfer.bank_id, transfer.relationship_id) == (
        TransferType.WIRE,
        bank.id,
        None,
    )
    assert transfer.additional_information == "invoice 42"
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        listed = await sdk(broker.get_transfers_for_account, pat)
        match = next(t for t in listed if t.id == transfer.id)
        if match.status == "COMPLETE" or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.1)
    assert match.status == "COMPLETE"
    after = Decimal((await sdk(broker.get_trade_account_by_id, pat)).cash)
    assert after - before >= Decimal("1250.50")
    deposits = await sdk(
        broker.get_account_activities,
        ActivitiesRequest(account_id=pat, activity_types=[ActivityType.CSD]),
        max_items_limit=1,
    )
    assert (deposits[0].net_amount, deposits[0].description) == (1250.5, "Wire deposit")
    assert (await sdk(broker.get_banks_for_account, pat))[0].status == BankStatus.APPROVED
    await sdk(broker.delete_bank_for_account, pat, bank.id)
    assert await sdk(broker.get_banks_for_account, pat) == []
