"""Journals: cash (JNLC) and shares (JNLS) moved between two accounts of the same broker, as
apps move rewards and cash-back from their firm account into a customer's.

The lifecycle follows Alpaca's rules for its sandbox (the Broker API document's
`CreateJournalRequest`): a journal within the transaction limit executes at once; a cash journal
above it waits `pending` until the end of the day and then executes; a description holding the
fixture `/fixtures/status=rejected/fixtures/` is rejected at the end of the day instead, and
`/fixtures/status=pending/fixtures/` stays pending for good. Only a pending journal can be
deleted. Every status change is a journal event; the money itself moves in the ledger
(`Ledger.journal_cash`, `Ledger.journal_shares`), which writes the JNLC and JNLS activities and
cash flows of both accounts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid5

from .order_rules import find_instrument, parse_decimal
from .records import CENT, QTY_STEP, LedgerError, not_found, unprocessable

if TYPE_CHECKING:
    from .ledger import Ledger

JOURNAL_NAMESPACE = UUID("5f0b7c2e-9d41-4a8e-b3c6-2e7d1a9f4c85")
FIRM_ACCOUNT_ID = uuid5(JOURNAL_NAMESPACE, "firm-account")
"""The partner's firm (sweep) account every sandbox has; rewards journals start there."""
FIRM_CASH = Decimal(1_000_000)
JNLC_LIMIT = Decimal(50)
"""A cash journal above this waits for the end of the day (the document's example journals
$51 with a fixture, "for amounts that are above the transaction limit")."""
MAX_DESCRIPTION = 1024
TRANSMITTER_FIELDS = (
    "transmitter_name",
    "transmitter_account_number",
    "transmitter_address",
    "transmitter_financial_institution",
    "transmitter_timestamp",
)
ENTRY_TYPES = ("JNLC", "JNLS")
STATUSES = ("pending", "canceled", "executed", "queued", "rejected", "deleted")
_FIXTURE = re.compile(r"/fixtures/status=(rejected|pending)/fixtures/")


@dataclass(slots=True)
class JournalRecord:
    """One journal; its status moves on (queued → executed, or pending → executed, rejected
    or deleted)."""

    id: UUID
    entry_type: str
    from_account: UUID
    to_account: UUID
    status: str
    created_at: datetime
    system_date: date
    settle_date: date
    description: str
    net_amount: Decimal | None = None
    symbol: str | None = None
    qty: Decimal | None = None
    price: Decimal | None = None
    transmitter: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class JournalRequest:
    """A validated request for one journal (the body of `POST /v1/journals`)."""

    entry_type: str
    from_account: UUID
    to_account: UUID
    description: str
    amount: Decimal | None = None
    symbol: str | None = None
    qty: Decimal | None = None
    transmitter: tuple[tuple[str, str], ...] = ()

    @property
    def fixture(self) -> str | None:
        """The end-of-day outcome the description asks for (`rejected`, `pending`), if any."""
        found = _FIXTURE.search(self.description)
        return found.group(1) if found else None


def _uuid(body: Mapping[str, Any], name: str) -> UUID:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise unprocessable(f"{name} is required")
    try:
        return UUID(value)
    except ValueError:
        raise unprocessable(f"{name} must be an account id (UUID)") from None


