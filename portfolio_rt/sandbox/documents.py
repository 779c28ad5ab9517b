"""Trade documents (`GET …/documents`): what Alpaca generates for an account, made from the
ledger.

- An account statement (`account_statement`) for every calendar month that has ended since
  the account opened, dated the month's last day: opening and closing cash and equity, the
  cash that came in and went out, the trades, and the holdings at the month's end.
- A trade confirmation (`trade_confirmation`) for every finished day with fills, dated that
  day: each execution with its price, amount and settlement date.

Each is a small PDF (`pdf.render_pdf`). Ids come from the account, the type and the date, so a
document keeps its id from one run to the next. Cash and holdings at an instant are the ledger's
replay of the account's events (`Ledger.state_at`); positions are valued at the day's close
(crypto at the price of the day's last instant), as balances are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from .order_rules import money
from .pdf import Line, render_pdf
from .records import ZERO, AccountRecord, ActivityRecord, not_found
from .reference_api import settlement_date
from .serialize import JSON

if TYPE_CHECKING:
    from .ledger import Ledger
    from .world import Sandbox

NY = ZoneInfo("America/New_York")
STATEMENT = "account_statement"
CONFIRMATION = "trade_confirmation"
DOCUMENT_TYPES = (
    # The Broker document's AccountDocumentType ...
    "account_application",
    "account_statement",
    "crypto_account_statement",
    "options_application",
    "tax_statement",
    "trade_confirmation_json",
    "trade_confirmation",
    # ... and the legacy types alpaca-py's TradeDocumentType still lists.
    "tax_1099_b_details",
    "tax_1099_b_form",
    "tax_1099_div_details",
    "tax_1099_div_form",
    "tax_1099_int_details",
    "tax_1099_int_form",
    "tax_w8",
)
CASH_FLOWS = (
    ("CSD", "Deposits"),
    ("CSW", "Withdrawals"),
    ("JNLC", "Cash journals"),
    ("DIV", "Dividends"),
)
_MICROSECOND = timedelta(microseconds=1)
_PAGE = 100


@dataclass(frozen=True, slots=True)
class TradeDocument:
    """One document: what it is, the day it is dated (`date` in JSON) and the first day it
    covers."""

    id: UUID
    account_id: UUID
    type: str
    day: date
    start: date
    name: str

    def json(self) -> JSON:
        """`AccountDocument` (alpaca-py's `TradeDocument`): no sub-type, as Alpaca's answers."""
        return {
            "id": str(self.id),
            "name": self.name,
            "type": self.type,
            "sub_type": "",
            "date": self.day.isoformat(),
        }

    @property
    def file_name(self) -> str:
        return f"{self.type}_{self.day.isoformat()}.pdf"


def _document(account_id: UUID, kind: str, day: date, start: date, name: str) -> TradeDocument:
    document_id = uuid5(account_id, f"trade_document:{kind}:{day.isoformat()}")
    return TradeDocument(document_id, account_id, kind, day, start, name)


def _month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def _activities(
    ledger: Ledger,
    account_id: UUID,
    *,
    types: Sequence[str] | None = None,
    on: date | None = None,
    after: datetime | None = None,
    until: datetime | None = None,
) -> list[ActivityRecord]:
    """All the account's activities that match, oldest first (every page)."""
    out: list[ActivityRecord] = []
    token: str | None = None
    while True:
        batch = ledger.activities(
            account_id=account_id,
            activity_types=types,
            date=on,
            after=after,
            until=until,
            direction="asc",
            page_size=_PAGE,
            page_token=token,
        )
        out += batch
        if len(batch) < _PAGE:
            return out
        token = batch[-1].id


def trade_documents(sandbox: Sandbox, account: AccountRecord) -> list[TradeDocument]:
    """Every document of the account, by date (statements before confirmations on a day)."""
    clock = sandbox.clock
    today = clock.market_date(sandbox.now())
    opened = clock.market_date(account.created_at)
    found: list[TradeDocument] = []
    first = opened.replace(day=1)
    while _month_end(first) < today:
        end = _month_end(first)
        name = f"Account statement, {first.strftime('%B %Y')}"
        found.append(_document(account.id, STATEMENT, end, max(first, opened), name))
        first = end + timedelta(days=1)
    fills = _activities(sandbox.ledger, account.id, types=["FILL"])
    for day in sorted({fill.date for fill in fills if fill.date < today}):
        name = f"Trade confirmation, {day.isoformat()}"
        found.append(_document(account.id, CONFIRMATION, day, day, name))
    return sorted(found, key=lambda d: (d.day, d.type))


def find_document(sandbox: Sandbox, account: AccountRecord, document_id: UUID) -> TradeDocument:
    """One of the account's documents; 404 for an unknown id (or another account's)."""
    for document in trade_documents(sandbox, account):
        if document.id == document_id:
            return document
    raise not_found("document")


# ------------------------------------------------------------------------------ the figures


@dataclass(frozen=True, slots=True)
class Holding:
    symbol: str
    qty: Decimal
    price: Decimal

    @property
    def value(self) -> Decimal:
        return money(self.qty * self.price)


@dataclass(frozen=True, slots=True)
class Statement:
    """An account's month (or the part of it since the account opened)."""

    start: date
    end: date
    opening_cash: Decimal
    closing_cash: Decimal
    opening_holdings: tuple[Holding, ...]
    closing_holdings: tuple[Holding, ...]
    activities: tuple[ActivityRecord, ...]

    @property
    def opening_equity(self) -> Decimal:
        return self.opening_cash + sum((h.value for h in self.opening_holdings), ZERO)

    @property
    def closing_equity(self) -> Decimal:
        return self.closing_cash + sum((h.value for h in self.closing_holdings), ZERO)

    @property
    def fills(self) -> list[ActivityRecord]:
        return [a for a in self.activities if a.activity_type == "FILL"]

    def flow(self, activity_type: str) -> Decimal:
        """The net cash of one kind of non-trade activity over the period."""
        return sum(
            (a.net_amount or ZERO for a in self.activities if a.activity_type == activity_type),
            ZERO,
        )

    def traded(self, side: str) -> Decimal:
        """What the period's buys cost, or its sells brought in."""
        return sum((fill_amount(a) for a in self.fills if a.side == side), ZERO)


def fill_amount(fill: ActivityRecord) -> Decimal:
    """A fill's cash, rounded to the cent as the ledger books it."""
    return money((fill.qty or ZERO) * (fill.price or ZERO))


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), NY)


