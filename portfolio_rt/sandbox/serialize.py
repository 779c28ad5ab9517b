"""Ledger records → the exact JSON bodies of Alpaca's Broker API.

Shapes follow what alpaca-py 0.44 parses (money and quantities as decimal strings, floats only
in portfolio-history arrays, nested objects omitted rather than `null`, enum values the SDK
knows), the Broker OpenAPI document and Alpaca's real responses as alpaca-py's tests captured
them. Times are Go's RFC 3339 as Alpaca writes them (`wire.rfc3339`: microseconds with trailing
zeros dropped, e.g. `2022-04-12T17:24:31.30283Z`). Pure functions: no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from .wire import rfc3339

if TYPE_CHECKING:
    from .records import (
        AccountRecord,
        ActivityRecord,
        Balances,
        BankRecord,
        OrderRecord,
        PortfolioHistory,
        PositionView,
        TransferRecord,
    )

JSON = dict[str, Any]
NY = ZoneInfo("America/New_York")
ZERO = Decimal(0)

# The account entities a list request may ask for; a single GET returns all of them.
SERVED_ENTITIES = frozenset(
    {"contact", "identity", "disclosures", "agreements", "documents", "trusted_contact"}
)

# What each account signed when it was opened (revisions as in Alpaca's examples: the Broker
# document's AccountExtended example and alpaca-py's test_accounts_routes.py).
AGREEMENTS = (("customer_agreement", "22.2024.08"), ("crypto_agreement", "04.2021.10"))
SIGNED_BEFORE_OPENING = timedelta(microseconds=4089)
DOCUMENT_AFTER_OPENING = timedelta(seconds=1, microseconds=600655)

# The sandbox clears its own trades; a value alpaca-py's ClearingBroker enum knows.
CLEARING_BROKER = "ALPACA_APCA"

# Accounts are in USD: a position's values need no conversion.
USD_SWAP_RATE = "1"

# A trading account's `user_configurations`: these keys, a new account's values.
USER_CONFIGURATIONS: Mapping[str, Any] = {
    "dtbp_check": "entry",
    "trade_confirm_email": "all",
    "suspend_trade": False,
    "no_shorting": True,
    "fractional_trading": True,
    "max_margin_multiplier": "1",
    "max_options_trading_level": 0,
    "pdt_check": "entry",
}


def money(value: Decimal) -> str:
    """A decimal string without exponent (`1E+2` → `"100"`), never `-0`."""
    if value == 0:
        value = abs(value)
    return format(value, "f")


def opt_money(value: Decimal | None) -> str | None:
    """`money` that keeps `None` as JSON `null`."""
    return None if value is None else money(value)


def timestamp(value: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, as Alpaca writes it: microseconds, trailing zeros dropped."""
    return rfc3339(value)


def opt_timestamp(value: datetime | None) -> str | None:
    """`timestamp` that keeps `None` as JSON `null`."""
    return None if value is None else timestamp(value)


def ny_timestamp(value: datetime) -> str:
    """RFC 3339 in New York time, as Alpaca reports market closes (`…T16:00:00-04:00`)."""
    return value.astimezone(NY).isoformat()


def _contact(record: AccountRecord) -> JSON:
    return {
        "email_address": record.email,
        "phone_number": record.phone,
        "street_address": [record.street],
        "city": record.city,
        "state": record.state,
        "postal_code": record.postal_code,
        "country": "USA",
    }


def _identity(record: AccountRecord) -> JSON:
    return {
        "given_name": record.given_name,
        "family_name": record.family_name,
        "date_of_birth": record.date_of_birth.isoformat(),
        "tax_id_type": "USA_SSN",
        "country_of_citizenship": "USA",
        "country_of_birth": "USA",
        "country_of_tax_residence": "USA",
        "funding_source": ["employment_income"],
    }


def _disclosures() -> JSON:
    return {
        "is_control_person": False,
        "is_affiliated_exchange_or_finra": False,
        "is_politically_exposed": False,
        "immediate_family_exposed": False,
        "is_discretionary": False,
    }  # no employment_status: alpaca-py's enum is upper case, Alpaca's spec lower case


def _agreements(record: AccountRecord) -> list[JSON]:
    """Signed just before the account opened; Alpaca stamps signatures in nanoseconds."""
    signed = record.created_at - SIGNED_BEFORE_OPENING
    nanos = 1 + record.id.int % 999
    return [
        {
            "agreement": kind,
            "signed_at": rfc3339(signed, nanos),
            "ip_address": "127.0.0.1",
            "revision": revision,
        }
        for kind, revision in AGREEMENTS
    ]


