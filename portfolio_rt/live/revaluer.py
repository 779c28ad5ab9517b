"""Revaluation: once per push interval, only the connected accounts holding a moved symbol.

Cost per interval is proportional to the watched accounts whose holdings moved, never to all
accounts. The interval is served in `push_phases` steps, each over one phase of the watched
accounts (see `watchers`), so a push never waits behind the whole interval's work.

Inside the loop, quantities and prices are floats (as the stream sends them); the positions'
sum is converted back to Decimal, added to the Decimal cash and rounded to the cent, so every
pushed figure is an exact decimal string. The float sum of at most a few dozen products
carries a relative error near 1e-15: far below a cent for any retail account.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import structlog

from ..config import RealtimeSettings
from ..core.money import TodayBasis, money
from ..core.tasks import BackgroundTask
from . import messages
from .accounts import AccountFacts, market_day
from .holdings import HoldingsIndex
from .hub import LiveHub
from .messages import AccountValue
from .position_figures import PositionBasis, RowWriter, cent_text
from .prices import PriceMap
from .watchers import Watchers

log = structlog.get_logger("portfolio_rt.live")

Loader = Callable[[str, bool], Awaitable[AccountFacts]]
CashLoader = Callable[[str], Awaitable[tuple[Decimal, Decimal]]]
"""An account's cash and last_equity alone (one broker call)."""


@dataclass
class Book:
    """A watched account's non-position facts and what was last pushed."""

    cash: Decimal
    last_equity: Decimal
    basis: TodayBasis
    day: object
    loaded_at: float
    pushed: tuple[Decimal, Decimal] | None = None
    last_total: float = -1.0
    bases: dict[str, PositionBasis] = field(default_factory=dict)
    sent: dict[str, float] = field(default_factory=dict)
    """symbol → the price its last positions message carried; empty: the next is complete."""


