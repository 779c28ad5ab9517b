"""The dividends the market has announced so far, per symbol, sorted by ex-date."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .market import Dividend, Market

LOOKAHEAD = timedelta(days=200)


class DividendCalendar:
    """Looks dividends up by symbol; refreshed daily, as the market announces them up to today."""

    def __init__(self, market: Market, now: Callable[[], datetime]) -> None:
        self._market = market
        self._now = now
        self._known: dict[str, list[Dividend]] = {}
        self._fetched: date | None = None

    def pays(self, symbol: str) -> bool:
        """Whether the symbol pays dividends at all."""
        inst = self._market.universe.get(symbol)
        return inst is not None and inst.dividend_yield > 0 and inst.asset_class != "crypto"

    def known(self, symbol: str) -> list[Dividend]:
        """The symbol's announced dividends, oldest ex-date first."""
        today = self._now().date()
        if self._fetched != today:
            self._known.clear()
            self._fetched = today
        found = self._known.get(symbol)
        if found is None:
            found = []
            if self.pays(symbol):
                market = self._market
                found = sorted(
                    market.dividends(symbol, market.history_start, today + LOOKAHEAD),
                    key=lambda d: d.ex_date,
                )
            self._known[symbol] = found
        return found

    def next_after(self, symbol: str, after: date) -> Dividend | None:
        """The first announced dividend whose ex-date is after `after`."""
        known = self.known(symbol)
        i = bisect_right(known, after, key=lambda d: d.ex_date)
        return known[i] if i < len(known) else None

    def on(self, symbol: str, ex_date: date) -> Dividend | None:
        """The dividend going ex on `ex_date`, if any."""
        known = self.known(symbol)
        i = bisect_left(known, ex_date, key=lambda d: d.ex_date)
        return known[i] if i < len(known) and known[i].ex_date == ex_date else None