def _documents(record: AccountRecord) -> list[JSON]:
    """The identity document KYC was run on (`OwnerDocument`; no `content` link: the sandbox
    keeps no images)."""
    return [
        {
            "document_type": "identity_verification",
            "document_sub_type": "passport",
            "id": str(uuid5(record.id, "document:identity_verification")),
            "mime_type": "image/jpeg",
            "created_at": timestamp(record.created_at + DOCUMENT_AFTER_OPENING),
        }
    ]


def _trusted_contact(record: AccountRecord) -> JSON:
    family = record.family_name
    local = "".join(ch for ch in family.lower() if ch.isalnum()) or "contact"
    return {
        "given_name": "Jane",
        "family_name": family,
        "email_address": f"jane.{local}@example.com",
    }


def _kyc_results(record: AccountRecord) -> JSON | None:
    """An approved account passed KYC. The per-check maps (`reject`, `accept`,
    `indeterminate`) are left out: the sandbox runs no checks, and the Broker document types
    them as strings where Alpaca sends objects (alpaca-py's test_get_account)."""
    if record.status in ("ACTIVE", "APPROVED"):
        return {"summary": "pass"}
    return None


def account_json(
    record: AccountRecord, last_equity: Decimal, entities: Collection[str] = SERVED_ENTITIES
) -> JSON:
    """`AccountExtended` (GET /v1/accounts/{id} and the elements of GET /v1/accounts).

    Nested entities are included only when asked for and never as `null` (alpaca-py rejects
    `"contact": null`).
    """
    body: JSON = {
        "id": str(record.id),
        "account_number": record.account_number,
        "status": record.status,
        "crypto_status": record.status,
        "currency": "USD",
        "last_equity": money(last_equity),
        "created_at": timestamp(record.created_at),
        "account_type": "trading",
        "enabled_assets": ["us_equity", "crypto"],
    }
    kyc = _kyc_results(record)
    if kyc is not None:
        body["kyc_results"] = kyc
    if "contact" in entities:
        body["contact"] = _contact(record)
    if "identity" in entities:
        body["identity"] = _identity(record)
    if "disclosures" in entities:
        body["disclosures"] = _disclosures()
    if "agreements" in entities:
        body["agreements"] = _agreements(record)
    if "documents" in entities:
        body["documents"] = _documents(record)
    if "trusted_contact" in entities:
        body["trusted_contact"] = _trusted_contact(record)
    return body


def trade_account_json(
    record: AccountRecord, balances: Balances, configuration: Mapping[str, Any] | None = None
) -> JSON:
    """`TradeAccount` (GET /v1/trading/accounts/{id}/account): a cash account (multiplier 1).

    `configuration` (the account's trade configuration) gives `trade_suspended_by_user` and
    the values of `user_configurations`' keys.

    The ten keys alpaca-py requires even when null are always present. Alpaca removed the
    pattern-day-trader fields (`daytrading_buying_power`, `pattern_day_trader`,
    `daytrade_count`, ...) from its responses in 2026-07; they are omitted here too.
    """
    b = balances
    previous_close = b.previous_close
    user = {k: (configuration or {}).get(k, v) for k, v in USER_CONFIGURATIONS.items()}
    return {
        "id": str(record.id),
        "account_number": record.account_number,
        "status": record.status,
        "crypto_status": record.status,
        "currency": "USD",
        "buying_power": money(b.buying_power),
        "regt_buying_power": money(b.buying_power),
        "effective_buying_power": money(b.buying_power),
        "non_marginable_buying_power": money(b.buying_power),
        "options_buying_power": money(b.buying_power),
        "cash": money(b.cash),
        "cash_withdrawable": money(b.cash_withdrawable),
        "cash_transferable": money(b.cash_withdrawable),
        "accrued_fees": "0",
        "pending_transfer_out": money(b.pending_transfer_out),
        "pending_transfer_in": money(b.pending_transfer_in),
        "portfolio_value": money(b.equity),
        "trading_blocked": False,
        "transfers_blocked": False,
        "account_blocked": False,
        "created_at": timestamp(record.created_at),
        "trade_suspended_by_user": user["suspend_trade"],
        "multiplier": "1",
        "shorting_enabled": False,
        "equity": money(b.equity),
        "last_equity": money(b.last_equity),
        "long_market_value": money(b.long_market_value),
        "short_market_value": "0",
        "position_market_value": money(b.long_market_value),
        "initial_margin": money(b.long_market_value),
        "maintenance_margin": "0",
        "last_maintenance_margin": "0",
        "sma": "0",
        "balance_asof": previous_close.astimezone(NY).date().isoformat(),
        "previous_close": ny_timestamp(previous_close),
        "last_long_market_value": money(b.last_long_market_value),
        "last_short_market_value": "0",
        "last_cash": money(b.last_cash),
        "last_initial_margin": money(b.last_long_market_value),
        "last_regt_buying_power": money(b.last_cash),
        "last_options_buying_power": money(b.last_cash),
        "last_buying_power": money(b.last_cash),
        "clearing_broker": CLEARING_BROKER,
        "options_approved_level": 0,
        "options_trading_level": 0,
        "intraday_adjustments": "0",
        "pending_reg_taf_fees": "0",
        "admin_configurations": {},
        "user_configurations": user,
    }


