"""The price map: last trade price per symbol (the quote midpoint until a trade arrives).

`apply` is the whole price path: one call per stream frame, a dict store and a set add per
tick, no awaits and no I/O. Prices are floats inside the map (the stream sends floats); the
figures pushed to clients are converted back to Decimal and rounded to the cent.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any


class PriceMap:
    """symbol → price, with the set of symbols changed since the last flush.

    `prices` holds last trade prices, `midpoints` quote midpoints of symbols with no trade
    yet (`price()` prefers the trade). `dirty` feeds the revaluer; `unpublished` (only when a
    Redis bus is attached) feeds the batched fan-out and mirror, so Redis is never awaited on
    the price path.
    """

    def __init__(self) -> None:
        self.prices: dict[str, float] = {}
        self.midpoints: dict[str, float] = {}
        self.dirty: set[str] = set()
        self.unpublished: set[str] | None = None
        self.ticks = 0
        self.last_tick_at = 0.0
        self.first_dirty_at = 0.0
        """Monotonic time of the first tick since the dirty set was last drained."""

    def price(self, symbol: str) -> float | None:
        """The valuation price: last trade, else the quote midpoint, else None."""
        price = self.prices.get(symbol)
        return price if price is not None else self.midpoints.get(symbol)

    def track_unpublished(self, on: bool) -> None:
        """Start (or stop) remembering changed symbols for the Redis fan-out."""
        self.unpublished = set() if on else None

    def apply(self, messages: list[dict[str, Any]]) -> None:
        """Take a decoded stream frame: trades set the price, quotes only until a trade.

        The per-tick cost is a key compare, a dict store and a set add.
        """
        dirty = self.dirty
        if not dirty:
            self.first_dirty_at = time.monotonic()
        prices = self.prices
        mark = dirty.add
        for m in messages:
            kind = m["T"]
            if kind == "t":
                symbol = m["S"]
                prices[symbol] = m["p"]
                mark(symbol)
            elif kind == "q":
                symbol = m["S"]
                if symbol not in prices:
                    self._quote(symbol, m)
        self.ticks += len(messages)
        self.last_tick_at = time.monotonic()
        if self.unpublished is not None:
            self.unpublished.update(m["S"] for m in messages if m["T"] in ("t", "q"))

    def _quote(self, symbol: str, m: dict[str, Any]) -> None:
        bid, ask = m["bp"], m["ap"]
        if bid > 0 and ask > 0:
            self.midpoints[symbol] = (bid + ask) / 2
            self.dirty.add(symbol)

    def update(self, changed: Mapping[str, float]) -> None:
        """Trade prices from elsewhere (snapshot polls, the Redis fan-out): store, mark dirty."""
        if not changed:
            return
        if not self.dirty:
            self.first_dirty_at = time.monotonic()
        self.prices.update(changed)
        self.dirty.update(changed)
        if self.unpublished is not None:
            self.unpublished.update(changed)
        self.last_tick_at = time.monotonic()

    def drain_dirty(self) -> set[str]:
        """The symbols changed since the last call (the revaluer's input)."""
        dirty = self.dirty
        self.dirty = set()
        return dirty

    def take_unpublished(self) -> dict[str, float]:
        """Changed prices not yet fanned out (empty when no bus is attached)."""
        if not self.unpublished:
            return {}
        symbols, self.unpublished = self.unpublished, set()
        price = self.price
        out = {}
        for s in symbols:
            p = price(s)
            if p is not None:
                out[s] = p
        return out
