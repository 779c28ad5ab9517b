"""Revaluation: once per push interval, only the connected accounts holding a moved symbol.

Cost per interval is proportional to the watched accounts whose holdings moved, never to all
accounts. Inside the loop, quantities and prices are floats (as the stream sends them); the
positions' sum is converted back to Decimal, added to the Decimal cash and rounded to the
cent, so every pushed figure is an exact decimal string. The float sum of at most a few dozen
products carries a relative error near 1e-15: far below a cent for any retail account.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import structlog

from ..config import RealtimeSettings
from ..valuation import money, today_return
from . import messages
from .accounts import AccountFacts, market_day
from .holdings import HoldingsIndex
from .hub import LiveHub
from .messages import AccountValue
from .prices import PriceMap
from .tasks import BackgroundTask

log = structlog.get_logger("portfolio_rt.realtime")

Loader = Callable[[str, bool], Awaitable[AccountFacts]]


@dataclass
class Book:
    """A watched account's non-position facts and what was last pushed."""

    cash: Decimal
    last_equity: Decimal
    flows_today: Decimal
    day: object
    loaded_at: float
    pushed: tuple[Decimal, Decimal] | None = None
    last_total: float = -1.0


class Revaluer(BackgroundTask):
    """The flusher: drains the dirty symbols every `push_interval_s` and pushes changes."""

    name = "revaluer"
    max_concurrent_loads = 8
    chunk = 500
    """Accounts revalued between two returns to the event loop."""

    def __init__(
        self,
        prices: PriceMap,
        index: HoldingsIndex,
        hub: LiveHub,
        settings: RealtimeSettings,
        loader: Loader,
        on_index_changed: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__()
        self.prices = prices
        self.index = index
        self.hub = hub
        self.settings = settings
        self._load = loader
        self._on_index_changed = on_index_changed
        self.books: dict[str, Book] = {}
        self.by_symbol: dict[str, set[str]] = {}
        self._loading: dict[str, asyncio.Task[Book]] = {}
        self._refreshing: set[asyncio.Task[None]] = set()
        self._force: set[str] = set()
        self._slots = asyncio.Semaphore(self.max_concurrent_loads)
        self.cycles = 0
        self.pushes = 0
        self.on_cycle: Callable[[float, float, datetime, int], None] | None = None
        """Benchmarks: after each flush, (oldest tick, flush start, as_of, pushes)."""

    # -- watching ----------------------------------------------------------------------------
    async def watch(self, account: str) -> Book:
        """Make `account` watched (its first socket): load its facts once, index its symbols."""
        book = self.books.get(account)
        if book is not None:
            return book
        task = self._loading.get(account)
        if task is None:
            task = asyncio.create_task(self._load_book(account))
            self._loading[account] = task
            task.add_done_callback(lambda _t: self._loading.pop(account, None))
        return await asyncio.shield(task)

    async def _load_book(self, account: str) -> Book:
        async with self._slots:
            facts = await self._load(account, False)
        book = self._apply_facts(account, facts)
        return book

    def _apply_facts(self, account: str, facts: AccountFacts) -> Book:
        book = Book(facts.cash, facts.last_equity, facts.flows_today, facts.day, time.monotonic())
        old = self.books.get(account)
        if old is not None:
            book.pushed = old.pushed
        if not self.hub.watching(account):
            # the last socket went away while loading: keep nothing
            self.books.pop(account, None)
            return book
        self.books[account] = book
        self.index.note_prices(facts.prices.items())
        self._unindex(account)
        if self.index.set_account(account, facts.positions):
            self._on_index_changed()
        for symbol in self.index.positions(account):
            self.by_symbol.setdefault(symbol, set()).add(account)
        self._force.add(account)
        return book

    def unwatch(self, account: str) -> None:
        """The account's last socket closed: no more work for it."""
        self.books.pop(account, None)
        self._force.discard(account)
        self._unindex(account)

    def _unindex(self, account: str) -> None:
        for symbol in list(self.index.positions(account)):
            holders = self.by_symbol.get(symbol)
            if holders is not None:
                holders.discard(account)
                if not holders:
                    del self.by_symbol[symbol]

    def reindex(self, changed: set[str]) -> None:
        """After a collection: rebuild the watched symbol index; refresh accounts that traded."""
        by_symbol: dict[str, set[str]] = {}
        for account in self.books:
            for symbol in self.index.positions(account):
                by_symbol.setdefault(symbol, set()).add(account)
        self.by_symbol = by_symbol
        for account in changed & self.books.keys():
            self._force.add(account)
            self.refresh(account)

    def refresh(self, account: str) -> None:
        """Reload one watched account's facts now (it traded or moved money)."""
        if account not in self.books:
            return
        task = asyncio.create_task(self._refresh(account))
        self._refreshing.add(task)
        task.add_done_callback(self._refreshing.discard)

    async def _refresh(self, account: str) -> None:
        try:
            async with self._slots:
                facts = await self._load(account, True)
        except Exception as exc:
            log.warning("realtime.refresh_failed", account=account, error=type(exc).__name__)
            book = self.books.get(account)
            if book is not None:  # try again after a while, not at once
                book.loaded_at = time.monotonic()
            return
        if account in self.books:
            self._apply_facts(account, facts)

    # -- values ------------------------------------------------------------------------------
    def positions_value(self, account: str) -> float:
        """Σ qty × price over the account's positions (float; see the module's note)."""
        prices = self.prices.prices
        midpoints = self.prices.midpoints
        fallback = self.index.fallback_price
        total = 0.0
        for symbol, qty in self.index.positions(account).items():
            price = prices.get(symbol)
            if price is None:
                price = midpoints.get(symbol)
                if price is None:
                    price = fallback.get(symbol, 0.0)
            total += qty * price
        return total

    def value_of(
        self, account: str, book: Book, now: datetime | None = None, total: float | None = None
    ) -> AccountValue:
        if total is None:
            total = self.positions_value(account)
        equity = money(book.cash + Decimal(repr(total)))
        return AccountValue(
            equity=equity,
            cash=book.cash,
            last_equity=book.last_equity,
            today_return=today_return(equity, book.last_equity, book.flows_today),
            as_of=now or datetime.now(UTC),
        )

    def _moved(self) -> tuple[float, set[str], list[str]]:
        """Drain the dirty symbols: (oldest tick time, the symbols, the watched holders)."""
        oldest = self.prices.first_dirty_at
        dirty = self.prices.drain_dirty()
        by_symbol = self.by_symbol
        accounts: set[str] = set(self._force)
        self._force.clear()
        if len(dirty) <= len(by_symbol):
            for symbol in dirty:
                holders = by_symbol.get(symbol)
                if holders:
                    accounts.update(holders)
        else:
            for symbol, holders in by_symbol.items():
                if symbol in dirty:
                    accounts.update(holders)
        return oldest, dirty, list(accounts)

    def _push(self, accounts: list[str], now: datetime, as_of: bytes) -> int:
        """Revalue these accounts and push those whose figures changed."""
        pushed = 0
        books = self.books
        for account in accounts:
            book = books.get(account)
            if book is None:
                continue
            total = self.positions_value(account)
            if total == book.last_total and book.pushed is not None:
                continue  # nothing this account holds moved enough to change its sum
            book.last_total = total
            value = self.value_of(account, book, now, total)
            key = (value.equity, value.today_return.amount)
            if key == book.pushed:
                continue
            book.pushed = key
            self.hub.push_update(account, messages.update_body(value, as_of))
            pushed += 1
        return pushed

    def flush(self) -> int:
        """Revalue the watched holders of the symbols that moved; push those that changed."""
        started = time.monotonic()
        oldest, dirty, accounts = self._moved()
        now = datetime.now(UTC)
        pushed = self._push(accounts, now, messages.as_of_text(now)) if accounts else 0
        self._cycle_done(oldest, started, now, dirty, pushed)
        return pushed

    async def flush_spread(self) -> int:
        """`flush`, giving the loop back every `chunk` accounts so the sockets' writers send
        the first updates while later accounts are still being revalued."""
        started = time.monotonic()
        oldest, dirty, accounts = self._moved()
        now = datetime.now(UTC)
        as_of = messages.as_of_text(now)
        pushed = 0
        chunk = self.chunk
        for i in range(0, len(accounts), chunk):
            if i:
                await asyncio.sleep(0)
            pushed += self._push(accounts[i : i + chunk], now, as_of)
        self._cycle_done(oldest, started, now, dirty, pushed)
        return pushed

    def _cycle_done(
        self, oldest: float, started: float, now: datetime, dirty: set[str], pushed: int
    ) -> None:
        self.cycles += 1
        self.pushes += pushed
        if self.on_cycle is not None and dirty:
            self.on_cycle(oldest, started, now, pushed)

    def _due_refreshes(self) -> None:
        """Accounts whose facts are older than `account_refresh_s`, or from another day."""
        if not self.books:
            return
        horizon = time.monotonic() - self.settings.account_refresh_s
        today = market_day()
        busy = len(self._refreshing)
        for account, book in self.books.items():
            if busy >= self.max_concurrent_loads * 2:
                break
            if book.loaded_at < horizon or book.day != today:
                book.loaded_at = time.monotonic()  # not picked again while in flight
                self.refresh(account)
                busy += 1

    async def _run(self) -> None:
        interval = self.settings.push_interval_s
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            next_at += interval
            delay = next_at - loop.time()
            if delay < 0:  # fell behind: skip, never run cycles back to back
                next_at = loop.time()
                delay = 0
            await asyncio.sleep(delay)
            await self.flush_spread()
            self._due_refreshes()

    async def close(self) -> None:
        await super().close()
        for task in [*self._refreshing, *self._loading.values()]:
            task.cancel()
        for task in [*self._refreshing, *self._loading.values()]:
            with contextlib.suppress(BaseException):
                await task
