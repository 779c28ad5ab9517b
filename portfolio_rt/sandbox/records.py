"""The ledger's records and read-only views: what the Broker routes serialise.

Records are mutable and owned by the ledger (a transfer's status moves on, an order fills); the
routes only read them. Views (`PositionView`, `Balances`, `PortfolioHistory`) are computed per
read and frozen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

CENT = Decimal("0.01")
QTY_STEP = Decimal("0.000000001")
ZERO = Decimal(0)


class LedgerError(Exception):
    """A request the ledger refuses, with Alpaca's HTTP status and 8-digit error code.

    Raised before anything is changed, so a refused request never alters the ledger.
    """

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"LedgerError({self.status}, {self.code}, {self.message!r})"


def not_found(what: str) -> LedgerError:
    """Alpaca's 404 for an unknown id."""
    return LedgerError(404, 40410000, f"{what} not found")


def unprocessable(message: str) -> LedgerError:
    """Alpaca's 422 for a well-formed request with invalid values."""
    return LedgerError(422, 42210000, message)


def forbidden(message: str) -> LedgerError:
    """Alpaca's 403 for a request the account cannot afford or is not allowed."""
    return LedgerError(403, 40310000, message)


@dataclass(slots=True)
class AccountRecord:
    """A brokerage account's identity and contact data (the Broker `Account`)."""

    id: UUID
    account_number: str
    status: str
    created_at: datetime
    given_name: str
    family_name: str
    email: str
    phone: str
    street: str
    city: str
    state: str
    postal_code: str
    date_of_birth: date
    persona: str | None = None
    firm: bool = False
    """The partner's own (sweep) account, the source of rewards journals: not a customer's, so
    not listed with them."""


@dataclass(slots=True)
class BankRecord:
    """An ACH relationship: the bank account deposits come from."""

    id: UUID
    account_id: UUID
    created_at: datetime
    updated_at: datetime
    status: str  # "QUEUED" | "APPROVED"
    owner_name: str
    bank_account_type: str
    account_number: str
    routing_number: str
    nickname: str | None = None
    approves_at: datetime | None = None


@dataclass(slots=True)
class TransferRecord:
    """An ACH or wire transfer; its cash moves only when it reaches COMPLETE."""

    id: UUID
    account_id: UUID
    relationship_id: UUID
    """The ACH relationship, or for a wire the recipient bank."""
    amount: Decimal
    direction: str  # "INCOMING" | "OUTGOING"
    status: str  # QUEUED -> SENT_TO_CLEARING -> COMPLETE, or CANCELED
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    completes_at: datetime
    transfer_type: str = "ach"  # "ach" | "wire"
    additional_information: str | None = None
    """A wire's details for the bank."""

    @property
    def method(self) -> str:
        """How the money moves, as activity descriptions name it: "ACH" or "Wire"."""
        return "Wire" if self.transfer_type == "wire" else "ACH"


@dataclass(slots=True)
class OrderRecord:
    """An order and what it has traded so far (one fill, or several partial fills)."""

    id: UUID
    client_order_id: str
    account_id: UUID
    symbol: str
    asset_id: UUID
    asset_class: str
    side: str
    type: str
    time_in_force: str
    qty: Decimal | None
    notional: Decimal | None
    limit_price: Decimal | None
    status: str
    created_at: datetime
    submitted_at: datetime
    updated_at: datetime
    filled_at: datetime | None
    canceled_at: datetime | None
    filled_qty: Decimal
    filled_avg_price: Decimal | None
    commission: Decimal
    stop_price: Decimal | None = None
    expired_at: datetime | None = None
    failed_at: datetime | None = None
    replaced_at: datetime | None = None
    replaced_by: UUID | None = None
    replaces: UUID | None = None
    triggered: bool = False
    """A stop order whose stop price was reached (it then trades as market or limit)."""
    live: bool = False
    """Placed now (through the API), not written into the past: it trades after a delay."""


@dataclass(slots=True)
class ActivityRecord:
    """One account activity: a fill (FILL) or a cash movement (CSD, CSW, DIV)."""

    id: str  # "YYYYMMDDhhmmssSSS::<uuid>"
    account_id: UUID
    activity_type: str
    at: datetime
    date: date
    net_amount: Decimal | None
    symbol: str | None
    qty: Decimal | None
    price: Decimal | None
    side: str | None
    order_id: UUID | None
    order_status: str | None
    leaves_qty: Decimal | None
    cum_qty: Decimal | None
    per_share_amount: Decimal | None
    description: str
    status: str = "executed"


@dataclass(frozen=True, slots=True)
class PositionView:
    """A held position valued at the live price."""

    symbol: str
    asset_id: UUID
    exchange: str
    asset_class: str
    qty: Decimal
    avg_entry_price: Decimal
    cost_basis: Decimal
    current_price: Decimal
    lastday_price: Decimal
    market_value: Decimal
    unrealized_pl: Decimal
    unrealized_plpc: Decimal
    unrealized_intraday_pl: Decimal
    unrealized_intraday_plpc: Decimal
    change_today: Decimal
    first_bought_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Balances:
    """An account's money at the live prices, and at the previous close."""

    cash: Decimal
    equity: Decimal
    long_market_value: Decimal
    last_equity: Decimal
    last_cash: Decimal
    last_long_market_value: Decimal
    buying_power: Decimal
    pending_transfer_in: Decimal
    pending_transfer_out: Decimal
    cash_withdrawable: Decimal
    previous_close: datetime


@dataclass(frozen=True, slots=True)
class PortfolioHistory:
    """Equity over time, as Alpaca's portfolio-history endpoint reports it."""

    timestamp: list[int]
    equity: list[Decimal]
    profit_loss: list[Decimal]
    profit_loss_pct: list[Decimal | None]
    base_value: Decimal | None
    base_value_asof: date | None
    timeframe: str
    cashflow: dict[str, list[Decimal]]
