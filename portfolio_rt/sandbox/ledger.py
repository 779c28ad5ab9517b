"""The sandbox's brokerage ledger: accounts, banks, transfers, orders, positions and activities.

Each account is event-sourced (deposits, withdrawals, fills and dividends in time order), so the
balances at any instant and the portfolio history are replays of the same events and always agree.
Every request is validated completely before anything changes: a `LedgerError` leaves the ledger
as it was. Time-driven work (transfers clearing, orders filling at the open, dividends) happens in
`advance`, which every read calls with the current time; `at=` lets the persona replay write
history in the past.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from .activity_log import SDK_ACTIVITY_TYPES, activity_id, check_paging, epoch_ms, page, parse_types
from .book import Book, Holding, MoneyEvent
from .dividends import DividendCalendar
from .events import EventLog
from .history import HistoryRequest, build_history
from .order_rules import (
    OPEN_ORDER_STATUSES,
    OrderTerms,
    check_order,
    find_instrument,
    money,
    notional_qty,
    parse_decimal,
    plain,
    reservation,
)
from .records import (
    CENT,
    QTY_STEP,
    ZERO,
    AccountRecord,
    ActivityRecord,
    Balances,
    BankRecord,
    LedgerError,
    OrderRecord,
    PortfolioHistory,
    PositionView,
    TransferRecord,
    forbidden,
    not_found,
    unprocessable,
)

if TYPE_CHECKING:
    from .calendar import MarketClock
    from .market import Dividend, Market

__all__ = [
    "AccountRecord",
    "ActivityRecord",
    "Balances",
    "BankRecord",
    "Ledger",
    "LedgerError",
    "OrderRecord",
    "PortfolioHistory",
    "PositionView",
    "Replay",
    "TransferRecord",
]

LEDGER_NAMESPACE = UUID("3b8e5d7a-2f64-4c1e-8a9b-5d0c7e4f1a26")
NY = ZoneInfo("America/New_York")
MAX_TRANSFER = Decimal(50_000)
TRANSFER_EXPIRY = timedelta(days=7)

# Replays a lazily built account into the ledger (see `Ledger.create_account(replay=...)`).
Replay = Callable[["Ledger", UUID], None]

# An account's own rule for new orders (see `Ledger.order_rules`); raises `LedgerError`.
OrderRule = Callable[[UUID, OrderTerms], None]


@dataclass(slots=True)
class _Due:
    """A piece of time-driven work for one account (queued as `(due, seq, _Due)` tuples)."""

    due: datetime
    kind: str
    account_id: UUID
    payload: object


@dataclass(frozen=True, slots=True)
class _DividendPayment:
    """A dividend owed to one holder: fixed on the ex-date, paid on the pay date."""

    symbol: str
    qty: Decimal
    per_share: Decimal
    amount: Decimal


def _ny(d: date, at: time) -> datetime:
    return datetime.combine(d, at, NY).astimezone(UTC)


def _aware(t: datetime | None) -> datetime | None:
    """Naive datetimes are UTC (as alpaca-py sends them)."""
    return t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t


class Ledger:
    """All accounts of one sandbox; routes read its records and call its methods."""

    def __init__(
        self,
        market: Market,
        clock: MarketClock,
        *,
        now: Callable[[], datetime],
        transfer_delay: timedelta,
        fill_delay: timedelta = timedelta(0),
        partial_fill_above: Decimal = Decimal(10_000),
        events: EventLog | None = None,
    ) -> None:
        self.market = market
        self.clock = clock
        self.universe = market.universe
        self._now = now
        self.transfer_delay = transfer_delay
        self.fill_delay = fill_delay
        """From an order's submission to its fill (0: at once, for tests of the ledger)."""
        self.partial_fill_above = partial_fill_above
        self.events = events if events is not None else EventLog()
        self.order_rules: list[OrderRule] = []
        """Per-account rules a new order must also pass, after `check_order` and before its
        buying power is checked (the trade configuration's `TradeConfigs.check_order`)."""
        self._accounts: dict[UUID, AccountRecord] = {}
        self._books: dict[UUID, Book] = {}
        self._lazy: dict[UUID, Replay] = {}
        self._due: list[tuple[datetime, int, _Due]] = []
        self._due_seq = 0
        self._resting: dict[UUID, OrderRecord] = {}
        self._executions: dict[UUID, int] = {}
        self._dividends = DividendCalendar(market, now)
        self._awaiting_ex: dict[str, dict[UUID, date]] = {}
        self._awaiting_checked: date | None = None
        self._all_activities: list[ActivityRecord] = []
        self._all_sorted = True

    def now(self) -> datetime:
        """The ledger's current time (the injected clock)."""
        return self._now()

    # ------------------------------------------------------------------ accounts

    def create_account(
        self,
        *,
        given_name: str,
        family_name: str,
        email: str,
        created_at: datetime | None = None,
        persona: str | None = None,
        account_id: UUID | None = None,
        phone: str = "555-0100",
        street: str = "20 N San Mateo Dr",
        city: str = "San Mateo",
        state: str = "CA",
        postal_code: str = "94401",
        date_of_birth: date = date(1995, 1, 1),
        account_number: str | None = None,
        replay: Replay | None = None,
    ) -> AccountRecord:
        """Open an ACTIVE account; with `replay` its history is built on first use (load tests)."""
        created = created_at or self._now()
        new_id = account_id or uuid5(LEDGER_NAMESPACE, f"account:{email}:{created.isoformat()}")
        if new_id in self._accounts:
            raise LedgerError(409, 40910000, "account already exists")
        if not given_name or not family_name or not email:
            raise unprocessable("given_name, family_name and email are required")
        record = AccountRecord(
            id=new_id,
            account_number=account_number or f"9{new_id.int % 10**8:08d}",
            status="ACTIVE",
            created_at=created,
            given_name=given_name,
            family_name=family_name,
            email=email,
            phone=phone,
            street=street,
            city=city,
            state=state,
            postal_code=postal_code,
            date_of_birth=date_of_birth,
            persona=persona,
        )
        self._accounts[new_id] = record
        if replay is None:
            self._books[new_id] = Book(record)
            body = {"status_from": "", "status_to": "ACTIVE", "record": record}
            self.events.record("accounts", created, new_id, body)
        else:
            self._lazy[new_id] = replay
        return record

    def open_firm_account(self, account_id: UUID, *, cash: Decimal, at: datetime) -> AccountRecord:
        """The partner's firm account, holding `cash` from `at`: journals to customers start
        there, and it is not listed with them (`accounts`)."""
        record = self.create_account(
            account_id=account_id,
            given_name="Firm",
            family_name="Sweep Account",
            email="firm@sandbox.invalid",
            created_at=at,
        )
        record.firm = True
        book = self._book(account_id)
        self._touch(book, at)
        book.cash += cash
        book.add_event(MoneyEvent(at, cash, flow="CSD"))
        return record

    def accounts(self) -> list[AccountRecord]:
        """Every customer account (not the firm's), oldest registration first."""
        return [record for record in self._accounts.values() if not record.firm]

    def account(self, account_id: UUID) -> AccountRecord:
        """One account's record; 404 when unknown."""
        record = self._accounts.get(account_id)
        if record is None:
            raise not_found("account")
        return record

    def _book(self, account_id: UUID) -> Book:
        book = self._books.get(account_id)
        if book is not None:
            return book
        if account_id not in self._accounts:
            raise not_found("account")
        replay = self._lazy.pop(account_id)
        book = self._books[account_id] = Book(self._accounts[account_id])
        # Its past would follow event ids already handed out: no events for it.
        self.events.forget_past(account_id, self._now())
        replay(self, account_id)
        return book

    # ------------------------------------------------------------------ time

    def advance(self, t: datetime | None = None) -> None:
        """Do everything due by `t`: clear transfers, fill orders, pay dividends, expire orders."""
        t = t or self._now()
        if self._awaiting_ex:
            self._recheck_dividends()
        while self._due and self._due[0][0] <= t:
            _, _, item = heapq.heappop(self._due)
            self._run_due(item)
        if self._resting:
            self._check_resting(t)

    def next_due(self) -> datetime | None:
        """When time-driven work is next due (None: nothing scheduled)."""
        return self._due[0][0] if self._due else None

    @property
    def has_resting_orders(self) -> bool:
        """Limit and stop orders wait for the price: something must look at it now and then."""
        return bool(self._resting)

    def _schedule(self, due: datetime, kind: str, account_id: UUID, payload: object) -> None:
        self._due_seq += 1
        heapq.heappush(self._due, (due, self._due_seq, _Due(due, kind, account_id, payload)))

    def _run_due(self, item: _Due) -> None:
        book = self._books[item.account_id]
        # Work falls due after the account's last event by construction; never let it go back.
        at = item.due if book.last_at is None else max(item.due, book.last_at)
        if item.kind == "bank_approved":
            assert isinstance(item.payload, BankRecord)
            if item.payload.status == "QUEUED":
                bank = item.payload
                bank.status = "APPROVED"
                bank.updated_at = at
                self._funding_event(bank.account_id, "BankRelationship", bank.id, "QUEUED", at)
        elif item.kind == "transfer_sent":
            assert isinstance(item.payload, TransferRecord)
            if item.payload.status == "QUEUED":
                self._transfer_status(item.payload, "SENT_TO_CLEARING", at)
        elif item.kind == "transfer_complete":
            assert isinstance(item.payload, TransferRecord)
            self._complete_transfer(book, item.payload, at)
        elif item.kind == "route":
            assert isinstance(item.payload, OrderRecord)
            self._route(book, item.payload, at)
        elif item.kind == "execute":
            assert isinstance(item.payload, OrderRecord)
            self._execute(book, item.payload, at)
        elif item.kind == "expire":
            assert isinstance(item.payload, OrderRecord)
            order = item.payload
            if order.status in OPEN_ORDER_STATUSES:
                order.status = "expired"
                order.expired_at = order.updated_at = at
                self._resting.pop(order.id, None)
                book.open_orders.pop(order.id, None)
                self._trade_event(order, "expired", at)
        elif item.kind == "ex_dividend":
            self._ex_dividend(book, item.payload)  # type: ignore[arg-type]
        elif item.kind == "pay_dividend":
            assert isinstance(item.payload, _DividendPayment)
            self._pay_dividend(book, item.payload, at)
        elif item.kind == "call":
            assert callable(item.payload)
            item.payload(at)

    def _touch(self, book: Book, at: datetime) -> None:
        if book.last_at is not None and at < book.last_at:
            raise ValueError("account events must be written in time order")
        book.last_at = at

    # ------------------------------------------------------------------ banks and transfers

    def link_bank(
        self,
        account_id: UUID,
        *,
        owner_name: str,
        bank_account_type: str,
        account_number: str,
        routing_number: str,
        nickname: str | None = None,
        at: datetime | None = None,
    ) -> BankRecord:
        """Link an ACH relationship; it starts QUEUED and is APPROVED shortly after."""
        book = self._book(account_id)
        at = at or self._now()
        self.advance(at)
        if not owner_name:
            raise unprocessable("account_owner_name is required")
        if bank_account_type not in ("CHECKING", "SAVINGS"):
            raise unprocessable("bank_account_type must be CHECKING or SAVINGS")
        if not account_number or not account_number.isalnum() or len(account_number) > 17:
            raise unprocessable("invalid bank_account_number")
        if len(routing_number) != 9 or not routing_number.isdigit():
            raise unprocessable("invalid bank_routing_number")
        index = len(book.banks) + sum(1 for _ in book.transfers)
        bank = BankRecord(
            id=uuid5(account_id, f"bank:{index}:{at.isoformat()}"),
            account_id=account_id,
            created_at=at,
            updated_at=at,
            status="QUEUED",
            owner_name=owner_name,
            bank_account_type=bank_account_type,
            account_number=account_number,
            routing_number=routing_number,
            nickname=nickname,
        )
        book.banks.append(bank)
        self._funding_event(account_id, "BankRelationship", bank.id, None, at, to="QUEUED")
        self._schedule(
            at + min(self.transfer_delay, timedelta(minutes=1)) / 2,
            "bank_approved",
            account_id,
            bank,
        )
        return bank

    def banks(self, account_id: UUID, statuses: set[str] | None = None) -> list[BankRecord]:
        """The account's ACH relationships, optionally only those in `statuses`."""
        book = self._book(account_id)
        self.advance()
        return [b for b in book.banks if statuses is None or b.status in statuses]

    def delete_bank(self, account_id: UUID, relationship_id: UUID) -> None:
        """Remove an ACH relationship; transfers already made through it stay."""
        book = self._book(account_id)
        self.advance()
        for i, bank in enumerate(book.banks):
            if bank.id == relationship_id:
                del book.banks[i]
                return
        raise not_found("ach relationship")

    def create_transfer(
        self,
        account_id: UUID,
        *,
        relationship_id: UUID,
        amount: Decimal | float | str,
        direction: str,
        at: datetime | None = None,
        completes_at: datetime | None = None,
        transfer_type: str = "ach",
        additional_information: str | None = None,
    ) -> TransferRecord:
        """Queue an ACH or wire transfer; it clears after `transfer_delay` and only then moves
        cash. A wire's `relationship_id` is its recipient bank, which the caller
        (`RecipientBanks.create_transfer`) has checked.

        `completes_at` overrides the delay for seeded fixtures (a deposit still in flight).
        """
        book = self._book(account_id)
        at = at or self._now()
        self.advance(at)
        value = parse_decimal(amount, "amount")
        if value is None:
            raise unprocessable("amount is required")
        if value <= 0:
            raise unprocessable("amount must be greater than 0")
        if value != value.quantize(CENT):
            raise unprocessable("amount must have at most 2 decimal places")
        if value > MAX_TRANSFER:
            raise forbidden(f"amount exceeds the transfer limit of {MAX_TRANSFER}")
        if direction not in ("INCOMING", "OUTGOING"):
            raise unprocessable("direction must be INCOMING or OUTGOING")
        if transfer_type not in ("ach", "wire"):
            raise unprocessable("transfer_type must be ach or wire")
        if transfer_type == "ach" and not any(b.id == relationship_id for b in book.banks):
            raise unprocessable("relationship_id does not match an ACH relationship")
        if direction == "OUTGOING" and value > self._available_cash(book, at):
            raise forbidden("insufficient funds for the withdrawal")
        self._touch(book, at)
        completes = completes_at if completes_at is not None else at + self.transfer_delay
        completes = max(completes, at)
        transfer = TransferRecord(
            id=uuid5(account_id, f"transfer:{len(book.transfers)}"),
            account_id=account_id,
            relationship_id=relationship_id,
            amount=value,
            direction=direction,
            status="QUEUED",
            created_at=at,
            updated_at=at,
            expires_at=at + TRANSFER_EXPIRY,
            completes_at=completes,
            transfer_type=transfer_type,
            additional_information=additional_information,
        )
        book.transfers.append(transfer)
        self._funding_event(account_id, "Transfer", transfer.id, None, at, to="QUEUED")
        self._schedule(at + (completes - at) / 2, "transfer_sent", account_id, transfer)
        self._schedule(completes, "transfer_complete", account_id, transfer)
        return transfer

    def transfers(self, account_id: UUID, direction: str | None = None) -> list[TransferRecord]:
        """The account's transfers, newest first."""
        book = self._book(account_id)
        self.advance()
        if direction is not None and direction not in ("INCOMING", "OUTGOING"):
            raise unprocessable("direction must be INCOMING or OUTGOING")
        found = [t for t in book.transfers if direction is None or t.direction == direction]
        return sorted(found, key=lambda t: t.created_at, reverse=True)

    def cancel_transfer(self, account_id: UUID, transfer_id: UUID) -> None:
        """Cancel a transfer that has not been sent to clearing yet."""
        book = self._book(account_id)
        now = self._now()
        self.advance(now)
        for transfer in book.transfers:
            if transfer.id == transfer_id:
                if transfer.status != "QUEUED":
                    raise unprocessable(f"transfer is {transfer.status} and cannot be canceled")
                self._transfer_status(transfer, "CANCELED", now)
                return
        raise not_found("transfer")

    def _complete_transfer(self, book: Book, transfer: TransferRecord, at: datetime) -> None:
        if transfer.status not in ("QUEUED", "SENT_TO_CLEARING"):
            return
        self._touch(book, at)
        self._transfer_status(transfer, "COMPLETE", at)
        incoming = transfer.direction == "INCOMING"
        delta = transfer.amount if incoming else -transfer.amount
        book.cash += delta
        kind = "CSD" if incoming else "CSW"
        book.add_event(MoneyEvent(at, delta, flow=kind))
        self._add_activity(
            book,
            at,
            kind,
            net_amount=delta,
            description=f"{transfer.method} {'deposit' if incoming else 'withdrawal'}",
        )

    def _transfer_status(self, transfer: TransferRecord, status: str, at: datetime) -> None:
        was = transfer.status
        transfer.status = status
        transfer.updated_at = at
        self._funding_event(transfer.account_id, "Transfer", transfer.id, was, at, to=status)

    def _funding_event(
        self,
        account_id: UUID,
        entity_type: str,
        entity_id: UUID,
        status_from: str | None,
        at: datetime,
        to: str = "APPROVED",
    ) -> None:
        """A bank relationship's or a transfer's status changed (the funding events stream)."""
        body = {
            "entity_type": entity_type,
            "entity_id": entity_id,
            "status_from": status_from,
            "status_to": to,
        }
        self.events.record("funding", at, account_id, body)

    # ------------------------------------------------------------------ orders

    def submit_order(
        self,
        account_id: UUID,
        *,
        symbol: str,
        side: str,
        type: str,
        time_in_force: str,
        qty: Decimal | float | str | None = None,
        notional: Decimal | float | str | None = None,
        limit_price: Decimal | float | str | None = None,
        stop_price: Decimal | float | str | None = None,
        client_order_id: str | None = None,
        at: datetime | None = None,
        replaces: OrderRecord | None = None,
    ) -> OrderRecord:
        """Validate and accept an order; it answers `accepted` and trades later, as Alpaca's do.

        Live, the order is routed (`new`) and a market order filled after `fill_delay`; a
        large one in several partial fills. Limit and stop orders rest until the price crosses;
        orders placed while their market is shut wait for the open. History written with an
        explicit `at` (and a ledger without a fill delay) trades at that instant.
        """
        book = self._book(account_id)
        history = at is not None
        at = at or self._now()
        self.advance(at)
        terms = check_order(
            self.universe,
            symbol=symbol,
            side=side,
            type_=type,
            time_in_force=time_in_force,
            qty=qty,
            notional=notional,
            limit_price=limit_price,
            stop_price=stop_price,
            client_order_id=client_order_id,
            used_client_ids=book.orders_by_client_id,
        )
        for rule in self.order_rules:
            rule(account_id, terms)
        inst = terms.instrument
        price = self.market.price_at(inst.symbol, at)
        self._check_affordable(book, terms, price, at, exclude=replaces)
        self._touch(book, at)
        order_id = uuid5(account_id, f"order:{len(book.orders)}:{at.isoformat()}")
        order = OrderRecord(
            id=order_id,
            client_order_id=client_order_id or str(uuid5(order_id, "client")),
            account_id=account_id,
            symbol=inst.symbol,
            asset_id=inst.asset_id,
            asset_class=inst.asset_class,
            side=side,
            type=type,
            time_in_force=time_in_force,
            qty=terms.qty,
            notional=terms.notional,
            limit_price=terms.limit_price,
            stop_price=terms.stop_price,
            status="accepted",
            created_at=at,
            submitted_at=at,
            updated_at=at,
            filled_at=None,
            canceled_at=None,
            filled_qty=ZERO,
            filled_avg_price=None,
            commission=ZERO,
        )
        order.live = not history
        if replaces is not None:
            self._replace(book, replaces, order, at)
        book.orders.append(order)
        book.orders_by_id[order.id] = order
        book.orders_by_client_id[order.client_order_id] = order
        book.open_orders[order.id] = order
        self._schedule_expiry(order, at)
        if history or not self.fill_delay:
            self._route(book, order, at)
        else:
            self._schedule(at + self.fill_delay / 3, "route", account_id, order)
        return order

    def replace_order(
        self,
        account_id: UUID,
        order_id: UUID,
        *,
        qty: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
        time_in_force: str | None = None,
        client_order_id: str | None = None,
    ) -> OrderRecord:
        """Replace an open limit or stop order that has not traded: the old one ends
        `replaced` (with `replaced_by`), a new one (with `replaces`) takes its place."""
        old = self.order(account_id, order_id)
        if old.status not in OPEN_ORDER_STATUSES:
            raise unprocessable(f'order is already in "{old.status}" state')
        if old.type == "market" or old.qty is None or old.filled_qty:
            raise unprocessable(
                "only open limit and stop orders that have not traded can be replaced"
            )
        return self.submit_order(
            account_id,
            symbol=old.symbol,
            side=old.side,
            type=old.type,
            time_in_force=time_in_force or old.time_in_force,
            qty=qty if qty is not None else old.qty,
            limit_price=limit_price if limit_price is not None else old.limit_price,
            stop_price=stop_price if stop_price is not None else old.stop_price,
            client_order_id=client_order_id,
            replaces=old,
        )

    def _replace(self, book: Book, old: OrderRecord, new: OrderRecord, at: datetime) -> None:
        old.status = "replaced"
        old.replaced_at = old.updated_at = at
        old.replaced_by = new.id
        new.replaces = old.id
        self._resting.pop(old.id, None)
        book.open_orders.pop(old.id, None)
        self._trade_event(old, "replaced", at)

    def _route(self, book: Book, order: OrderRecord, at: datetime) -> None:
        """The order reaches its market: `new`, then traded or left resting; while the market
        is shut it stays `accepted` until the next open."""
        if order.status not in OPEN_ORDER_STATUSES:
            return
        if not self.clock.is_open(order.asset_class, at):
            if order.time_in_force in ("ioc", "fok"):
                self._cancel(book, order, at)
                return
            _, next_open, _ = self.clock.clock(at)
            self._schedule(next_open, "route", order.account_id, order)
            return
        order.status = "new"
        order.updated_at = at
        self._trade_event(order, "new", at)
        self._work(book, order, at, self.market.price_at(order.symbol, at))

    def _work(self, book: Book, order: OrderRecord, at: datetime, price: Decimal) -> None:
        """Trade now if the order's price allows it, else rest (or cancel an ioc/fok)."""
        if order.type in ("stop", "stop_limit") and not order.triggered:
            if not _stop_reached(order, price):
                self._rest(book, order, at)
                return
            order.triggered = True
        if order.limit_price is not None and not _limit_crossed(order, price):
            self._rest(book, order, at)
            return
        self._resting.pop(order.id, None)
        if self.fill_delay and order.live:
            self._schedule(at + self.fill_delay * 2 / 3, "execute", order.account_id, order)
        else:
            self._execute(book, order, at)

    def _rest(self, book: Book, order: OrderRecord, at: datetime) -> None:
        if order.time_in_force in ("ioc", "fok"):
            self._cancel(book, order, at)
        else:
            self._resting[order.id] = order

    def _execute(self, book: Book, order: OrderRecord, at: datetime) -> None:
        """Fill at the live price: all that is left, or (a large live order) the next part."""
        if order.status not in OPEN_ORDER_STATUSES:
            return
        price = self.market.price_at(order.symbol, at)
        if order.limit_price is not None and not _limit_crossed(order, price):
            self._resting[order.id] = order  # the price moved away again: wait for it
            return
        total = order.qty if order.qty is not None else notional_qty(order.notional, price)
        if not total:
            self._reject(book, order, at)
            return
        left = total - order.filled_qty
        part = left
        large = order.qty is not None and total * price > self.partial_fill_above
        if self.fill_delay and order.live and large:
            parts_left = PARTIAL_FILLS - self._executions.get(order.id, 0)
            part = _slice(left, parts_left, whole=total == total.to_integral_value())
        self._fill(book, order, part, price, at)
        if order.status == "partially_filled":
            self._schedule(at + self.fill_delay / 2, "execute", order.account_id, order)

    def _check_affordable(
        self,
        book: Book,
        terms: OrderTerms,
        price: Decimal,
        at: datetime,
        exclude: OrderRecord | None = None,
    ) -> None:
        """403 when the account cannot pay for a buy or does not hold what it sells (an order
        being replaced frees what it holds back)."""
        excluded = exclude.id if exclude is not None else None
        if terms.side == "buy":
            bound = terms.limit_price if terms.limit_price is not None else terms.stop_price
            cost = reservation(terms.qty, terms.notional, bound, price)
            if cost > self._available_cash(book, at, exclude=excluded):
                raise forbidden("insufficient buying power")
            return
        wanted = terms.qty if terms.qty is not None else notional_qty(terms.notional, price)
        available = self._available_qty(book, terms.instrument.symbol, exclude=excluded)
        if wanted is None or wanted <= 0 or wanted > available:
            raise forbidden(
                f"insufficient qty available for order (requested: {wanted}, "
                f"available: {plain(available)})"
            )

    def _reserved(self, book: Book, at: datetime, exclude: UUID | None = None) -> Decimal:
        total = ZERO
        for order in book.open_orders.values():
            if order.side != "buy" or order.id == exclude:
                continue
            bound = order.limit_price if order.limit_price is not None else order.stop_price
            price = ZERO
            if order.notional is None and bound is None:
                price = self.market.price_at(order.symbol, at)
            left = order.qty - order.filled_qty if order.qty is not None else None
            total += reservation(left, order.notional, bound, price)
        return total

    def _pending_out(self, book: Book) -> Decimal:
        return sum(
            (
                t.amount
                for t in book.transfers
                if t.direction == "OUTGOING" and t.status in ("QUEUED", "SENT_TO_CLEARING")
            ),
            ZERO,
        )

    def _available_cash(self, book: Book, at: datetime, exclude: UUID | None = None) -> Decimal:
        return max(ZERO, book.cash - self._pending_out(book) - self._reserved(book, at, exclude))

    def _available_qty(self, book: Book, symbol: str, exclude: UUID | None = None) -> Decimal:
        holding = book.holdings.get(symbol)
        held = holding.qty if holding else ZERO
        for order in book.open_orders.values():
            if order.side == "sell" and order.symbol == symbol and order.id != exclude:
                if order.qty is not None:
                    held -= order.qty - order.filled_qty
                elif order.notional is not None:
                    price = self.market.price_at(symbol, self._now())
                    held -= notional_qty(order.notional, price) or ZERO
        return held

    def _schedule_expiry(self, order: OrderRecord, at: datetime) -> None:
        if order.time_in_force != "day" or order.asset_class == "crypto":
            return
        if self.clock.market_hours != "real":
            return
        calendar = self.clock.calendar
        d = self.clock.market_date(at)
        session = calendar.session(d)
        if session is None or at >= session[1]:
            session = calendar.session(calendar.next_trading_day(d))
        assert session is not None
        self._schedule(session[1], "expire", order.account_id, order)

    def _check_resting(self, t: datetime) -> None:
        """Resting limit and stop orders whose market is open and whose price now crosses."""
        for order in list(self._resting.values()):
            if order.status not in OPEN_ORDER_STATUSES:
                self._resting.pop(order.id, None)
                continue
            book = self._books[order.account_id]
            if order.created_at > t or (book.last_at is not None and book.last_at > t):
                continue
            if not self.clock.is_open(order.asset_class, t):
                continue
            price = self.market.price_at(order.symbol, t)
            stopped = order.type in ("stop", "stop_limit") and not order.triggered
            if stopped and not _stop_reached(order, price):
                continue
            if order.limit_price is not None and not (
                _limit_crossed(order, price) or (stopped and order.type == "stop_limit")
            ):
                continue
            self._resting.pop(order.id, None)
            self._work(book, order, t, price)

    def _fill(
        self, book: Book, order: OrderRecord, qty: Decimal, price: Decimal, at: datetime
    ) -> None:
        """One execution of `qty` at `price`, or a rejection when the account can no longer
        pay (the rest of an order already partly filled is then canceled)."""
        amount = money(qty * price)
        if order.side == "buy":
            affordable = amount <= self._available_cash(book, at, exclude=order.id)
        else:
            holding = book.holdings.get(order.symbol)
            affordable = holding is not None and qty <= holding.qty
        if not qty or not affordable:
            if order.filled_qty:
                self._cancel(book, order, at)
            else:
                self._reject(book, order, at)
            return
        self._touch(book, at)
        holding = book.holdings.get(order.symbol)
        if order.side == "buy":
            book.cash -= amount
            if holding is None:
                holding = book.holdings[order.symbol] = Holding(qty, amount, at)
                self._track_dividends(book, order.symbol, self.clock.market_date(at))
            else:
                holding.qty += qty
                holding.cost_basis += amount
            book.add_event(MoneyEvent(at, -amount, order.symbol, qty))
        else:
            assert holding is not None
            book.cash += amount
            if qty == holding.qty:
                del book.holdings[order.symbol]
            else:
                holding.cost_basis -= money(holding.cost_basis * qty / holding.qty)
                holding.qty -= qty
            book.add_event(MoneyEvent(at, amount, order.symbol, -qty))
        before = order.filled_qty
        order.filled_qty = before + qty
        order.filled_avg_price = _average(order.filled_avg_price, before, price, qty)
        total = order.qty if order.qty is not None else order.filled_qty
        done = order.filled_qty >= total
        order.status = "filled" if done else "partially_filled"
        order.updated_at = at
        if done:
            order.filled_at = at
            self._resting.pop(order.id, None)
            book.open_orders.pop(order.id, None)
        executions = self._executions[order.id] = self._executions.get(order.id, 0) + 1
        self._add_activity(
            book,
            at,
            "FILL",
            symbol=order.symbol,
            qty=qty,
            price=price,
            side=order.side,
            order_id=order.id,
            order_status=order.status,
            leaves_qty=total - order.filled_qty,
            cum_qty=order.filled_qty,
        )
        position = book.holdings.get(order.symbol)
        self._trade_event(
            order,
            "fill" if done else "partial_fill",
            at,
            execution_id=uuid5(order.id, f"execution:{executions}"),
            price=price,
            qty=qty,
            position_qty=position.qty if position is not None else ZERO,
        )

    def _reject(self, book: Book, order: OrderRecord, at: datetime) -> None:
        order.status = "rejected"
        order.failed_at = order.updated_at = at
        self._resting.pop(order.id, None)
        book.open_orders.pop(order.id, None)
        self._trade_event(order, "rejected", at)

    def _trade_event(self, order: OrderRecord, event: str, at: datetime, **fill: object) -> None:
        """What the trade events stream says: the event and the order as it stands now (an
        order's acceptance is not an event; its routing, `new`, is the first)."""
        body: dict[str, object] = {
            "event": event,
            "order": replace(order),
            "timestamp": at,
            "execution_id": uuid5(order.id, f"{event}:{order.updated_at.isoformat()}"),
        }
        self.events.record("trades", at, order.account_id, body | fill)

    def orders(
        self,
        account_id: UUID,
        *,
        status: str = "open",
        after: datetime | None = None,
        until: datetime | None = None,
        direction: str = "desc",
        symbols: Iterable[str] | None = None,
        side: str | None = None,
        limit: int = 50,
    ) -> list[OrderRecord]:
        """The account's orders filtered as Alpaca's list-orders does (after/until exclusive)."""
        after, until = _aware(after), _aware(until)
        book = self._book(account_id)
        self.advance()
        if status not in ("open", "closed", "all"):
            raise unprocessable("status must be open, closed or all")
        if direction not in ("asc", "desc"):
            raise unprocessable("direction must be asc or desc")
        if side is not None and side not in ("buy", "sell"):
            raise unprocessable("side must be buy or sell")
        if not 1 <= limit <= 500:
            raise unprocessable("limit must be between 1 and 500")
        wanted = None
        if symbols is not None:
            wanted = set()
            for s in symbols:
                inst = self.universe.get(s)
                wanted.add(inst.symbol if inst else s.upper())
        found = []
        for order in book.orders:
            if status == "open" and order.status not in OPEN_ORDER_STATUSES:
                continue
            if status == "closed" and order.status in OPEN_ORDER_STATUSES:
                continue
            if after is not None and order.submitted_at <= after:
                continue
            if until is not None and order.submitted_at >= until:
                continue
            if wanted is not None and order.symbol not in wanted:
                continue
            if side is not None and order.side != side:
                continue
            found.append(order)
        found.sort(key=lambda o: o.submitted_at, reverse=direction == "desc")
        return found[:limit]

    def order(self, account_id: UUID, order_id: UUID) -> OrderRecord:
        """One order; 404 when the account has no such order."""
        book = self._book(account_id)
        self.advance()
        order = book.orders_by_id.get(order_id)
        if order is None:
            raise not_found("order")
        return order

    def order_by_client_id(self, account_id: UUID, client_order_id: str) -> OrderRecord:
        """One order by the client's id; 404 when unknown."""
        book = self._book(account_id)
        self.advance()
        order = book.orders_by_client_id.get(client_order_id)
        if order is None:
            raise not_found("order")
        return order

    def cancel_order(self, account_id: UUID, order_id: UUID) -> None:
        """Cancel an open order; 422 when it is already closed."""
        order = self.order(account_id, order_id)
        if order.status not in OPEN_ORDER_STATUSES:
            raise unprocessable(f'order is already in "{order.status}" state')
        self._cancel(self._books[account_id], order, self._now())

    def cancel_all_orders(self, account_id: UUID) -> list[OrderRecord]:
        """Cancel every open order of the account and return them."""
        book = self._book(account_id)
        now = self._now()
        self.advance(now)
        canceled = list(book.open_orders.values())
        for order in canceled:
            self._cancel(book, order, now)
        return canceled

    def _cancel(self, book: Book, order: OrderRecord, at: datetime) -> None:
        order.status = "canceled"
        order.canceled_at = order.updated_at = at
        self._resting.pop(order.id, None)
        book.open_orders.pop(order.id, None)
        self._trade_event(order, "canceled", at)

    # ------------------------------------------------------------------ dividends

    def _track_dividends(self, book: Book, symbol: str, after: date) -> None:
        """Schedule the first ex-date of `symbol` after `after` for a holder, or wait for one."""
        if symbol in book.dividend_tracked:
            return
        if not self._dividends.pays(symbol):
            return
        book.dividend_tracked.add(symbol)
        upcoming = self._dividends.next_after(symbol, after)
        if upcoming is not None:
            self._schedule(_ny(upcoming.ex_date, time(0)), "ex_dividend", book.record.id, upcoming)
        else:
            self._awaiting_ex.setdefault(symbol, {})[book.record.id] = after

    def _recheck_dividends(self) -> None:
        """Once a day, schedule newly announced ex-dates for holders that were waiting for one."""
        today = self._now().date()
        if self._awaiting_checked == today:
            return
        self._awaiting_checked = today
        waiting, self._awaiting_ex = self._awaiting_ex, {}
        for symbol, holders in waiting.items():
            for account_id, after in holders.items():
                book = self._books[account_id]
                book.dividend_tracked.discard(symbol)
                if symbol in book.holdings:
                    self._track_dividends(book, symbol, after)

    def _ex_dividend(self, book: Book, div: Dividend) -> None:
        """Holders of record at the ex-date's start are owed the dividend on its pay date."""
        book.dividend_tracked.discard(div.symbol)
        holding = book.holdings.get(div.symbol)
        if holding is None:
            return
        amount = money(div.per_share * holding.qty)
        if amount > 0:
            payment = _DividendPayment(div.symbol, holding.qty, div.per_share, amount)
            self._schedule(_ny(div.pay_date, time(0)), "pay_dividend", book.record.id, payment)
        self._track_dividends(book, div.symbol, div.ex_date)

    def _pay_dividend(self, book: Book, payment: _DividendPayment, at: datetime) -> None:
        self._touch(book, at)
        book.cash += payment.amount
        book.add_event(MoneyEvent(at, payment.amount, flow="DIV"))
        self._add_activity(
            book,
            at,
            "DIV",
            net_amount=payment.amount,
            symbol=payment.symbol,
            qty=payment.qty,
            per_share_amount=payment.per_share,
            description=f"Cash dividend {payment.symbol}",
        )

    # ------------------------------------------------------------------ journals

    def check_journal(
        self,
        from_id: UUID,
        to_id: UUID,
        *,
        amount: Decimal | None = None,
        symbol: str | None = None,
        qty: Decimal | None = None,
        at: datetime | None = None,
    ) -> None:
        """Refuse a journal the accounts cannot make now (unknown account 404, the same account
        422, not enough available cash or shares 403), changing nothing."""
        if from_id == to_id:
            raise unprocessable("from_account and to_account must differ")
        source, _ = self._book(from_id), self._book(to_id)
        at = at or self._now()
        self.advance(at)
        if amount is not None and amount > self._available_cash(source, at):
            raise forbidden("insufficient balance for the journal")
        if symbol is not None and qty is not None and qty > self._available_qty(source, symbol):
            raise forbidden("insufficient assets for the journal")

    def journal_cash(
        self,
        from_id: UUID,
        to_id: UUID,
        amount: Decimal,
        *,
        description: str,
        at: datetime | None = None,
    ) -> None:
        """Move cash between two accounts at once: a JNLC activity and cash flow on each side
        (out of one, into the other), so returns count it as money moved, not as a gain."""
        at = at or self._now()
        self.check_journal(from_id, to_id, amount=amount, at=at)
        for account_id, delta in ((from_id, -amount), (to_id, amount)):
            book = self._book(account_id)
            self._touch(book, at)
            book.cash += delta
            book.add_event(MoneyEvent(at, delta, flow="JNLC"))
            self._add_activity(book, at, "JNLC", net_amount=delta, description=description)

    def journal_shares(
        self,
        from_id: UUID,
        to_id: UUID,
        symbol: str,
        qty: Decimal,
        *,
        description: str,
        at: datetime | None = None,
    ) -> Decimal:
        """Move shares between two accounts at once at the market price of the moment, which
        it returns: the receiver's cost basis, and the value the JNLS flow counts on each side.
        The sender's cost basis goes down in proportion, as a sale's does."""
        at = at or self._now()
        self.check_journal(from_id, to_id, symbol=symbol, qty=qty, at=at)
        price = self.market.price_at(symbol, at)
        value = money(qty * price)
        source, target = self._book(from_id), self._book(to_id)
        self._touch(source, at)
        self._touch(target, at)
        holding = source.holdings[symbol]
        if qty == holding.qty:
            del source.holdings[symbol]
        else:
            holding.cost_basis -= money(holding.cost_basis * qty / holding.qty)
            holding.qty -= qty
        received = target.holdings.get(symbol)
        if received is None:
            target.holdings[symbol] = Holding(qty, value, at)
            self._track_dividends(target, symbol, self.clock.market_date(at))
        else:
            received.qty += qty
            received.cost_basis += value
        for book, sign in ((source, -1), (target, 1)):
            book.add_event(MoneyEvent(at, ZERO, symbol, sign * qty, "JNLS", sign * value))
            self._add_activity(
                book,
                at,
                "JNLS",
                net_amount=ZERO,
                symbol=symbol,
                qty=sign * qty,
                price=price,
                description=description,
            )
        return price

    def schedule_call(
        self, due: datetime, account_id: UUID, work: Callable[[datetime], None]
    ) -> None:
        """Run `work(at)` once `advance` reaches `due` (a pending journal executing at the end
        of the day)."""
        self._schedule(due, "call", account_id, work)

    # ------------------------------------------------------------------ activities

    def _add_activity(
        self,
        book: Book,
        at: datetime,
        activity_type: str,
        *,
        net_amount: Decimal | None = None,
        symbol: str | None = None,
        qty: Decimal | None = None,
        price: Decimal | None = None,
        side: str | None = None,
        order_id: UUID | None = None,
        order_status: str | None = None,
        leaves_qty: Decimal | None = None,
        cum_qty: Decimal | None = None,
        per_share_amount: Decimal | None = None,
        description: str = "",
    ) -> None:
        # An account's ids strictly increase: a second activity in the same millisecond takes
        # the next one (its `at` stays exact), so page tokens never skip or repeat an item.
        book.activity_seq += 1
        ms = max(epoch_ms(at), book.last_activity_ms + 1)
        book.last_activity_ms = ms
        activity = ActivityRecord(
            id=activity_id(ms, book.record.id, book.activity_seq),
            account_id=book.record.id,
            activity_type=activity_type,
            at=at,
            date=self.clock.market_date(at),
            net_amount=net_amount,
            symbol=symbol,
            qty=qty,
            price=price,
            side=side,
            order_id=order_id,
            order_status=order_status,
            leaves_qty=leaves_qty,
            cum_qty=cum_qty,
            per_share_amount=per_share_amount,
            description=description,
        )
        book.add_activity(activity)
        if activity_type != "FILL":
            self.events.record("nta", at, book.record.id, {"activity": activity})
        if self._all_activities and self._all_activities[-1].id > activity.id:
            self._all_sorted = False
        self._all_activities.append(activity)

    def activities(
        self,
        *,
        account_id: UUID | None = None,
        activity_types: Iterable[str] | None = None,
        date: date | None = None,
        after: datetime | None = None,
        until: datetime | None = None,
        direction: str = "desc",
        page_size: int = 100,
        page_token: str | None = None,
    ) -> list[ActivityRecord]:
        """One page of activities; `page_token` is the id of the last item of the previous page.

        Without `account_id` the page spans every account already built: generated load-test
        accounts join once they are first used (building 100,000 on one request would stall it).
        """
        check_paging(direction, page_size, page_token)
        after, until = _aware(after), _aware(until)
        types = parse_types(activity_types)
        if account_id is not None:
            self._book(account_id)
        self.advance()
        if account_id is not None:
            source = self._book(account_id).sorted_activities()
        else:
            source = self._sorted_all()
        return page(
            source,
            types=types,
            on=date,
            after=after,
            until=until,
            direction=direction,
            page_size=page_size,
            page_token=page_token,
        )

    def _sorted_all(self) -> list[ActivityRecord]:
        if not self._all_sorted:
            self._all_activities.sort(key=lambda a: a.id)
            self._all_sorted = True
        return self._all_activities

    # ------------------------------------------------------------------ positions and balances

    def previous_close(self, t: datetime) -> datetime:
        """The close of the trading day before `t`'s New York date (what `last_equity` uses)."""
        calendar = self.clock.calendar
        prev = calendar.previous_trading_day(self.clock.market_date(t))
        session = calendar.session(prev)
        assert session is not None
        return session[1]

    def _price_at_close(self, symbol: str, close: datetime) -> Decimal:
        """`price_at` a session close; equities read the day's close (no intraday path)."""
        inst = self.universe.get(symbol)
        if inst is not None and inst.asset_class != "crypto":
            return self.market.close(symbol, self.clock.market_date(close))
        return self.market.price_at(symbol, close)

    def positions(self, account_id: UUID) -> list[PositionView]:
        """Open positions at the live price, by symbol."""
        book = self._book(account_id)
        now = self._now()
        self.advance(now)
        prev_close = self.previous_close(now)
        return [
            self._position_view(book, symbol, now, prev_close) for symbol in sorted(book.holdings)
        ]

    def position(self, account_id: UUID, symbol_or_asset_id: str) -> PositionView:
        """One open position by symbol or asset id; 404 when not held."""
        book = self._book(account_id)
        now = self._now()
        self.advance(now)
        inst = find_instrument(self.universe, symbol_or_asset_id)
        if inst is None or inst.symbol not in book.holdings:
            raise LedgerError(404, 40410000, "position does not exist")
        return self._position_view(book, inst.symbol, now, self.previous_close(now))

    def _position_view(
        self, book: Book, symbol: str, now: datetime, prev_close: datetime
    ) -> PositionView:
        holding = book.holdings[symbol]
        inst = self.universe.get(symbol)
        assert inst is not None
        price = self.market.price_at(symbol, now)
        if holding.first_bought_at > prev_close:
            lastday = self.market.price_at(symbol, holding.first_bought_at)
        else:
            lastday = self._price_at_close(symbol, prev_close)
        market_value = money(holding.qty * price)
        unrealized = market_value - holding.cost_basis
        intraday = money(holding.qty * (price - lastday))
        lastday_value = money(holding.qty * lastday)
        return PositionView(
            symbol=symbol,
            asset_id=inst.asset_id,
            exchange=inst.exchange,
            asset_class=inst.asset_class,
            qty=holding.qty,
            avg_entry_price=plain((holding.cost_basis / holding.qty).quantize(Decimal("0.0001"))),
            cost_basis=holding.cost_basis,
            current_price=price,
            lastday_price=lastday,
            market_value=market_value,
            unrealized_pl=unrealized,
            unrealized_plpc=_ratio(unrealized, holding.cost_basis),
            unrealized_intraday_pl=intraday,
            unrealized_intraday_plpc=_ratio(intraday, lastday_value),
            change_today=_ratio(price - lastday, lastday),
            first_bought_at=holding.first_bought_at,
        )

    def accounts_with_positions(self) -> list[UUID]:
        """Accounts holding anything (lazily built load-test accounts always do)."""
        return [
            account_id
            for account_id in self._accounts
            if account_id in self._lazy or self._books[account_id].holdings
        ]

    def state_at(self, account_id: UUID, t: datetime) -> tuple[Decimal, dict[str, Decimal]]:
        """The account's cash and the quantities it held at instant `t` (events at exactly `t`
        included), replayed from its events: what a statement reports."""
        book = self._book(account_id)
        self.advance()
        return book.state_at(t)

    def balances(self, account_id: UUID) -> Balances:
        """Cash, equity and buying power now, and the same figures at the previous close."""
        book = self._book(account_id)
        now = self._now()
        self.advance(now)
        long_value = sum(
            (money(h.qty * self.market.price_at(s, now)) for s, h in book.holdings.items()),
            ZERO,
        )
        prev_close = self.previous_close(now)
        last_cash, last_qty = book.state_at(prev_close)
        last_long = sum(
            (money(q * self._price_at_close(s, prev_close)) for s, q in last_qty.items()), ZERO
        )
        pending_in = sum(
            (
                t.amount
                for t in book.transfers
                if t.direction == "INCOMING" and t.status in ("QUEUED", "SENT_TO_CLEARING")
            ),
            ZERO,
        )
        available = self._available_cash(book, now)
        return Balances(
            cash=book.cash,
            equity=book.cash + long_value,
            long_market_value=long_value,
            last_equity=last_cash + last_long,
            last_cash=last_cash,
            last_long_market_value=last_long,
            buying_power=available,
            pending_transfer_in=pending_in,
            pending_transfer_out=self._pending_out(book),
            cash_withdrawable=available,
            previous_close=prev_close,
        )

    # ------------------------------------------------------------------ history

    def portfolio_history(
        self,
        account_id: UUID,
        *,
        period: str | None = None,
        timeframe: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        intraday_reporting: str = "market_hours",
        pnl_reset: str = "per_day",
        cashflow_types: str | None = None,
    ) -> PortfolioHistory:
        """Equity, P/L and cash flows over a window, derived from the account's events."""
        book = self._book(account_id)
        now = self._now()
        request = HistoryRequest.parse(
            period=period,
            timeframe=timeframe,
            start=start,
            end=end,
            intraday_reporting=intraday_reporting,
            pnl_reset=pnl_reset,
            cashflow_types=cashflow_types,
            allowed_cashflow_types=SDK_ACTIVITY_TYPES - {"FILL"},
            now=now,
        )
        self.advance(now)
        return build_history(book, request, self.market, self.clock, now)


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    if denominator == 0:
        return ZERO
    return (numerator / denominator).quantize(Decimal("0.0001"))


PARTIAL_FILLS = 3
"""A large live order (worth more than `partial_fill_above`) fills in this many executions."""
_AVERAGE_STEP = Decimal("0.000001")


def _limit_crossed(order: OrderRecord, price: Decimal) -> bool:
    assert order.limit_price is not None
    return price <= order.limit_price if order.side == "buy" else price >= order.limit_price


def _stop_reached(order: OrderRecord, price: Decimal) -> bool:
    assert order.stop_price is not None
    return price >= order.stop_price if order.side == "buy" else price <= order.stop_price


def _slice(left: Decimal, parts: int, *, whole: bool) -> Decimal:
    """The next execution of an order split in `parts`: an equal share of what is left (whole
    shares for a whole-share order), and all of it for the last part."""
    if parts <= 1:
        return left
    step = Decimal(1) if whole else QTY_STEP
    part = (left / parts).quantize(step, rounding=ROUND_DOWN)
    return part if part > 0 else left


def _average(average: Decimal | None, qty: Decimal, price: Decimal, more: Decimal) -> Decimal:
    """The average price of `qty` at `average` and `more` at `price`."""
    if average is None or not qty:
        return price
    return plain(((average * qty + price * more) / (qty + more)).quantize(_AVERAGE_STEP))
