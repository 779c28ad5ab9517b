"""Crypto order books: a ladder of bids and asks around a quote, the same for every reader.

`book_at(symbol, quote)` is a pure function of the quote (its bid, ask, sizes and time): the top
level of each side is the quote itself, deeper levels sit on a price grid whose step suits the
price (so they stay put while the price moves a little), and each level's size is drawn from a
hash of (symbol, side, level, a time bucket that starts at a different instant for each level).
So two readers of the same quote (the stream and the REST route) see the same book, and two
quotes a second apart share most levels with a few sizes changed, as a real book does.
Sizes are fractional coins; prices and sizes are Decimals.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from .market import Quote

DEPTH: Final = 20
"""Levels on each side, the top one included."""
SIZE_PERIOD_S: Final = 4
"""Each level's size holds for this many seconds, then is drawn again."""
_GRID_SHARE: Final = Decimal("0.00025")
"""A grid step is about this share of the price (20 levels span about half a percent)."""
_LEVEL_NOTIONAL: Final = 25_000
"""A level holds about this many dollars on average."""
_SIZE_PLACES: Final = Decimal("0.000001")
_CENT: Final = Decimal("0.01")


@dataclass(frozen=True)
class Level:
    """One price level: `size` coins at `price` dollars."""

    price: Decimal
    size: Decimal


@dataclass(frozen=True)
class OrderBook:
    """A pair's book at `t`: bids best (highest) first, asks best (lowest) first."""

    symbol: str
    t: datetime
    nanos: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]


def grid_step(price: Decimal) -> Decimal:
    """The ladder's price step for a price: 1, 2 or 5 times a power of ten, at least a cent."""
    target = price * _GRID_SHARE
    if target <= _CENT:
        return _CENT
    exponent = target.adjusted()
    unit = Decimal(1).scaleb(exponent)
    for factor in (1, 2, 5, 10):
        step = unit * factor
        if step >= target:
            return max(step, _CENT)
    return unit * 10  # pragma: no cover - the loop always returns


def _unit(*parts: object) -> float:
    """A uniform number in [0, 1) from the parts, stable across processes."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def level_size(symbol: str, side: str, price: Decimal, t: datetime) -> Decimal:
    """The size resting at one level at `t`: about `_LEVEL_NOTIONAL` dollars, redrawn every
    `SIZE_PERIOD_S` seconds at an instant of its own."""
    seconds = int(t.timestamp())
    phase = int(_unit(symbol, side, price, "phase") * SIZE_PERIOD_S)
    bucket = (seconds + phase) // SIZE_PERIOD_S
    draw = _unit(symbol, side, price, bucket)
    coins = Decimal(_LEVEL_NOTIONAL * (0.15 + 1.85 * draw)) / price
    size = coins.quantize(_SIZE_PLACES, rounding=ROUND_HALF_UP)
    return size if size > 0 else _SIZE_PLACES


def _deeper(top: Decimal, step: Decimal, down: bool) -> Iterator[Decimal]:
    """Grid prices strictly beyond `top`, away from the spread."""
    rounding = ROUND_FLOOR if down else ROUND_CEILING
    price = ((top / step).to_integral_value(rounding=rounding) * step).quantize(_CENT)
    if price == top:
        price = price - step if down else price + step
    while True:
        yield price.quantize(_CENT)
        price = price - step if down else price + step


def book_at(symbol: str, quote: Quote) -> OrderBook:
    """The book of `symbol` when `quote` was the top of it."""
    step = grid_step((quote.bid + quote.ask) / 2)
    t = quote.t
    bids = [Level(quote.bid, quote.bid_size)]
    for price in _deeper(quote.bid, step, down=True):
        if len(bids) == DEPTH or price <= 0:
            break
        bids.append(Level(price, level_size(symbol, "b", price, t)))
    asks = [Level(quote.ask, quote.ask_size)]
    for price in _deeper(quote.ask, step, down=False):
        if len(asks) == DEPTH:
            break
        asks.append(Level(price, level_size(symbol, "a", price, t)))
    return OrderBook(symbol, t, quote.nanos, tuple(bids), tuple(asks))


def changes(before: OrderBook, after: OrderBook) -> tuple[list[Level], list[Level]]:
    """The levels to send so a reader holding `before` holds `after`: new or resized levels
    with their size, removed levels with size 0 (bids best first, asks best first)."""
    return _side_changes(before.bids, after.bids, True), _side_changes(
        before.asks, after.asks, False
    )


def _side_changes(
    before: tuple[Level, ...], after: tuple[Level, ...], descending: bool
) -> list[Level]:
    old = {level.price: level.size for level in before}
    new = {level.price: level.size for level in after}
    out = [Level(p, s) for p, s in new.items() if old.get(p) != s]
    out.extend(Level(p, Decimal(0)) for p in old if p not in new)
    out.sort(key=lambda level: level.price, reverse=descending)
    return out


__all__ = ["DEPTH", "Level", "OrderBook", "book_at", "changes", "grid_step", "level_size"]