def position_json(view: PositionView) -> JSON:
    """`Position` (long only: the sandbox has no short selling).

    Accounts are in USD, so the swap rates are 1 and `usd` repeats the position's values (as
    in the responses alpaca-py's tests captured; Alpaca documents them for local-currency
    accounts).
    """
    values = {
        "avg_entry_price": money(view.avg_entry_price),
        "market_value": money(view.market_value),
        "cost_basis": money(view.cost_basis),
        "unrealized_pl": money(view.unrealized_pl),
        "unrealized_plpc": money(view.unrealized_plpc),
        "unrealized_intraday_pl": money(view.unrealized_intraday_pl),
        "unrealized_intraday_plpc": money(view.unrealized_intraday_plpc),
        "current_price": money(view.current_price),
        "lastday_price": money(view.lastday_price),
        "change_today": money(view.change_today),
    }
    return {
        "asset_id": str(view.asset_id),
        "symbol": view.symbol,
        "exchange": view.exchange,
        "asset_class": view.asset_class,
        "asset_marginable": view.asset_class == "us_equity",
        "qty": money(view.qty),
        "qty_available": money(view.qty),
        "side": "long",
        **values,
        "swap_rate": USD_SWAP_RATE,
        "avg_entry_swap_rate": USD_SWAP_RATE,
        "usd": dict(values),
    }


def all_positions_json(as_of: datetime, positions: Mapping[UUID, Sequence[PositionView]]) -> JSON:
    """`AllAccountsPositions` (GET /v1/accounts/positions): one page of the account map."""
    return {
        "as_of": ny_timestamp(as_of),
        "positions": {
            str(account_id): [position_json(v) for v in views]
            for account_id, views in positions.items()
        },
    }


def order_json(record: OrderRecord) -> JSON:
    """Broker `Order`: `submitted_at`/`updated_at` never null; `commission` a decimal string."""
    return {
        "id": str(record.id),
        "client_order_id": record.client_order_id,
        "created_at": timestamp(record.created_at),
        "updated_at": timestamp(record.updated_at),
        "submitted_at": timestamp(record.submitted_at),
        "filled_at": opt_timestamp(record.filled_at),
        "expired_at": opt_timestamp(record.expired_at),
        "canceled_at": opt_timestamp(record.canceled_at),
        "failed_at": opt_timestamp(record.failed_at),
        "replaced_at": opt_timestamp(record.replaced_at),
        "replaced_by": _opt_uuid(record.replaced_by),
        "replaces": _opt_uuid(record.replaces),
        "asset_id": str(record.asset_id),
        "symbol": record.symbol,
        "asset_class": record.asset_class,
        "notional": opt_money(record.notional),
        "qty": opt_money(record.qty),
        "filled_qty": money(record.filled_qty),
        "filled_avg_price": opt_money(record.filled_avg_price),
        "order_class": "simple",
        "order_type": record.type,
        "type": record.type,
        "side": record.side,
        "time_in_force": record.time_in_force,
        "limit_price": opt_money(record.limit_price),
        "stop_price": opt_money(record.stop_price),
        "status": record.status,
        "extended_hours": False,
        "legs": None,
        "trail_percent": None,
        "trail_price": None,
        "hwm": None,
        "position_intent": "buy_to_open" if record.side == "buy" else "sell_to_close",
        "commission": money(record.commission),
    }


def _opt_uuid(value: UUID | None) -> str | None:
    return None if value is None else str(value)


