"""One held position's live figures, as the positions topic pushes them.

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

from dataclasses import dataclass
from decimal import Decimal

import orjson

from ..core.money import money

TIE_MARGIN = 1e-4
"""How close (in cents) a float may come to a half cent before the Decimal decides: far
wider than a float product's error (about 1e-8 cent on a $1M position)."""


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


SAFE_CENTS = 10**12
"""Below this many cents ($10 billion), `cents / 100` as a float prints its two decimals
exactly with "%.2f" (the float lies within 1e-4 of a cent); beyond, integer arithmetic."""


def cent_text(cents: int) -> str:
    """Whole cents as a decimal string ("-12.30"); zero is "0.00"."""
    if -SAFE_CENTS < cents < SAFE_CENTS:
        return "%.2f" % (cents / 100)
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def _product_cents(value: float, qty: str, price: str, less: Decimal | None) -> int:
    """qty x price (less an amount), computed in floats as `value`, in whole cents as
    `money` rounds the exact Decimal; no closure and no call on the common path: this runs
    for every position of a pushed account."""
    cents = value * 100.0
    nearest = round(cents)
    if abs(abs(cents - nearest) - 0.5) < TIE_MARGIN:
        exact = Decimal(qty) * Decimal(price)
        nearest = int(money(exact if less is None else exact - less) * 100)
    return nearest


def _pct(part: float, whole: float) -> str:
    """`part / whole` in percent with 2 decimals, as JSON; null when nothing was at stake."""
    if whole <= 0:
        return "null"
    text = "%.2f" % (part * 100.0 / whole)
    return "0.00" if text == "-0.00" else text


_HEAD = '{"symbol":%s,"qty":"%s","current_price":"'
_TAIL = (
    '","market_value":"%s","today_pl":%s,"today_plpc":%s,'
    '"unrealized_pl":%s,"unrealized_plpc":%s,"weight_pct":%s}'
)


class RowWriter:
    """Writes position rows as JSON text, once per row per push: a template, not a dict and an
    encoder (this runs for every moved position of every followed account, every interval).
    What a row starts with (symbol and quantity) and a symbol's price text are kept between
    calls: a holding's quantity rarely changes, and popular symbols are in thousands of
    accounts' rows at the same price.

    An account's message is written in two steps: `value_cents` of every position (their sum
    is the total the weights are shares of, so the rows' values add up to it exactly), then
    `row` for those that moved."""

    max_heads = 200_000
    """Holdings remembered before the memo starts over (watched holdings are far fewer)."""

    def __init__(self) -> None:
        self._prices: dict[str, tuple[float, str]] = {}
        self._heads: dict[tuple[str, float], tuple[str, str]] = {}

    def _head(self, symbol: str, qty: float) -> tuple[str, str]:
        """A row's opening text up to its price, and the quantity's text."""
        found = self._heads.get((symbol, qty))
        if found is not None:
            return found
        if len(self._heads) >= self.max_heads:
            self._heads.clear()
        qty_text = decimal_text(qty)
        found = self._heads[symbol, qty] = (
            _HEAD % (orjson.dumps(symbol).decode(), qty_text),
            qty_text,
        )
        return found

    def _price_text(self, symbol: str, price: float) -> str:
        known = self._prices.get(symbol)
        if known is not None and known[0] == price:
            return known[1]
        text = decimal_text(price)
        self._prices[symbol] = (price, text)
        return text

    def value_cents(self, symbol: str, qty: float, price: float) -> int:
        """The position's market value at `price`, in whole cents."""
        value = qty * price
        cents = value * 100.0
        nearest = round(cents)
        if abs(abs(cents - nearest) - 0.5) >= TIE_MARGIN:
            return nearest
        qty_text, price_text = self._head(symbol, qty)[1], self._price_text(symbol, price)
        return _product_cents(value, qty_text, price_text, None)

    def row(
        self,
        symbol: str,
        qty: float,
        price: float,
        basis: PositionBasis | None,
        value_cents: int,
        total_cents: int,
    ) -> str:
        """One position at `price`, as a JSON object: its value (`value_cents`), today's and
        the unrealised return (null when the basis is unknown), and its weight in the account's
        positions (`total_cents`)."""
        head, qty_text = self._head(symbol, qty)
        price_text = self._price_text(symbol, price)
        if basis is None:
            today_pl = today_pct = gain_pl = gain_pct = "null"
        else:
            value = qty * price
            today = value - basis.day_start_f
            gain = value - basis.cost_f
            today_cents = _product_cents(today, qty_text, price_text, basis.day_start)
            gain_cents = _product_cents(gain, qty_text, price_text, basis.cost)
            today_pl = f'"{cent_text(today_cents)}"'
            today_pct = _pct(today, basis.day_start_f)
            gain_pl = f'"{cent_text(gain_cents)}"'
            gain_pct = _pct(gain, basis.cost_f)
        weight = _pct(value_cents, total_cents) if total_cents > 0 else "0.00"
        tail = _TAIL % (cent_text(value_cents), today_pl, today_pct, gain_pl, gain_pct, weight)
        return head + price_text + tail