def _holdings(sandbox: Sandbox, quantities: dict[str, Decimal], day: date) -> tuple[Holding, ...]:
    """Quantities valued at the close of `day` (crypto: at the day's last instant)."""
    last_instant = _midnight(day + timedelta(days=1)) - _MICROSECOND
    out = []
    for symbol in sorted(quantities):
        inst = sandbox.market.universe.get(symbol)
        crypto = inst is not None and inst.asset_class == "crypto"
        try:
            price = (
                sandbox.market.price_at(symbol, last_instant)
                if crypto
                else sandbox.market.close(symbol, day)
            )
        except KeyError:  # no close yet on or before the day
            price = ZERO
        out.append(Holding(symbol, quantities[symbol], price))
    return tuple(out)


def statement(sandbox: Sandbox, account_id: UUID, start: date, end: date) -> Statement:
    """The figures of `[start, end]` (New York days)."""
    ledger = sandbox.ledger
    opens = _midnight(start)
    closes = _midnight(end + timedelta(days=1))
    cash_open, held_open = ledger.state_at(account_id, opens - _MICROSECOND)
    cash_close, held_close = ledger.state_at(account_id, closes - _MICROSECOND)
    activities = _activities(ledger, account_id, after=opens - _MICROSECOND, until=closes)
    return Statement(
        start=start,
        end=end,
        opening_cash=cash_open,
        closing_cash=cash_close,
        opening_holdings=_holdings(sandbox, held_open, start - timedelta(days=1)),
        closing_holdings=_holdings(sandbox, held_close, end),
        activities=tuple(activities),
    )


def confirmed_fills(sandbox: Sandbox, account_id: UUID, day: date) -> list[ActivityRecord]:
    """The executions of one New York day."""
    return _activities(sandbox.ledger, account_id, types=["FILL"], on=day)


# ------------------------------------------------------------------------------- the files


def _amount(value: Decimal) -> str:
    return f"{value:,.2f}"