def cancel_result_json(record: OrderRecord) -> JSON:
    """One element of DELETE …/orders (HTTP 207): the order id, 200, and the canceled order."""
    return {"id": str(record.id), "status": 200, "body": order_json(record)}


def bank_json(record: BankRecord) -> JSON:
    """`ACHRelationship`; `nickname` omitted when unset (the spec does not allow null)."""
    body: JSON = {
        "id": str(record.id),
        "account_id": str(record.account_id),
        "created_at": timestamp(record.created_at),
        "updated_at": timestamp(record.updated_at),
        "status": record.status,
        "account_owner_name": record.owner_name,
        "bank_account_type": record.bank_account_type,
        "bank_account_number": record.account_number,
        "bank_routing_number": record.routing_number,
    }
    if record.nickname is not None:
        body["nickname"] = record.nickname
    return body


def transfer_json(record: TransferRecord) -> JSON:
    """`Transfer` of type `ach` (with its `relationship_id`) or `wire` (with its `bank_id`, the
    recipient bank). `currency`, `instant_amount` and `hold_until` as Alpaca's 2024 answers
    carry them (alpaca-py's test_funding_routes.py): USD, no instant funding, no hold (`null`)."""
    amount = money(record.amount)
    source = "bank_id" if record.transfer_type == "wire" else "relationship_id"
    return {
        "id": str(record.id),
        source: str(record.relationship_id),
        "account_id": str(record.account_id),
        "type": record.transfer_type,
        "status": record.status,
        "currency": "USD",
        "reason": None,
        "amount": amount,
        "instant_amount": "0",
        "direction": record.direction,
        "created_at": timestamp(record.created_at),
        "updated_at": timestamp(record.updated_at),
        "expires_at": timestamp(record.expires_at),
        "hold_until": None,
        "additional_information": record.additional_information,
        "requested_amount": amount,
        "fee": "0",
        "fee_payment_method": "user",
    }


def _opt(body: JSON, key: str, value: Decimal | str | None) -> None:
    if value is None:
        return
    body[key] = money(value) if isinstance(value, Decimal) else value


def activity_json(record: ActivityRecord) -> JSON:
    """`TradeActivity` for FILL, `NonTradeActivity` otherwise (CSD, CSW, DIV, ...)."""
    body: JSON = {
        "id": record.id,
        "account_id": str(record.account_id),
        "activity_type": record.activity_type,
    }
    if record.activity_type == "FILL":
        leaves = record.leaves_qty if record.leaves_qty is not None else ZERO
        body.update(
            {
                "transaction_time": timestamp(record.at),
                "type": "fill" if leaves == 0 else "partial_fill",
                "price": money(record.price if record.price is not None else ZERO),
                "qty": money(record.qty if record.qty is not None else ZERO),
                "side": record.side or "buy",
                "symbol": record.symbol or "",
                "leaves_qty": money(leaves),
                "order_id": str(record.order_id),
                "cum_qty": money(record.cum_qty if record.cum_qty is not None else ZERO),
                "order_status": record.order_status or "filled",
            }
        )
        return body
    body.update(
        {
            "date": record.date.isoformat(),
            "net_amount": money(record.net_amount if record.net_amount is not None else ZERO),
            "description": record.description,
            "status": record.status,
        }
    )
    _opt(body, "symbol", record.symbol)
    _opt(body, "qty", record.qty)
    _opt(body, "price", record.price)
    _opt(body, "per_share_amount", record.per_share_amount)
    return body


def _floats(values: Sequence[Decimal]) -> list[float]:
    return [float(v) for v in values]


def portfolio_history_json(history: PortfolioHistory) -> JSON:
    """`PortfolioHistory`: int epoch seconds, float arrays, `cashflow` keyed by activity type."""
    body: JSON = {
        "timestamp": [int(t) for t in history.timestamp],
        "equity": _floats(history.equity),
        "profit_loss": _floats(history.profit_loss),
        "profit_loss_pct": [None if v is None else float(v) for v in history.profit_loss_pct],
        "base_value": None if history.base_value is None else float(history.base_value),
        "timeframe": history.timeframe,
        "cashflow": {kind: _floats(values) for kind, values in history.cashflow.items()},
    }
    if history.base_value_asof is not None:
        body["base_value_asof"] = _date(history.base_value_asof)
    return body


def _date(value: date) -> str:
    return value.isoformat()


def error_json(code: int, message: str) -> JSON:
    """Alpaca's error body."""
    return {"code": code, "message": message}
