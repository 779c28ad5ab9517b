"""What the stream sends besides the ticker's live prints, as (channel, symbol, payload) entries.

`StreamData` holds a `PriceSource` per source (the market for the live and delayed stock feeds
and for crypto, `FAKEPACA` for the test feed) and the state some channels keep (LULD bands in
effect, the order books sent). Its methods answer one event each: a minute ended, a half-minute
mark passed, a session opened, a symbol was subscribed, the ticker printed; the hub fans the
entries out. Payloads are trades, quotes, `(symbol, bar)` pairs, or ready messages (dicts).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from .market import Quote, Trade
from .stream_bars import first_bar, updated_bar
from .stream_feeds import DELAYS, Source
from .stream_lulds import LuldBands, luld_wire
from .stream_orderbooks import OrderBookFeed
from .stream_sources import MarketSource, PriceSource
from .stream_statuses import trading_status
from .stream_test_feed import FakePaca

if TYPE_CHECKING:
    from .world import Sandbox

Entry = tuple[str, str, Any]
"""(channel, symbol, payload) of one data message before encoding."""

LULD_SOURCES: Final[tuple[Source, ...]] = ("stocks", "delayed", "test")


class StreamData:
    """The stream's sources and the state of its LULD and order book channels."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        stocks = MarketSource(sandbox, crypto=False)
        self.sources: dict[Source, PriceSource] = {
            "stocks": stocks,
            "crypto": MarketSource(sandbox, crypto=True),
            "delayed": stocks,
            "test": FakePaca(),
        }
        self.lulds: dict[Source, LuldBands] = {s: LuldBands(self.sources[s]) for s in LULD_SOURCES}
        self.books = OrderBookFeed()

    def now(self, source: Source) -> datetime:
        """The source's clock: the sandbox's, 15 minutes back for the delayed feed."""
        return self.sandbox.now() - DELAYS[source]

    def is_open(self, source: Source, t: datetime) -> bool:
        """Whether the source's market is open at `t`."""
        src = self.sources[source]
        return bool(src.symbols) and src.is_open(src.symbols[0], t)

    # -- bars ------------------------------------------------------------------------------
    def bars(
        self,
        source: Source,
        minute: datetime,
        minutes: Sequence[str],
        days: Sequence[str],
        share: float,
    ) -> list[Entry]:
        """At the end of `minute`: its bars (cut when trades come late), today's bar so far."""
        src = self.sources[source]
        entries: list[Entry] = []
        for symbol in minutes:
            bar = first_bar(src, symbol, minute, share)
            if bar is not None:
                entries.append(("bars", symbol, (symbol, bar)))
        now = self.now(source)
        for symbol in days:
            day = src.daily_bar(symbol, now)
            if day is not None:
                entries.append(("dailyBars", symbol, (symbol, day)))
        return entries

    def updated_bars(
        self, source: Source, minute: datetime, symbols: Sequence[str], share: float
    ) -> list[Entry]:
        """After the half-minute mark: `minute`'s whole bars that late trades changed."""
        src = self.sources[source]
        entries: list[Entry] = []
        for symbol in symbols:
            bar = updated_bar(src, symbol, minute, share)
            if bar is not None:
                entries.append(("updatedBars", symbol, (symbol, bar)))
        return entries

    # -- statuses and LULD bands -----------------------------------------------------------
    def statuses(self, source: Source, symbols: Iterable[str]) -> list[Entry]:
        """Each symbol's status now (trading since the session's open), for a new subscriber."""
        src = self.sources[source]
        t = self.now(source)
        session = src.session(t)
        since = session[0] if session is not None else t
        return [
            ("statuses", s, trading_status(s, src.tape(s), since))
            for s in symbols
            if src.is_open(s, t)
        ]

    def bands(self, source: Source, symbols: Iterable[str]) -> list[Entry]:
        """Each symbol's band in effect, for a new subscriber."""
        src, bands = self.sources[source], self.lulds[source]
        t = self.now(source)
        return [("lulds", s, luld_wire(bands.current(s, t))) for s in symbols if src.is_open(s, t)]

    def moved_bands(self, source: Source, symbols: Sequence[str]) -> list[Entry]:
        """The bands that moved since they were last sent (the others are forgotten)."""
        bands = self.lulds[source]
        wanted = set(symbols)
        bands.retain(wanted.__contains__)
        t = self.now(source)
        if not self.is_open(source, t):
            return []
        entries: list[Entry] = []
        for symbol in symbols:
            band = bands.advance(symbol, t)
            if band is not None:
                entries.append(("lulds", symbol, luld_wire(band)))
        return entries

    def session_opened(
        self, source: Source, statuses: Sequence[str], lulds: Sequence[str]
    ) -> list[Entry]:
        """At a session's open: the symbols' trading status and opening bands."""
        src, bands = self.sources[source], self.lulds[source]
        t = self.now(source)
        entries: list[Entry] = [
            ("statuses", s, trading_status(s, src.tape(s), t)) for s in statuses
        ]
        entries.extend(("lulds", s, luld_wire(bands.open_session(s, t))) for s in lulds)
        return entries

    def session_closed(self, source: Source) -> None:
        """At a session's close: bands end (the next session starts with opening bands)."""
        self.lulds[source].retain(lambda _symbol: False)

    # -- trades and quotes of the delayed and test feeds ------------------------------------
    def ticks(self, source: Source, symbols: Iterable[str], t: datetime) -> list[Entry]:
        """A trade and a quote of each symbol at `t` (when it trades then)."""
        src = self.sources[source]
        entries: list[Entry] = []
        for symbol in symbols:
            if src.has(symbol) and src.is_open(symbol, t):
                entries.append(("quotes", symbol, src.quote(symbol, t)))
                entries.append(("trades", symbol, src.trade(symbol, t)))
        return entries

    def delayed(
        self, batch: Sequence[Trade | Quote], trades: set[str], quotes: set[str], every: bool
    ) -> list[Entry]:
        """The live batch's prints as the delayed feed has them: the market's trade or quote
        of the same symbol 15 minutes before each (for the symbols it follows)."""
        src = self.sources["delayed"]
        delay = DELAYS["delayed"]
        entries: list[Entry] = []
        for item in batch:
            symbol = item.symbol
            is_trade = isinstance(item, Trade)
            wanted = trades if is_trade else quotes
            if not (every or symbol in wanted) or not src.has(symbol):
                continue
            t = item.t - delay
            if not src.is_open(symbol, t):
                continue
            if is_trade:
                entries.append(("trades", symbol, src.trade(symbol, t)))
            else:
                entries.append(("quotes", symbol, src.quote(symbol, t)))
        return entries

    # -- order books -----------------------------------------------------------------------
    def book_snapshots(self, symbols: Iterable[str]) -> list[Entry]:
        """The whole book of each pair, for a new subscriber."""
        ticker = self.sandbox.ticker
        crypto = self.sources["crypto"]
        entries: list[Entry] = []
        for symbol in symbols:
            if not crypto.has(symbol):
                continue
            message = self.books.snapshot(symbol, ticker.latest_quote(symbol))
            if message is not None:
                entries.append(("orderbooks", symbol, message))
        return entries

    def book_updates(self, quotes: Iterable[Quote], symbols: set[str]) -> list[Entry]:
        """The changes each quote makes to its pair's book (pairs in `symbols` only)."""
        self.books.retain(symbols.__contains__)
        entries: list[Entry] = []
        for quote in quotes:
            if quote.symbol in symbols:
                message = self.books.update(quote)
                if message is not None:
                    entries.append(("orderbooks", quote.symbol, message))
        return entries


__all__ = ["LULD_SOURCES", "Entry", "StreamData"]