class Revaluer(BackgroundTask):
    """The flusher: every `push_interval_s / push_phases`, drains the dirty symbols and
    revalues one phase's holders of what moved since that phase's last turn."""

    name = "revaluer"
    max_concurrent_loads = 8
    chunk = 100
    """Accounts revalued between two returns to the event loop."""

    def __init__(
        self,
        prices: PriceMap,
        index: HoldingsIndex,
        hub: LiveHub,
        settings: RealtimeSettings,
        loader: Loader,
        on_index_changed: Callable[[], None] = lambda: None,
        refresh_after_s: Callable[[], float] | None = None,
        cash_loader: CashLoader | None = None,
        events_flowing: Callable[[], bool] = lambda: False,
    ) -> None:
        super().__init__()
        self.prices = prices
        self.index = index
        self.hub = hub
        self.settings = settings
        self._load = loader
        self._on_index_changed = on_index_changed
        self.refresh_after_s = refresh_after_s or (lambda: settings.account_refresh_s)
        """How old a watched account's facts may grow (longer while broker events flow)."""
        self._load_cash = cash_loader
        self._events_flowing = events_flowing
        self.books: dict[str, Book] = {}
        self.watchers = Watchers(settings.push_phases)
        self.rows = RowWriter()
        self._recent: deque[tuple[float, set[str]]] = deque(maxlen=settings.push_phases)
        """The symbols drained at each of the last `push_phases` steps, with the time of the
        first tick of each: together, what moved since the current phase was last served."""
        self._phase = 0
        self._loading: dict[str, asyncio.Task[Book]] = {}
        self._refreshing: set[asyncio.Task[None]] = set()
        self._force: set[str] = set()
        self._slots = asyncio.Semaphore(self.max_concurrent_loads)
        self.cycles = 0
        self.pushes = 0
        self.on_cycle: Callable[[float, float, datetime, int], None] | None = None
        """Benchmarks: after each flush, (oldest tick, flush start, as_of, pushes)."""
        self.on_step: Callable[[float], None] = lambda _seconds: None
        """Told how long each step with work took (metrics)."""

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
        basis = TodayBasis.of(facts.last_equity, facts.flows_today)
        book = Book(facts.cash, facts.last_equity, basis, facts.day, time.monotonic())
        book.bases = facts.bases
        old = self.books.get(account)
        if old is not None:
            book.pushed = old.pushed
            if old.bases == facts.bases and self.index.positions(account) == facts.positions:
                book.sent = old.sent  # same holdings: the positions topic goes on from there
        if not self.hub.watching(account):
            # the last socket went away while loading: keep nothing
            self.books.pop(account, None)
            return book
        self.books[account] = book
        self.index.note_prices(facts.prices.items())
        self.watchers.unindex(account, self.index.positions(account))
        if self.index.set_account(account, facts.positions):
            self._on_index_changed()
        self.watchers.add(account, self.index.positions(account))
        self._force.add(account)
        return book

    def unwatch(self, account: str) -> None:
        """The account's last socket closed: no more work for it."""
        self.books.pop(account, None)
        self._force.discard(account)
        self.watchers.remove(account, self.index.positions(account))

    def reindex(self, changed: set[str]) -> None:
        """After a collection: rebuild the watched symbol index; refresh accounts that traded."""
        self.watchers.rebuild(self.index.positions)
        for account in changed & self.books.keys():
            self._force.add(account)
            self.refresh(account)

    def watching(self, account: str) -> bool:
        """Whether the account is watched here (a socket is open, its facts loaded)."""
        return account in self.books

    def set_position(self, account: str, symbol: str, qty: float) -> None:
        """A fill said what the account now holds of `symbol`: the index (and, if watched,
        its next revaluation) take it at once, before its facts are read again."""
        old = self.index.positions(account)
        positions = dict(old)
        if qty:
            positions[symbol] = qty
        else:
            positions.pop(symbol, None)
        watched = account in self.books
        if watched:
            self.watchers.unindex(account, old)
        if self.index.set_account(account, positions):
            self._on_index_changed()
        if watched:
            self.watchers.add(account, self.index.positions(account))
            self._force.add(account)
            book = self.books[account]
            book.sent = {}  # the holdings changed: the next positions message is complete
            book.last_total = -1.0
            # its cost basis moved with the fill: no return figures until the account's
            # facts are read again (a refresh the fill's event asks for)
            book.bases = {s: b for s, b in book.bases.items() if s != symbol}

    def refresh(self, account: str, *, cash_only: bool = False) -> None:
        """Reload one watched account's facts now (it traded or moved money); `cash_only`
        reads its cash and last close alone, when its positions are known (a fill's event
        carries them) and no deposit moved (today's flows stand). An account whose positions
        are followed live is read whole: its positions' cost bases move with a trade."""
        if account not in self.books:
            return
        if account in self.hub.positions_of:
            cash_only = False
        if cash_only and self._load_cash is not None:
            task = asyncio.create_task(self._refresh_cash(account))
        else:
            task = asyncio.create_task(self._refresh(account))
        self._refreshing.add(task)
        task.add_done_callback(self._refreshing.discard)

    async def _refresh(self, account: str) -> None:
        try:
            async with self._slots:
                facts = await self._load(account, True)
        except Exception as exc:
            self._refresh_failed(account, exc)
            return
        if account in self.books:
            self._apply_facts(account, facts)

    async def _refresh_cash(self, account: str) -> None:
        assert self._load_cash is not None
        try:
            async with self._slots:
                cash, last_equity = await self._load_cash(account)
        except Exception as exc:
            self._refresh_failed(account, exc)
            return
        book = self.books.get(account)
        if book is None:
            return
        if last_equity != book.last_equity:  # a new day since: everything is read again
            self.refresh(account)
            return
        book.cash = cash
        book.loaded_at = time.monotonic()
        book.last_total = -1.0  # revalue at the next step even if no price moved
        self._force.add(account)

    def _refresh_failed(self, account: str, exc: Exception) -> None:
        log.warning("realtime.refresh_failed", account=account, error=type(exc).__name__)
        book = self.books.get(account)
        if book is not None:  # try again after a while, not at once
            book.loaded_at = time.monotonic()

    # -- values ------------------------------------------------------------------------------
    def positions_value(self, account: str) -> float:
        """Σ qty × price over the account's positions (float; see the module's note)."""
        price = self.prices.prices.get
        total = 0.0
        for symbol, qty in self.index.positions(account).items():
            p = price(symbol)
            total += qty * (p if p is not None else self._price_of_last_resort(symbol))
        return total

    def _price_of_last_resort(self, symbol: str) -> float:
        """A symbol with no trade yet: its quote midpoint, else the positions call's price."""
        price = self.prices.midpoints.get(symbol)
        return price if price is not None else self.index.fallback_price.get(symbol, 0.0)

    @staticmethod
    def equity(book: Book, positions_value: float) -> Decimal:
        return money(book.cash + Decimal(repr(positions_value)))

    def value_of(self, account: str, book: Book) -> AccountValue:
        equity = self.equity(book, self.positions_value(account))
        return AccountValue(
            equity=equity,
            cash=book.cash,
            last_equity=book.last_equity,
            today_return=book.basis.gain(equity),
            as_of=datetime.now(UTC),
        )

    # -- positions topic ---------------------------------------------------------------------
    def positions_body(self, account: str, book: Book, as_of: str, *, record: bool) -> bytes | None:
        """The account's positions message: every position when none was sent since its facts
        were read, else those whose price moved since the last message (None when none did).
        `record` makes this the account's last message (the one its subscribers share); a
        single socket's complete message is not. The total is the sum of the positions' values
        to the cent, so the rows add up to it and their weights are shares of it."""
        sent = book.sent
        complete = not sent or not record
        price_of = self.prices.prices.get
        value_cents = self.rows.value_cents
        total = 0
        moved: list[tuple[str, float, float, int]] = []
        for symbol, qty in self.index.positions(account).items():
            price = price_of(symbol)
            if price is None:
                price = self._price_of_last_resort(symbol)
            cents = value_cents(symbol, qty, price)
            total += cents
            if not complete and sent.get(symbol) == price:
                continue
            if record:
                sent[symbol] = price
            moved.append((symbol, qty, price, cents))
        if not moved and not complete:
            return None
        row, bases = self.rows.row, book.bases
        rows = [row(s, qty, price, bases.get(s), cents, total) for s, qty, price, cents in moved]
        return messages.positions(rows, complete=complete, total=cent_text(total), as_of=as_of)

    def positions_now(self, account: str) -> bytes | None:
        """A complete positions message of a watched account as it stands (one socket's)."""
        book = self.books.get(account)
        if book is None:
            return None
        as_of = messages.as_of_text(datetime.now(UTC)).decode()
        return self.positions_body(account, book, as_of, record=False)

    def first_positions(self, account: str) -> bytes | None:
        """A socket took the positions topic: its first, complete message. When it is the
        account's only subscriber, the account's shared messages go on from this one."""
        book = self.books.get(account)
        if book is None:
            return None
        if len(self.hub.positions_of.get(account, ())) > 1:
            return self.positions_now(account)
        book.sent = {}
        as_of = messages.as_of_text(datetime.now(UTC)).decode()
        return self.positions_body(account, book, as_of, record=True)

    def _moved(self) -> tuple[float, set[str], set[str]]:
        """One step: drain the dirty symbols, pick the phase whose turn it is, and return
        (the oldest tick since that phase was last served, the symbols that moved since,
        the accounts to revalue: that phase's holders of them and any forced account)."""
        self._recent.append((self.prices.first_dirty_at, self.prices.drain_dirty()))
        phase = self._phase
        self._phase = (phase + 1) % self.watchers.phases
        if not self.watchers.by_symbol[phase] and not self._force:
            return 0.0, set(), set()  # nobody of this phase holds anything: no work
        moved: set[str] = set().union(*(symbols for _, symbols in self._recent))
        oldest = min((at for at, symbols in self._recent if symbols), default=0.0)
        accounts = self.watchers.holders(phase, moved) if moved else set()
        if self._force:
            accounts |= self._force
            self._force = set()
        return oldest, moved, accounts

    def _push(self, accounts: list[str], as_of: bytes) -> int:
        """Revalue these accounts and push those whose figures changed.

        The loop runs for every watched holder of a moved symbol, every interval: the sum
        stays in floats, and Decimal work starts only when the sum moved.
        """
        books = self.books
        positions_value = self.positions_value
        equity_of = self.equity
        followed = self.hub.positions_of
        updates: list[tuple[str, bytes]] = []
        rows: dict[str, bytes] = {}
        as_of_str = as_of.decode()
        for account in accounts:
            book = books.get(account)
            if book is None:
                continue
            total = positions_value(account)
            if total == book.last_total:
                continue  # nothing this account holds moved enough to change its sum
            book.last_total = total
            if account in followed:
                body = self.positions_body(account, book, as_of_str, record=True)
                if body is not None:
                    rows[account] = body
            equity = equity_of(book, total)
            gain = book.basis.gain(equity)
            key = (equity, gain.amount)
            if key == book.pushed:
                continue
            book.pushed = key
            updates.append((account, messages.update_body(equity, gain, as_of)))
        self.hub.push_updates(updates, rows)
        if rows:  # accounts whose value did not move to the cent, though a price did
            self.hub.push_positions(rows)
        return len(updates)

    async def flush(self) -> int:
        """One step: revalue the current phase's watched holders of the symbols that moved
        (and the forced accounts); push those whose figures changed.

        Gives the loop back every `chunk` accounts, so the stream keeps being read and slow
        sockets' writers keep sending while later accounts are revalued."""
        started = time.monotonic()
        oldest, dirty, moved_accounts = self._moved()
        now = datetime.now(UTC)
        as_of = messages.as_of_text(now)
        pushed = 0
        chunk = self.chunk
        accounts = list(moved_accounts)
        for i in range(0, len(accounts), chunk):
            if i:
                await asyncio.sleep(0)
            pushed += self._push(accounts[i : i + chunk], as_of)
        self._cycle_done(oldest, started, now, dirty, pushed)
        if accounts:
            self.on_step(time.monotonic() - started)
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
        horizon = time.monotonic() - self.refresh_after_s()
        today = market_day()
        busy = len(self._refreshing)
        # While broker events flow, they bring every change: the periodic read is a check of
        # the cash alone (one call), and all the facts only at a new day.
        flowing = self._events_flowing()
        for account, book in self.books.items():
            if busy >= self.max_concurrent_loads * 2:
                break
            new_day = book.day != today
            if book.loaded_at < horizon or new_day:
                book.loaded_at = time.monotonic()  # not picked again while in flight
                self.refresh(account, cash_only=flowing and not new_day)
                busy += 1

    async def _run(self) -> None:
        interval = self.settings.push_interval_s / self.watchers.phases
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while True:
            next_at += interval
            delay = next_at - loop.time()
            if delay < 0:  # fell behind: skip, never run cycles back to back
                next_at = loop.time()
                delay = 0
            await asyncio.sleep(delay)
            await self.flush()
            if self._phase == 0:
                self._due_refreshes()

    async def close(self) -> None:
        await super().close()
        for task in [*self._refreshing, *self._loading.values()]:
            task.cancel()
        for task in [*self._refreshing, *self._loading.values()]:
            with contextlib.suppress(BaseException):
                await task
