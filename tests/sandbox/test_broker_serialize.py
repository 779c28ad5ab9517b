"""Serialisers on hand-built records: alpaca-py's models parse them and the Broker spec agrees."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest
from alpaca.broker.models import Account as _Account
from alpaca.broker.models import ACHRelationship, Order, TradeAccount, Transfer
from alpaca.trading.models import (
    AllAccountsPositions,
    NonTradeActivity,
    PortfolioHistory,
    Position,
    TradeActivity,
)

from portfolio_rt.sandbox import serialize as ser
from portfolio_rt.sandbox.records import (
    AccountRecord,
    ActivityRecord,
    Balances,
    BankRecord,
    OrderRecord,
    PositionView,
    TransferRecord,
)
from portfolio_rt.sandbox.records import (
    PortfolioHistory as HistoryView,
)

from .openapi_check import validate_component, validate_response
from .test_broker_openapi import transfer_for_spec

# alpaca-py's Account has an untyped custom __init__.
Account: Any = _Account

T0 = datetime(2024, 1, 2, 15, 0, 0, 123456, tzinfo=UTC)
ACCOUNT_ID = UUID("2a87c088-ffb6-472b-a4a3-cd9305c8605c")
ORDER_ID = UUID("61e69015-8549-4bfd-b9c3-01e75843f47d")
BANK_ID = UUID("15ef9978-cb1e-4872-9565-bd0a720b8b76")

# Alpaca removed these from TradeAccount responses (2026-07); the 2025 spec still requires them.
PDT_FIELDS = {
    "daytrading_buying_power": "0",
    "bod_dtbp": "0",
    "pattern_day_trader": False,
    "daytrade_count": 0,
}


def account_record() -> AccountRecord:
    return AccountRecord(
        id=ACCOUNT_ID,
        account_number="601865070",
        status="ACTIVE",
        created_at=T0,
        given_name="Maya",
        family_name="Lopez",
        email="maya@example.com",
        phone="+15555550100",
        street="20 N San Mateo Dr",
        city="San Mateo",
        state="CA",
        postal_code="94401",
        date_of_birth=date(2001, 5, 4),
    )


def balances() -> Balances:
    return Balances(
        cash=Decimal("1000.50"),
        equity=Decimal("12500.5"),
        long_market_value=Decimal("11500.00"),
        last_equity=Decimal("12400"),
        last_cash=Decimal("1000.50"),
        last_long_market_value=Decimal("11399.5"),
        buying_power=Decimal("1000.50"),
        pending_transfer_in=Decimal("100"),
        pending_transfer_out=Decimal(0),
        cash_withdrawable=Decimal("900.50"),
        previous_close=datetime(2024, 1, 1, 21, 0, tzinfo=UTC),
    )


def order_record(**changes: Any) -> OrderRecord:
    base: dict[str, Any] = {
        "id": ORDER_ID,
        "client_order_id": "my-1",
        "account_id": ACCOUNT_ID,
        "symbol": "AAPL",
        "asset_id": uuid4(),
        "asset_class": "us_equity",
        "side": "buy",
        "type": "market",
        "time_in_force": "day",
        "qty": Decimal("1.5"),
        "notional": None,
        "limit_price": None,
        "status": "filled",
        "created_at": T0,
        "submitted_at": T0,
        "updated_at": T0,
        "filled_at": T0,
        "canceled_at": None,
        "filled_qty": Decimal("1.5"),
        "filled_avg_price": Decimal("185.15"),
        "commission": Decimal(0),
    }
    return OrderRecord(**(base | changes))


def position_view() -> PositionView:
    return PositionView(
        symbol="AAPL",
        asset_id=uuid4(),
        exchange="NASDAQ",
        asset_class="us_equity",
        qty=Decimal(5),
        avg_entry_price=Decimal("100.0"),
        cost_basis=Decimal("500.0"),
        current_price=Decimal("120.0"),
        lastday_price=Decimal("118.0"),
        market_value=Decimal("600.0"),
        unrealized_pl=Decimal("100.0"),
        unrealized_plpc=Decimal("0.2"),
        unrealized_intraday_pl=Decimal("10.0"),
        unrealized_intraday_plpc=Decimal("0.0169"),
        change_today=Decimal("0.0169"),
    )


def activity(kind: str) -> ActivityRecord:
    fill = kind == "FILL"
    return ActivityRecord(
        id=f"20240102150000123::{uuid4()}",
        account_id=ACCOUNT_ID,
        activity_type=kind,
        at=T0,
        date=T0.date(),
        net_amount=None if fill else Decimal("1000"),
        symbol="AAPL" if kind != "CSD" else None,
        qty=Decimal(1) if fill else None,
        price=Decimal("185.15") if fill else None,
        side="buy" if fill else None,
        order_id=ORDER_ID if fill else None,
        order_status="filled" if fill else None,
        leaves_qty=Decimal(0) if fill else None,
        cum_qty=Decimal(1) if fill else None,
        per_share_amount=Decimal("0.24") if kind == "DIV" else None,
        description="",
    )


def test_money_is_a_plain_decimal_string() -> None:
    assert ser.money(Decimal("1E+2")) == "100"
    assert ser.money(Decimal("-0.00")) == "0.00"
    assert ser.money(Decimal("0.000000001")) == "0.000000001"


def test_timestamps_are_utc_with_z() -> None:
    assert ser.timestamp(T0) == "2024-01-02T15:00:00.123456Z"


def test_timestamps_drop_trailing_zeros_as_alpacas_do() -> None:
    # Alpaca writes Go's RFC3339Nano: "2022-04-12T17:24:31.30283Z" (alpaca-py's
    # test_accounts_routes.py), no fraction at all on a whole second.
    assert ser.timestamp(T0.replace(microsecond=302830)) == "2024-01-02T15:00:00.30283Z"
    assert ser.timestamp(T0.replace(microsecond=0)) == "2024-01-02T15:00:00Z"


def test_account_parses_into_alpaca_py_and_matches_spec() -> None:
    body = ser.account_json(account_record(), Decimal("12400.5"))
    account = Account(**body)
    assert account.last_equity == "12400.5"
    assert account.contact is not None
    assert account.contact.city == "San Mateo"
    assert account.identity is not None
    assert account.identity.given_name == "Maya"
    validate_component("broker-api", "AccountExtended", body)


def test_account_has_kyc_agreements_documents_and_trusted_contact() -> None:
    body = ser.account_json(account_record(), Decimal("12400.5"))
    account = Account(**body)
    assert account.kyc_results is not None
    assert account.kyc_results.summary == "pass"
    assert account.disclosures is not None
    assert body["disclosures"]["is_discretionary"] is False
    assert account.agreements is not None
    assert {a.agreement for a in account.agreements} == {"customer_agreement", "crypto_agreement"}
    # signed just before opening, stamped in nanoseconds as Alpaca's signatures are
    assert body["agreements"][0]["signed_at"] == "2024-01-02T15:00:00.119367707Z"
    assert account.documents is not None
    assert account.documents[0].document_type == "identity_verification"
    assert body["documents"][0]["created_at"] == "2024-01-02T15:00:01.724111Z"
    assert account.trusted_contact is not None
    assert account.trusted_contact.email_address == "jane.lopez@example.com"
    for agreement in body["agreements"]:
        validate_component("broker-api", "Agreement", agreement)
    validate_component("broker-api", "OwnerDocument", body["documents"][0])
    validate_component("broker-api", "TrustedContact", body["trusted_contact"])
    validate_component("broker-api", "KYCResults", body["kyc_results"])


def test_account_without_entities_omits_nested_objects() -> None:
    body = ser.account_json(account_record(), Decimal(0), entities=())
    assert "contact" not in body
    assert "identity" not in body
    Account(**body)


def test_trade_account_has_every_key_alpaca_py_requires() -> None:
    body = ser.trade_account_json(account_record(), balances())
    trade = TradeAccount(**body)
    assert trade.cash == "1000.50"
    assert trade.previous_close is not None
    assert body["balance_asof"] == "2024-01-01"
    validate_component("broker-api", "TradeAccount", body | PDT_FIELDS)


def test_position_parses_and_matches_spec() -> None:
    body = ser.position_json(position_view())
    position = Position(**body)
    assert position.qty == "5"
    # a USD account: swap rates of 1 and `usd` repeating the values (all ten keys alpaca-py needs)
    assert position.swap_rate == position.avg_entry_swap_rate == "1"
    assert position.usd is not None
    assert position.usd.market_value == body["market_value"] == "600.0"
    assert set(body["usd"]) == set(type(position.usd).model_fields)
    validate_component("broker-api", "Position", body)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"type": "limit", "limit_price": Decimal("150.25"), "status": "new", "filled_at": None},
        {"qty": None, "notional": Decimal("250"), "filled_qty": Decimal("1.35")},
        {"status": "canceled", "canceled_at": T0, "filled_at": None, "filled_avg_price": None},
    ],
)
def test_order_parses_and_matches_spec(changes: dict[str, Any]) -> None:
    body = ser.order_json(order_record(**changes))
    order = Order(**body)
    assert order.id == ORDER_ID
    validate_component("broker-api", "Order", body)


def test_bank_and_transfer_parse_and_match_spec() -> None:
    bank = BankRecord(
        id=BANK_ID,
        account_id=ACCOUNT_ID,
        created_at=T0,
        updated_at=T0,
        status="QUEUED",
        owner_name="Maya Lopez",
        bank_account_type="CHECKING",
        account_number="123456789",
        routing_number="121000358",
    )
    bank_body = ser.bank_json(bank)
    assert "nickname" not in bank_body
    ACHRelationship(**bank_body)
    validate_component("broker-api", "ACHRelationship", bank_body)
    transfer = TransferRecord(
        id=uuid4(),
        account_id=ACCOUNT_ID,
        relationship_id=BANK_ID,
        amount=Decimal("1000.00"),
        direction="INCOMING",
        status="QUEUED",
        created_at=T0,
        updated_at=T0,
        expires_at=T0,
        completes_at=T0,
    )
    transfer_body = ser.transfer_json(transfer)
    assert Transfer(**transfer_body).amount == "1000.00"
    assert transfer_body["currency"] == "USD"
    assert transfer_body["instant_amount"] == "0"
    assert transfer_body["hold_until"] is None
    validate_component("broker-api", "Transfer", transfer_for_spec(transfer_body))


@pytest.mark.parametrize("kind", ["FILL", "CSD", "CSW", "DIV"])
def test_activities_parse_into_the_right_model(kind: str) -> None:
    body = ser.activity_json(activity(kind))
    model = TradeActivity if kind == "FILL" else NonTradeActivity
    parsed = model(**body)
    assert parsed.activity_type == kind
    # The spec's Activity is a oneOf of two schemas without required keys, which every body
    # matches twice; check the branch that applies instead.
    validate_component(
        "broker-api", "TradeActivity" if kind == "FILL" else "NonTradeActivity", body
    )


def test_portfolio_history_parses_with_null_pct_and_cashflow() -> None:
    history = HistoryView(
        timestamp=[1697241600, 1697500800],
        equity=[Decimal("0"), Decimal("2794.79")],
        profit_loss=[Decimal(0), Decimal("10.0")],
        profit_loss_pct=[None, Decimal("0.0036")],
        base_value=Decimal("2784.79"),
        base_value_asof=date(2023, 10, 13),
        timeframe="1D",
        cashflow={"CSD": [Decimal(0), Decimal(100)]},
    )
    body = ser.portfolio_history_json(history)
    parsed = PortfolioHistory(**body)
    assert parsed.timestamp == [1697241600, 1697500800]
    assert parsed.profit_loss_pct == [None, 0.0036]
    assert body["base_value_asof"] == "2023-10-13"


def test_bulk_positions_page_parses_and_matches_spec() -> None:
    as_of = datetime(2024, 1, 2, 21, 0, tzinfo=UTC)
    body = ser.all_positions_json(as_of, {ACCOUNT_ID: [position_view()]})
    assert body["as_of"] == "2024-01-02T16:00:00-05:00"
    AllAccountsPositions(**body)
    validate_response("broker-api", "GET", "/v1/accounts/positions", 200, body)
