"""Closing positions: a market sell of all of a position, of a quantity or of a percentage,
placed through the ledger's order path like any other order (so it is `accepted` and fills
after the fill delay, and every order check applies: what the account may trade, what is not
already held for open sell orders).

`DELETE …/positions` closes each position in turn and answers one result per position, as
Alpaca does: `{"symbol", "status": 200, "body": <Order>}`, or for a position that cannot be sold
`{"symbol", "status": 403, "body": {"code", "message", "available", "existing_qty",
"held_for_orders", "symbol"}}` (the shapes of alpaca-py's `ClosePositionResponse`, from a
capture in its tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING
from uuid import UUID

from .order_rules import notional_qty, plain
from .records import QTY_STEP, ZERO, LedgerError, OrderRecord, PositionView, unprocessable
from .serialize import JSON, money, order_json

if TYPE_CHECKING:
    from .ledger import Ledger

HUNDRED = Decimal(100)


def close_qty(held: Decimal, qty: Decimal | None, percentage: Decimal | None) -> Decimal:
    """How much to sell: `qty`, `percentage` of `held` (whole shares unless the position is
    fractional, as Alpaca sells), or all of it."""
    if qty is not None:
        return qty
    if percentage is None:
        return held
    whole = held == held.to_integral_value()
    part = (held * percentage / HUNDRED).quantize(
        Decimal(1) if whole else QTY_STEP, rounding=ROUND_DOWN
    )
    if part <= 0:
        raise unprocessable(f"{percentage}% of the position is less than one share")
    return plain(part)


def close_position(
    ledger: Ledger,
    account_id: UUID,
    symbol_or_asset_id: str,
    *,
    qty: Decimal | None = None,
    percentage: Decimal | None = None,
) -> OrderRecord:
    """Place the market sell that closes (part of) one position; 404 when it is not held."""
    view = ledger.position(account_id, symbol_or_asset_id)
    return _sell(ledger, account_id, view, close_qty(view.qty, qty, percentage))


def _sell(ledger: Ledger, account_id: UUID, view: PositionView, qty: Decimal) -> OrderRecord:
    crypto = view.asset_class == "crypto"
    return ledger.submit_order(
        account_id,
        symbol=view.symbol,
        side="sell",
        type="market",
        time_in_force="gtc" if crypto else "day",  # crypto orders take gtc or ioc only
        qty=qty,
    )


@dataclass(frozen=True, slots=True)
class CloseResult:
    """One position of a close-all: the order placed, or why none could be."""

    view: PositionView
    order: OrderRecord | None = None
    error: LedgerError | None = None
    held_for_orders: Decimal = ZERO

    def json(self) -> JSON:
        """The element of the 207 answer (crypto symbols without their slash, as Alpaca's)."""
        symbol = self.view.symbol.replace("/", "")
        if self.order is not None:
            return {"symbol": symbol, "status": 200, "body": order_json(self.order)}
        assert self.error is not None
        available = max(ZERO, self.view.qty - self.held_for_orders)
        return {
            "symbol": symbol,
            "status": self.error.status,
            "body": {
                "available": money(available),
                "code": self.error.code,
                "existing_qty": money(self.view.qty),
                "held_for_orders": money(self.held_for_orders),
                "message": self.error.message,
                "symbol": self.view.symbol,
            },
        }


def close_all_positions(
    ledger: Ledger, account_id: UUID, *, cancel_orders: bool = False
) -> list[CloseResult]:
    """Close every position (after canceling every open order when `cancel_orders`); a
    position that cannot be sold gets its error, the others are still closed."""
    if cancel_orders:
        ledger.cancel_all_orders(account_id)
    results: list[CloseResult] = []
    for view in ledger.positions(account_id):
        try:
            results.append(CloseResult(view, order=_sell(ledger, account_id, view, view.qty)))
        except LedgerError as exc:
            held = _held_for_orders(ledger, account_id, view)
            results.append(CloseResult(view, error=exc, held_for_orders=held))
    return results


def _held_for_orders(ledger: Ledger, account_id: UUID, view: PositionView) -> Decimal:
    """What the account's open sell orders of the symbol still hold back."""
    held = ZERO
    for order in ledger.orders(
        account_id, status="open", symbols=[view.symbol], side="sell", limit=500
    ):
        if order.qty is not None:
            held += order.qty - order.filled_qty
        else:
            held += notional_qty(order.notional, view.current_price) or ZERO
    return min(held, view.qty)
