"""Historical trades and quotes, minute by minute, read off the market's price path.

A minute's tape agrees with its one-minute bar. A stock minute has as many trades as the bar's
`n`, their sizes adding up to the bar's volume; the first trade is at the minute's start at the
open, the last (of two or more) just before its end at the close, and with seven or more one
falls on each 10-second point of the path, so the bar's high and low are printed too. Every
other price is `market.price_at` its instant, so all lie within the bar's low..high. A crypto
minute has 8 to 24 trades on the same plan (its bar's `n` is a rough count from the coins
traded, not the prints). Each trade follows the quote in force 1 us before it, bid below and
ask above its price.

Everything is drawn from (seed, symbol, minute): the same request gives the same answer, and a
minute's prints never change as the clock moves (the minute in progress shows those up to now).
Times within a symbol's tape are distinct to the microsecond, so a page token can resume after
any of them. Stock trades carry nanoseconds, crypto trades microseconds, quotes nanoseconds.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import TYPE_CHECKING, Final, TypeVar

from .market import CRYPTO_VOLUME_PLACES, Bar, Quote, Trade

if TYPE_CHECKING:
    from .market import Market
    from .universe import Instrument

KNOT_US: Final = 10_000_000
"""The price path's resolution (`market.STEP_S`) in microseconds: trades on it print its points."""
LAST_US: Final = 60_000_000 - 1
"""The last trade of a minute: 1 us before the next minute's first."""
_SLOTS: Final = KNOT_US - 2
"""Free microseconds strictly between two knots (the last segment also stops before LAST_US)."""
_ONE_US: Final = timedelta(microseconds=1)
_MINUTE: Final = timedelta(minutes=1)
_CHUNK: Final = timedelta(hours=6)
"""Minute bars are read this much at a time while a page fills."""
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_TICKS: Final = 0x71C5
"""Tells the tape's draws from other per-minute draws of `Market.mix`."""

# Where SIP prints happen (rough shares of US volume); the listing exchange is added per symbol.
_TRADE_VENUES: Final = (("D", 38), ("P", 7), ("K", 7), ("Z", 6), ("U", 4), ("V", 3),
                        ("J", 2), ("Y", 2), ("X", 1), ("B", 1), ("A", 1))  # fmt: skip
_QUOTE_VENUES: Final = (("P", 8), ("K", 7), ("Z", 7), ("U", 5), ("V", 4), ("J", 2),
                        ("Y", 2), ("X", 1), ("B", 1))  # fmt: skip
_LISTING: Final = {"NASDAQ": "Q", "NYSE": "N", "ARCA": "P"}
_CRYPTO_TRADES: Final = (8, 24)

_Tick = TypeVar("_Tick", Trade, Quote)


def listing_code(inst: Instrument) -> str:
    """The one-letter code of a stock's listing exchange (`/v2/stocks/meta/exchanges`)."""
    return _LISTING.get(inst.exchange, "N")


@dataclass(frozen=True, slots=True)
class _Venues:
    codes: tuple[str, ...]
    cum: tuple[int, ...]

    @classmethod
    def of(cls, table: Sequence[tuple[str, int]], listing: str, share: int) -> _Venues:
        weights = dict(table)
        weights[listing] = weights.get(listing, 0) + share
        codes = tuple(weights)
        return cls(codes, tuple(accumulate(weights[c] for c in codes)))

    def pick(self, draw: float) -> str:
        """The venue for a uniform draw in [0, 1)."""
        return self.codes[bisect_right(self.cum, draw * self.cum[-1])]


@dataclass(frozen=True, slots=True)
class _Print:
    """One trade of a minute's tape before it is dressed as a Trade or a Quote."""

    t: datetime
    price: Decimal
    units: int
    nanos: int
    venue: str
    bid_venue: str
    ask_venue: str