def _qty(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text if "." in text else f"{int(value):,}"


def _row(*cells: tuple[str, int]) -> Line:
    """A fixed-width row: each cell left-aligned (negative width) or right-aligned."""
    parts = [text[:width] if width > 0 else text[:-width] for text, width in cells]
    padded = [
        p.rjust(width) if width > 0 else p.ljust(-width)
        for p, (_, width) in zip(parts, cells, strict=True)
    ]
    return Line("  ".join(padded), "mono", 8.5)


def _header(title: str, account: AccountRecord, subtitle: str) -> list[Line]:
    return [
        Line(title, "bold", 16),
        Line(subtitle),
        Line(),
        Line(f"Account {account.account_number}", "bold"),
        Line(f"{account.given_name} {account.family_name}"),
        Line(account.street),
        Line(f"{account.city}, {account.state} {account.postal_code}"),
        Line(),
    ]


def _statement_lines(account: AccountRecord, figures: Statement) -> list[Line]:
    period = f"{figures.start.isoformat()} to {figures.end.isoformat()}"
    lines = _header("Account statement", account, f"Statement period: {period}")
    summary = [
        ("Opening cash", figures.opening_cash),
        ("Closing cash", figures.closing_cash),
        ("Opening equity", figures.opening_equity),
        ("Closing equity", figures.closing_equity),
    ]
    lines.append(Line("Summary", "bold", 12))
    lines += [_row((label, -32), (_amount(value), 18)) for label, value in summary]
    lines += [Line(), Line("Cash activity", "bold", 12)]
    for kind, label in CASH_FLOWS:
        lines.append(_row((f"{label} ({kind})", -32), (_amount(figures.flow(kind)), 18)))
    lines.append(_row(("Securities bought", -32), (_amount(-figures.traded("buy")), 18)))
    lines.append(_row(("Securities sold", -32), (_amount(figures.traded("sell")), 18)))
    lines += [Line(), Line(f"Holdings at {figures.end.isoformat()}", "bold", 12)]
    if figures.closing_holdings:
        lines.append(_row(("Symbol", -10), ("Quantity", 16), ("Price", 14), ("Value", 16)))
        lines += [
            _row((h.symbol, -10), (_qty(h.qty), 16), (_amount(h.price), 14), (_amount(h.value), 16))
            for h in figures.closing_holdings
        ]
    else:
        lines.append(Line("No holdings."))
    lines += [Line(), Line("Trades", "bold", 12)]
    lines += _fill_rows(figures.fills, with_date=True) or [Line("No trades in the period.")]
    return lines


def _fill_rows(fills: Iterable[ActivityRecord], *, with_date: bool) -> list[Line]:
    rows = [_fill_row(fill, with_date) for fill in fills]
    if not rows:
        return []
    first = ("Date", -10) if with_date else ("Time (ET)", -10)
    head = _row(
        first, ("Side", -4), ("Quantity", 14), ("Symbol", -9), ("Price", 12), ("Amount", 14)
    )
    return [head, *rows]


def _fill_row(fill: ActivityRecord, with_date: bool) -> Line:
    when = fill.date.isoformat() if with_date else fill.at.astimezone(NY).strftime("%H:%M:%S")
    return _row(
        (when, -10),
        ((fill.side or "").upper(), -4),
        (_qty(fill.qty or ZERO), 14),
        (fill.symbol or "", -9),
        (_amount(fill.price or ZERO), 12),
        (_amount(fill_amount(fill)), 14),
    )


def _confirmation_lines(
    sandbox: Sandbox, account: AccountRecord, day: date, fills: list[ActivityRecord]
) -> list[Line]:
    lines = _header("Trade confirmation", account, f"Trade date: {day.isoformat()}")
    lines += _fill_rows(fills, with_date=False)
    lines.append(Line())
    bought = sum((fill_amount(f) for f in fills if f.side == "buy"), ZERO)
    sold = sum((fill_amount(f) for f in fills if f.side == "sell"), ZERO)
    lines += [
        _row(("Total bought", -32), (_amount(bought), 18)),
        _row(("Total sold", -32), (_amount(sold), 18)),
        _row(("Commission", -32), (_amount(ZERO), 18)),
    ]
    equities = {
        f.symbol
        for f in fills
        if (inst := sandbox.market.universe.get(f.symbol or "")) is not None
        and inst.asset_class != "crypto"
    }
    lines.append(Line())
    if equities:
        settles = settlement_date(sandbox, day).isoformat()
        lines.append(Line(f"Stocks and ETFs settle on {settles}."))
    if len(equities) < len({f.symbol for f in fills}):
        lines.append(Line(f"Crypto settles on the trade date, {day.isoformat()}."))
    lines.append(Line("Prices are the execution prices; no commission was charged."))
    return lines


def document_pdf(sandbox: Sandbox, account: AccountRecord, document: TradeDocument) -> bytes:
    """The document's PDF file."""
    if document.type == STATEMENT:
        figures = statement(sandbox, account.id, document.start, document.day)
        lines = _statement_lines(account, figures)
    else:
        fills = confirmed_fills(sandbox, account.id, document.day)
        lines = _confirmation_lines(sandbox, account, document.day, fills)
    created = _midnight(document.day + timedelta(days=1))
    footer = f"{document.name} - account {account.account_number}"
    return render_pdf(lines, title=document.name, created=created, footer=footer)