def _text(body: Mapping[str, Any], name: str, max_length: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise unprocessable(f"{name} must be a string")
    if len(value) > max_length:
        raise unprocessable(f"{name} must be at most {max_length} characters")
    return value


def _positive(body: Mapping[str, Any], name: str, step: Decimal) -> Decimal:
    value = parse_decimal(body.get(name), name)
    if value is None:
        raise unprocessable(f"{name} is required")
    if value <= 0:
        raise unprocessable(f"{name} must be greater than 0")
    if value != value.quantize(step):
        raise unprocessable(f"{name} has too many decimal places")
    return value


def parse_journal(body: Mapping[str, Any]) -> JournalRequest:
    """Validate one journal's fields (422 naming the first wrong one), before anything moves."""
    entry_type = body.get("entry_type")
    if entry_type not in ENTRY_TYPES:
        raise unprocessable("entry_type must be JNLC or JNLS")
    from_account, to_account = _uuid(body, "from_account"), _uuid(body, "to_account")
    if from_account == to_account:
        raise unprocessable("from_account and to_account must differ")
    description = _text(body, "description", MAX_DESCRIPTION) or ""
    transmitter = tuple(
        (name, value)
        for name in TRANSMITTER_FIELDS
        if (value := _text(body, name, 255)) is not None
    )
    if entry_type == "JNLC":
        if body.get("symbol") or body.get("qty") is not None:
            raise unprocessable("a JNLC journal moves an amount, not a symbol and qty")
        amount = _positive(body, "amount", CENT)
        return JournalRequest(
            "JNLC", from_account, to_account, description, amount=amount, transmitter=transmitter
        )
    if body.get("amount") is not None:
        raise unprocessable("a JNLS journal moves a symbol and qty, not an amount")
    if transmitter:
        raise unprocessable("transmitter fields are only valid for JNLC journals")
    symbol = _text(body, "symbol", 32)
    if not symbol:
        raise unprocessable("symbol is required for a JNLS journal")
    qty = _positive(body, "qty", QTY_STEP)
    return JournalRequest(
        "JNLS", from_account, to_account, description, symbol=symbol.upper(), qty=qty
    )


class JournalDesk:
    """Every journal of one sandbox: creating, executing at once or at the end of the day,
    deleting pending ones, listing."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._journals: dict[UUID, JournalRecord] = {}
        self._idempotency: dict[str, tuple[JournalRequest, UUID]] = {}

    # ------------------------------------------------------------------ writing

    def create(
        self, request: JournalRequest, *, idempotency_key: str | None = None
    ) -> JournalRecord:
        """Book one journal; a repeated `idempotency_key` with the same request returns the
        journal it made (nothing moves twice), with another request 422."""
        if idempotency_key is not None and idempotency_key in self._idempotency:
            first, journal_id = self._idempotency[idempotency_key]
            if first != request:
                raise unprocessable(
                    "Idempotency-Key was used with a different request: at least one field "
                    "changed from the first request"
                )
            return self._journals[journal_id]
        ledger = self.ledger
        now = ledger.now()
        symbol = self._symbol(request)
        ledger.check_journal(
            request.from_account,
            request.to_account,
            amount=request.amount,
            symbol=symbol,
            qty=request.qty,
            at=now,
        )
        waits = request.fixture is not None or (
            request.amount is not None and request.amount > JNLC_LIMIT
        )
        due, close_day = self._end_of_day(now)
        settles = close_day if waits else ledger.clock.market_date(now)
        journal = self._keep(request, symbol, "queued", settles)
        if idempotency_key is not None:
            self._idempotency[idempotency_key] = (request, journal.id)
        self._event(journal, None, now)
        if not waits:
            self._execute(journal, now)
        else:
            self._move(journal, "pending", now)
            if request.fixture != "pending":
                ledger.schedule_call(due, journal.to_account, lambda at: self._settle(journal, at))
        return journal

    def create_batch(self, requests: list[JournalRequest]) -> list[tuple[JournalRecord, str]]:
        """Many cash journals at once, each with its error message ("" when booked): an entry
        the accounts cannot make is kept as a rejected journal and the others still move."""
        out: list[tuple[JournalRecord, str]] = []
        for request in requests:
            try:
                out.append((self.create(request), ""))
            except LedgerError as exc:
                out.append((self._rejected(request), exc.message))
        return out

    def _rejected(self, request: JournalRequest) -> JournalRecord:
        day = self.ledger.clock.market_date(self.ledger.now())
        return self._keep(request, request.symbol, "rejected", day)

    def _keep(
        self, request: JournalRequest, symbol: str | None, status: str, settles: date
    ) -> JournalRecord:
        """A new journal of `request`, created now and kept (its id counts those kept)."""
        now = self.ledger.now()
        journal = JournalRecord(
            id=uuid5(JOURNAL_NAMESPACE, f"journal:{len(self._journals)}:{now.isoformat()}"),
            entry_type=request.entry_type,
            from_account=request.from_account,
            to_account=request.to_account,
            status=status,
            created_at=now,
            system_date=self.ledger.clock.market_date(now),
            settle_date=settles,
            description=request.description,
            net_amount=request.amount,
            symbol=symbol,
            qty=request.qty,
            transmitter=dict(request.transmitter),
        )
        self._journals[journal.id] = journal
        return journal

    def delete(self, journal_id: UUID) -> None:
        """Delete a pending journal; an executed one is reversed by a journal the other way."""
        journal = self.journal(journal_id)
        if journal.status != "pending":
            raise unprocessable(
                f"journal is {journal.status}; only a pending journal can be deleted"
            )
        self._move(journal, "deleted", self.ledger.now())

    # ------------------------------------------------------------------ reading

    def journal(self, journal_id: UUID) -> JournalRecord:
        self.ledger.advance()
        journal = self._journals.get(journal_id)
        if journal is None:
            raise not_found("journal")
        return journal

    def journals(
        self,
        *,
        after: date | None = None,
        before: date | None = None,
        status: str | None = None,
        entry_type: str | None = None,
        to_account: UUID | None = None,
        from_account: UUID | None = None,
        limit: int | None = None,
    ) -> list[JournalRecord]:
        """Journals matching every filter given, newest first (`after`/`before` by creation
        date, inclusive)."""
        self.ledger.advance()
        clock = self.ledger.clock
        found = [
            j
            for j in reversed(self._journals.values())
            if (after is None or clock.market_date(j.created_at) >= after)
            and (before is None or clock.market_date(j.created_at) <= before)
            and (status is None or j.status == status)
            and (entry_type is None or j.entry_type == entry_type)
            and (to_account is None or j.to_account == to_account)
            and (from_account is None or j.from_account == from_account)
        ]
        return found if limit is None else found[:limit]

    # ------------------------------------------------------------------ lifecycle

    def _symbol(self, request: JournalRequest) -> str | None:
        """A JNLS's symbol as the sandbox writes it (`BTCUSD` → `BTC/USD`); 422 when unknown."""
        if request.symbol is None:
            return None
        instrument = find_instrument(self.ledger.universe, request.symbol)
        if instrument is None:
            raise unprocessable(f"unknown symbol {request.symbol}")
        return instrument.symbol

    def _end_of_day(self, now: datetime) -> tuple[datetime, date]:
        """When pending journals are settled: the close of today's session, or of the next
        trading day's once today's has passed (and its date)."""
        calendar = self.ledger.clock.calendar
        day = self.ledger.clock.market_date(now)
        while True:
            session = calendar.session(day) if calendar.is_trading_day(day) else None
            if session is not None and session[1] > now:
                return session[1], day
            day = calendar.next_trading_day(day)

    def _settle(self, journal: JournalRecord, at: datetime) -> None:
        if journal.status != "pending":
            return
        fixture = _FIXTURE.search(journal.description)
        if fixture is not None and fixture.group(1) == "rejected":
            self._move(journal, "rejected", at)
            return
        try:
            self._execute(journal, at)
        except LedgerError:  # the money or shares left the account while it waited
            self._move(journal, "rejected", at)

    def _execute(self, journal: JournalRecord, at: datetime) -> None:
        ledger = self.ledger
        text = journal.description
        if journal.entry_type == "JNLC":
            assert journal.net_amount is not None
            ledger.journal_cash(
                journal.from_account,
                journal.to_account,
                journal.net_amount,
                description=text,
                at=at,
            )
        else:
            assert journal.symbol is not None
            assert journal.qty is not None
            journal.price = ledger.journal_shares(
                journal.from_account, journal.to_account, journal.symbol, journal.qty,
                description=text, at=at,
            )  # fmt: skip
        journal.settle_date = ledger.clock.market_date(at)
        self._move(journal, "executed", at)

    def _move(self, journal: JournalRecord, status: str, at: datetime) -> None:
        was = journal.status
        journal.status = status
        self._event(journal, was, at)

    def _event(self, journal: JournalRecord, was: str | None, at: datetime) -> None:
        body = {
            "journal_id": journal.id,
            "entry_type": journal.entry_type,
            "status_from": was or "",
            "status_to": journal.status,
        }
        self.ledger.events.record("journals", at, journal.to_account, body)
