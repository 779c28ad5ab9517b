"""Which watched accounts hold which symbols, split into push phases.

Every watched account belongs to one of `phases` groups of about equal size. The flusher
serves one group per step, `phases` steps per push interval, so an interval's revaluations and
socket writes come in small slices: the last client of a slice waits for a tenth of the work
(with ten phases), not for all of it, and the event loop is never held for long.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable


class Watchers:
    """phase → symbol → the watched accounts of that phase holding it."""

    def __init__(self, phases: int) -> None:
        self.phases = phases
        self.by_symbol: list[dict[str, set[str]]] = [{} for _ in range(phases)]
        self.phase_of: dict[str, int] = {}
        self._sizes = [0] * phases

    def __len__(self) -> int:
        return len(self.phase_of)

    def add(self, account: str, symbols: Iterable[str]) -> None:
        """Index `account` under `symbols`; a new account joins the smallest phase."""
        phase = self.phase_of.get(account)
        if phase is None:
            sizes = self._sizes
            phase = sizes.index(min(sizes))
            self.phase_of[account] = phase
            sizes[phase] += 1
        table = self.by_symbol[phase]
        for symbol in symbols:
            holders = table.get(symbol)
            if holders is None:
                table[symbol] = {account}
            else:
                holders.add(account)

    def unindex(self, account: str, symbols: Iterable[str]) -> None:
        """Take `account` off `symbols` (it keeps its phase: its positions are changing)."""
        phase = self.phase_of.get(account)
        if phase is None:
            return
        table = self.by_symbol[phase]
        for symbol in symbols:
            holders = table.get(symbol)
            if holders is not None:
                holders.discard(account)
                if not holders:
                    del table[symbol]

    def remove(self, account: str, symbols: Iterable[str]) -> None:
        """`account` is no longer watched."""
        self.unindex(account, symbols)
        phase = self.phase_of.pop(account, None)
        if phase is not None:
            self._sizes[phase] -= 1

    def rebuild(self, symbols_of: Callable[[str], Iterable[str]]) -> None:
        """Re-read every watched account's symbols (after a full collection); phases stay."""
        tables: list[dict[str, set[str]]] = [{} for _ in range(self.phases)]
        for account, phase in self.phase_of.items():
            table = tables[phase]
            for symbol in symbols_of(account):
                table.setdefault(symbol, set()).add(account)
        self.by_symbol = tables

    def holders(self, phase: int, symbols: set[str]) -> set[str]:
        """The accounts of `phase` holding any of `symbols`."""
        table = self.by_symbol[phase]
        accounts: set[str] = set()
        if len(symbols) <= len(table):
            for symbol in symbols:
                held = table.get(symbol)
                if held:
                    accounts.update(held)
        else:
            for symbol, held in table.items():
                if symbol in symbols:
                    accounts.update(held)
        return accounts

    def count(self, symbol: str) -> int:
        """How many watched accounts hold `symbol`."""
        return sum(len(table.get(symbol, ())) for table in self.by_symbol)