def _offsets(rng: random.Random, count: int) -> list[int]:
    """`count` distinct microsecond offsets in the minute: 0, the knots, the last, then random."""
    if count <= 0:
        return []
    if count == 1:
        return [0]
    knots = [k * KNOT_US for k in range(1, 6)]
    if count - 2 < len(knots):
        chosen = sorted(rng.sample(knots, count - 2))
        return [0, *chosen, LAST_US]
    drawn = rng.sample(range(6 * _SLOTS), count - 7)
    free = [(r // _SLOTS) * KNOT_US + 1 + r % _SLOTS for r in drawn]
    return sorted([0, *knots, LAST_US, *free])


def _split(rng: random.Random, units: int, count: int) -> list[int]:
    """`units` cut into `count` positive parts, many small and a few large (as prints are)."""
    weights = [rng.random() ** 3 + 0.01 for _ in range(count)]
    spare = units - count
    total = sum(weights)
    parts = [1 + int(spare * w / total) for w in weights]
    parts[rng.randrange(count)] += units - sum(parts)
    return parts


class Tape:
    """A symbol's trades and quotes over any range, in either order, a page at a time."""

    def __init__(self, market: Market, now: Callable[[], datetime]) -> None:
        self.market = market
        self._now = now

    # -- one minute ------------------------------------------------------------------------

    def _prints(self, inst: Instrument, bar: Bar) -> list[_Print]:
        crypto = inst.asset_class == "crypto"
        market = self.market
        minute_us = (bar.t - _EPOCH) // _ONE_US
        rng = random.Random(market.mix(inst.symbol, _TICKS, minute_us))
        if crypto:
            units = int(Decimal(bar.v).scaleb(CRYPTO_VOLUME_PLACES))
            count = min(units, rng.randint(*_CRYPTO_TRADES))
        else:
            units = int(bar.v)
            count = min(units, bar.n)
        offsets = _offsets(rng, count)
        if not offsets:
            return []
        times = [bar.t + timedelta(microseconds=o) for o in offsets]
        prices = market.prices_at(inst.symbol, times)
        if offsets[-1] == LAST_US:
            prices[-1] = bar.c
        sizes = _split(rng, units, len(offsets))
        listing = listing_code(inst)
        trades = _Venues.of(_TRADE_VENUES, listing, 16)
        quotes = _Venues.of(_QUOTE_VENUES, listing, 12)
        draw = rng.random
        out: list[_Print] = []
        for t, price, size in zip(times, prices, sizes, strict=True):
            nanos = 0 if crypto else 1 + int(draw() * 999)
            venue, bid, ask = trades.pick(draw()), quotes.pick(draw()), quotes.pick(draw())
            out.append(_Print(t, price, size, nanos, venue, bid, ask))
        return out

    def _trades(self, inst: Instrument, bar: Bar, iex: bool) -> list[Trade]:
        crypto = inst.asset_class == "crypto"
        tape = self.market.tape(inst.symbol)
        out: list[Trade] = []
        for p in self._prints(inst, bar):
            trade_id = (p.t - _EPOCH) // _ONE_US
            if crypto:
                size = Decimal(p.units).scaleb(-CRYPTO_VOLUME_PLACES).normalize()
                out.append(Trade(inst.symbol, p.t, p.price, size, trade_id, "CBSE", "", ()))
                continue
            conditions = ("@",) if p.units >= 100 else ("@", "I")  # I: odd lot
            venue = "V" if iex else p.venue
            out.append(
                Trade(inst.symbol, p.t, p.price, Decimal(p.units), trade_id, venue, tape,
                      conditions, p.nanos)
            )  # fmt: skip
        return out

    def _quotes(self, inst: Instrument, bar: Bar, iex: bool) -> list[Quote]:
        crypto = inst.asset_class == "crypto"
        around = self.market.quote_around
        out: list[Quote] = []
        symbol = inst.symbol
        for p in self._prints(inst, bar):
            venues = ("V", "V") if crypto or iex else (p.bid_venue, p.ask_venue)
            out.append(around(symbol, p.t - _ONE_US, p.price, venues))
        return out

    # -- a range ---------------------------------------------------------------------------

    def trades(
        self,
        inst: Instrument,
        start: datetime,
        end: datetime,
        *,
        desc: bool,
        need: int,
        iex: bool = False,
    ) -> list[Trade]:
        """Up to `need` trades with `t` in [start, end] (and not after now), in time order or
        reversed."""
        return self._walk(inst, start, end, desc, need, lambda bar: self._trades(inst, bar, iex))

    def quotes(
        self,
        inst: Instrument,
        start: datetime,
        end: datetime,
        *,
        desc: bool,
        need: int,
        iex: bool = False,
    ) -> list[Quote]:
        """Up to `need` quotes with `t` in [start, end] (and not after now), in time order or
        reversed."""
        return self._walk(inst, start, end, desc, need, lambda bar: self._quotes(inst, bar, iex))

    def _walk(
        self,
        inst: Instrument,
        start: datetime,
        end: datetime,
        desc: bool,
        need: int,
        make: Callable[[Bar], list[_Tick]],
    ) -> list[_Tick]:
        end = min(end, self._now())
        history = datetime.combine(self.market.history_start, time(0), UTC)
        start = max(start, history)
        if start > end or need <= 0:
            return []
        out: list[_Tick] = []
        # A minute's quotes start 1 us before it: the minute after `end` may hold one.
        for bar in self._minutes(inst, start - _MINUTE, end + _ONE_US, desc):
            items = [x for x in make(bar) if start <= x.t <= end]
            if desc:
                items.reverse()
            out.extend(items)
            if len(out) >= need:
                return out[:need]
        return out

    def _minutes(self, inst: Instrument, lo: datetime, hi: datetime, desc: bool) -> Iterator[Bar]:
        """Whole minute bars starting in [lo, hi], a chunk at a time from the page's end."""
        minute_bars = self.market.minute_bars
        chunks = int((hi - lo) / _CHUNK) + 1
        for k in range(chunks - 1, -1, -1) if desc else range(chunks):
            a = lo + k * _CHUNK
            b = min(a + _CHUNK - _ONE_US, hi)
            bars = [bar for bar in minute_bars(inst.symbol, a, b, whole=True) if bar.t >= a]
            yield from reversed(bars) if desc else bars
