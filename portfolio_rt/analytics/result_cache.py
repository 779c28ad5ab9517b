"""When a computed result may be reused: same holdings, same day's bars, prices not moved much.

Pure policy, no I/O: the caller passes the clock and the current prices.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from portfolio_rt.analytics.models import METHODOLOGY_VERSION, PortfolioAnalytics


def holdings_fingerprint(
    positions: Iterable[tuple[str, Decimal]], cash: Decimal, history_version: str = ""
) -> str:
    """A digest of (symbol, quantity) pairs, cash, the bars' version (e.g. their date) and the
    methodology version; any change to these means the cached result is for other holdings."""
    parts = sorted(f"{s.upper()}={q.normalize()}" for s, q in positions)
    text = "|".join([METHODOLOGY_VERSION, history_version, f"cash={cash.normalize()}", *parts])
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class _Entry:
    fingerprint: str
    prices: dict[str, Decimal]
    computed_at: float
    result: PortfolioAnalytics


class AnalyticsCache:
    """Results per account, reused until holdings change, a held price moves by more than
    `price_move` (relative), or `max_age_s` passes. Least recently used accounts are evicted
    beyond `max_accounts`."""

    def __init__(
        self,
        clock: Callable[[], float],
        *,
        price_move: float = 0.03,
        max_age_s: float = 3600.0,
        max_accounts: int = 10_000,
    ) -> None:
        self._clock = clock
        self._price_move = price_move
        self._max_age_s = max_age_s
        self._max_accounts = max_accounts
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def get(
        self, account_id: str, fingerprint: str, prices: Mapping[str, Decimal]
    ) -> PortfolioAnalytics | None:
        """The cached result if it still holds for these holdings and prices, else None."""
        entry = self._entries.get(account_id)
        if entry is None or entry.fingerprint != fingerprint:
            return None
        if self._clock() - entry.computed_at > self._max_age_s:
            return None
        if self._moved(entry.prices, prices):
            return None
        self._entries.move_to_end(account_id)
        return entry.result

    def put(
        self,
        account_id: str,
        fingerprint: str,
        prices: Mapping[str, Decimal],
        result: PortfolioAnalytics,
    ) -> None:
        """Remember `result`, computed at `prices`, for the account."""
        self._entries[account_id] = _Entry(fingerprint, dict(prices), self._clock(), result)
        self._entries.move_to_end(account_id)
        while len(self._entries) > self._max_accounts:
            self._entries.popitem(last=False)

    def invalidate(self, account_id: str) -> None:
        self._entries.pop(account_id, None)

    def __len__(self) -> int:
        return len(self._entries)

    def _moved(self, then: Mapping[str, Decimal], now: Mapping[str, Decimal]) -> bool:
        limit = Decimal(str(self._price_move))
        for symbol, old in then.items():
            new = now.get(symbol)
            if new is None or old <= 0:
                continue
            if abs(new / old - 1) > limit:
                return True
        return False
