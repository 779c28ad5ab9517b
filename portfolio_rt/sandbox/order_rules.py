"""What makes an order acceptable, and the arithmetic of quantities and reservations.

Pure functions: they check a request completely and raise `LedgerError` before the ledger
changes anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import TYPE_CHECKING

from .records import CENT, QTY_STEP, unprocessable

if TYPE_CHECKING:
    from collections.abc import Container

    from .universe import Instrument, Universe

OPEN_ORDER_STATUSES = frozenset({"new", "accepted", "partially_filled", "pending_new"})
ORDER_TYPES = frozenset({"market", "limit", "stop", "stop_limit"})
TIMES_IN_FORCE = frozenset({"day", "gtc", "ioc", "fok"})
MAX_NUMBER = Decimal(10) ** 12  # beyond any real order; keeps Decimal arithmetic exact
MIN_NOTIONAL = Decimal(1)
PRICE_STEP = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class OrderTerms:
    """A checked order request: exactly one of `qty` and `notional` is set."""

    instrument: Instrument
    side: str
    type: str
    time_in_force: str
    qty: Decimal | None
    notional: Decimal | None
    limit_price: Decimal | None
    stop_price: Decimal | None = None


def money(value: Decimal) -> Decimal:
    """Round to the cent."""
    return value.quantize(CENT)


def plain(value: Decimal) -> Decimal:
    """`value` without trailing zeros and not in exponent form (`10`, not `1E+1`)."""
    out = value.normalize()
    return out.quantize(Decimal(1)) if out == out.to_integral_value() else out


def parse_decimal(value: Decimal | float | str | None, name: str) -> Decimal | None:
    """A finite, not absurdly large number from a JSON number or a decimal string."""
    if value is None:
        return None
    try:
        out = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise unprocessable(f"{name} must be a number") from None
    if not out.is_finite():
        raise unprocessable(f"{name} must be a number")
    if abs(out) >= MAX_NUMBER:
        raise unprocessable(f"{name} is too large")
    return out


def find_instrument(universe: Universe, symbol: str) -> Instrument | None:
    """The instrument for a symbol or asset id; crypto also as `BTCUSD`."""
    inst = universe.get(symbol) if symbol else None
    if inst is None and symbol.upper().endswith("USD") and "/" not in symbol:
        inst = universe.get(f"{symbol[:-3]}/USD")
    return inst


def check_order(
    universe: Universe,
    *,
    symbol: str,
    side: str,
    type_: str,
    time_in_force: str,
    qty: Decimal | float | str | None,
    notional: Decimal | float | str | None,
    limit_price: Decimal | float | str | None,
    client_order_id: str | None,
    used_client_ids: Container[str],
    stop_price: Decimal | float | str | None = None,
) -> OrderTerms:
    """Every rule an order must pass before it reaches the book (422 otherwise)."""
    inst = find_instrument(universe, symbol)
    if inst is None:
        raise unprocessable(f'asset "{symbol}" not found')
    if side not in ("buy", "sell"):
        raise unprocessable("side must be buy or sell")
    if type_ not in ORDER_TYPES:
        raise unprocessable(
            f"order type {type_!r} is not supported; use market, limit, stop or stop_limit"
        )
    if time_in_force not in TIMES_IN_FORCE:
        raise unprocessable(f"time_in_force {time_in_force!r} is not supported")
    order_qty = parse_decimal(qty, "qty")
    order_notional = parse_decimal(notional, "notional")
    order_limit = parse_decimal(limit_price, "limit_price")
    order_stop = parse_decimal(stop_price, "stop_price")
    if (order_qty is None) == (order_notional is None):
        raise unprocessable("exactly one of qty or notional is required")
    if order_qty is not None:
        if order_qty <= 0:
            raise unprocessable("qty must be > 0")
        if order_qty != order_qty.quantize(QTY_STEP):
            raise unprocessable("qty must have at most 9 decimal places")
        order_qty = plain(order_qty)
        if order_qty != order_qty.to_integral_value() and not inst.fractionable:
            raise unprocessable(f"fractional orders are not supported for {inst.symbol}")
    if order_notional is not None:
        if type_ != "market":
            raise unprocessable("notional orders must be market orders")
        if not inst.fractionable:
            raise unprocessable(f"notional orders are not supported for {inst.symbol}")
        if order_notional < MIN_NOTIONAL:
            raise unprocessable("notional must be at least 1")
        if order_notional != order_notional.quantize(CENT):
            raise unprocessable("notional must have at most 2 decimal places")
    if type_ in ("limit", "stop_limit"):
        if order_limit is None or order_limit <= 0:
            raise unprocessable(f"limit_price is required and must be > 0 for {type_} orders")
        if order_limit != order_limit.quantize(PRICE_STEP):
            raise unprocessable("limit_price must have at most 4 decimal places")
    elif order_limit is not None:
        raise unprocessable("limit_price is only allowed for limit and stop_limit orders")
    if type_ in ("stop", "stop_limit"):
        if order_stop is None or order_stop <= 0:
            raise unprocessable(f"stop_price is required and must be > 0 for {type_} orders")
        if order_stop != order_stop.quantize(PRICE_STEP):
            raise unprocessable("stop_price must have at most 4 decimal places")
        if time_in_force in ("ioc", "fok"):
            raise unprocessable(f"time_in_force {time_in_force} is not allowed for {type_} orders")
    elif order_stop is not None:
        raise unprocessable("stop_price is only allowed for stop and stop_limit orders")
    if client_order_id is not None:
        if not client_order_id or len(client_order_id) > 128:
            raise unprocessable("client_order_id must be 1 to 128 characters")
        if client_order_id in used_client_ids:
            raise unprocessable("client_order_id must be unique")
    return OrderTerms(
        inst, side, type_, time_in_force, order_qty, order_notional, order_limit, order_stop
    )


def notional_qty(notional: Decimal | None, price: Decimal) -> Decimal | None:
    """Shares a notional amount buys at `price`, rounded down to 9 decimal places."""
    if notional is None or price <= 0:
        return None
    return plain((notional / price).quantize(QTY_STEP, rounding=ROUND_DOWN))


def reservation(
    qty: Decimal | None, notional: Decimal | None, limit: Decimal | None, price: Decimal
) -> Decimal:
    """Cash an open buy order holds back: its notional, or qty at the limit (else market) price."""
    if notional is not None:
        return notional
    assert qty is not None
    return money(qty * (limit if limit is not None else price))
