"""One held position's live figures, as the positions topic pushes them: pure functions.

The flusher holds quantities and prices as floats (see `revaluer`); these figures must still
read as the broker's would: money to the cent exactly as `money()` rounds the exact Decimal
product. A float product of two decimal inputs is within about 1e-16 of the exact one, far
from moving a cent, except when the exact value sits on (or a hair from) a half cent: there,
and only there, the figure is computed again in Decimal. So nearly every figure costs float
arithmetic, and every figure equals the Decimal one.

Returns are measured as the positions call measures them: the unrealised return against the
position's cost basis, today's against its value at the start of the day (`market_value -
unrealized_intraday_pl` when its facts were read: yesterday's close, or the price paid for
shares bought today), so the live row at the broker's price is the broker's row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from ..core.money import money

TIE_MARGIN = 1e-4
"""How close (in cents) a float may come to a half cent before the Decimal decides: far
wider than a float sum's error even for a $1M account of a hundred positions (1e-6 cent)."""


@dataclass(frozen=True, slots=True)
class PositionBasis:
    """What one position's returns are measured against (from the positions call)."""

    cost: Decimal
    """`cost_basis`: what the shares held cost."""
    day_start: Decimal
    """The position's value at the start of today: `market_value - unrealized_intraday_pl`."""
    cost_f: float
    day_start_f: float

    @classmethod
    def of(cls, cost: Decimal, day_start: Decimal) -> PositionBasis:
        return cls(cost, day_start, float(cost), float(day_start))


def decimal_text(value: float) -> str:
    """A float from the stream or the index as a plain decimal string (`repr`'s shortest
    digits, never exponent notation: a coin can trade at 0.00001; whole numbers bare)."""
    text = repr(value)
    if "e" in text or "E" in text:
        return format(Decimal(text), "f")
    return text[:-2] if text.endswith(".0") else text


def exact_product(qty: float, price: float) -> Decimal:
    """qty x price in Decimal, from the decimal strings the figures show."""
    return Decimal(decimal_text(qty)) * Decimal(decimal_text(price))


def _cent_text(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def cents_text(value: float, exact: Callable[[], Decimal]) -> str:
    """`value` rounded to the cent, as `money(exact())` rounds it: the float's own rounding
    where the cent is clear, `exact()` (the same figure in Decimal) near a half cent. Zero
    is "0.00" whatever side it was rounded from."""
    cents = value * 100.0
    nearest = round(cents)
    if abs(abs(cents - nearest) - 0.5) < TIE_MARGIN:
        nearest = int(money(exact()) * 100)
    return _cent_text(nearest)


def _pct(part: float, whole: float) -> float | None:
    """`part / whole` in percent with 2 decimals; None when nothing was at stake."""
    if whole <= 0:
        return None
    return round(part * 100.0 / whole, 2)


def position_row(
    symbol: str, qty: float, price: float, basis: PositionBasis | None, total: float
) -> dict[str, object]:
    """One position at `price`: its value, today's and the unrealised return, and its weight
    in `total` (the positions' summed value). Returns are null when the basis is unknown."""
    qty_text = decimal_text(qty)
    price_text = decimal_text(price)
    value = qty * price

    def exact_value() -> Decimal:
        return Decimal(qty_text) * Decimal(price_text)

    row: dict[str, object] = {
        "symbol": symbol,
        "qty": qty_text,
        "current_price": price_text,
        "market_value": cents_text(value, exact_value),
    }
    if basis is None:
        row.update(today_pl=None, today_plpc=None, unrealized_pl=None, unrealized_plpc=None)
    else:
        today = value - basis.day_start_f
        gain = value - basis.cost_f
        row["today_pl"] = cents_text(today, lambda: exact_value() - basis.day_start)
        row["today_plpc"] = _pct(today, basis.day_start_f)
        row["unrealized_pl"] = cents_text(gain, lambda: exact_value() - basis.cost)
        row["unrealized_plpc"] = _pct(gain, basis.cost_f)
    row["weight_pct"] = _pct(value, total) or 0.0
    return row
