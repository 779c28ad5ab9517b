"""The holdings index: symbol → {account: qty}, account → {symbol: qty}.

Built by the collector from the bulk all-accounts positions call and patched for one account
when it trades. Quantities are floats for the hot revaluation loop; the pushed figures go
back to Decimal at the edge (see `revaluer`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping

Positions = dict[str, float]
"""symbol → quantity held (shares, coins)."""


class HoldingsIndex:
    """Who holds what. `version` changes whenever the set of held symbols may have changed."""

    def __init__(self) -> None:
        self.by_account: dict[str, Positions] = {}
        self.holders: dict[str, dict[str, float]] = {}
        self.fallback_price: dict[str, float] = {}
        """Each symbol's `current_price` from the positions call: the price of last resort."""
        self.version = 0

    def __len__(self) -> int:
        return len(self.by_account)

    def symbols(self) -> set[str]:
        return set(self.holders)

    def holder_count(self, symbol: str) -> int:
        return len(self.holders.get(symbol, ()))

    def positions(self, account: str) -> Positions:
        return self.by_account.get(account, {})

    async def replace_all(
        self,
        accounts: Mapping[str, Positions],
        keep: Callable[[], Iterable[str]] = tuple,
        chunk: int = 2_000,
    ) -> set[str]:
        """Swap in a full collection; returns the accounts whose positions changed.

        The new symbol → holders map is built `chunk` accounts at a time, giving the event
        loop back in between (at 100,000 accounts one pass takes a few hundred ms, which
        would otherwise stall every socket and request once per collection); the swap
        itself is one step. Accounts in `keep()` at that moment (watched ones, refreshed on
        their own and so fresher than a bulk answer that may date from the last close) keep
        their current positions; they are still reported when the collection disagrees, so
        the caller can refresh them.
        """
        holders: dict[str, dict[str, float]] = {}
        changed: set[str] = set()
        for n, (account, positions) in enumerate(accounts.items(), 1):
            if self.by_account.get(account) != positions:
                changed.add(account)
            for symbol, qty in positions.items():
                bucket = holders.get(symbol)
                if bucket is None:
                    holders[symbol] = {account: qty}
                else:
                    bucket[account] = qty
            if n % chunk == 0:
                await asyncio.sleep(0)
        old = self.by_account
        changed.update(a for a in old if a not in accounts)
        by_account = dict(accounts)
        for account in keep():
            current = old.get(account)
            if current is None:
                continue
            for symbol in accounts.get(account, {}):
                bucket = holders[symbol]
                del bucket[account]
                if not bucket:
                    del holders[symbol]
            for symbol, qty in current.items():
                holders.setdefault(symbol, {})[account] = qty
            by_account[account] = current
        self.by_account = by_account
        self.holders = holders
        self.version += 1
        return changed

    def set_account(self, account: str, positions: Positions) -> bool:
        """Replace one account's positions (after it traded); True when they changed."""
        old = self.by_account.get(account, {})
        if old == positions:
            return False
        for symbol in old:
            if symbol not in positions:
                bucket = self.holders.get(symbol)
                if bucket is not None:
                    bucket.pop(account, None)
                    if not bucket:
                        del self.holders[symbol]
        for symbol, qty in positions.items():
            self.holders.setdefault(symbol, {})[account] = qty
        if positions:
            self.by_account[account] = dict(positions)
        else:
            self.by_account.pop(account, None)
        self.version += 1
        return True

    def note_prices(self, prices: Iterable[tuple[str, float]]) -> None:
        """Remember positions' `current_price` as a fallback for symbols with no tick yet."""
        self.fallback_price.update(prices)
