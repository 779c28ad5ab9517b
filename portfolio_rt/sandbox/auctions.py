"""Stock auctions: each session's opening and closing crosses, at the daily bar's open and close.

The listing exchange prints the cross (`O` opening, `6` closing, with its size) and then its
official price (`Q` official open, `M` official close) a moment later, stamped in nanoseconds as
Alpaca's auctions are. The open equals the day's first trade and the close its last minute's
close, so auctions, trades and bars agree. A session's opening auction shows once the session
has opened, its closing one once it has closed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from .bars import NY
from .ticks import listing_code
from .wire import rfc3339

if TYPE_CHECKING:
    from collections.abc import Callable

    from .calendar import MarketCalendar
    from .market import Market
    from .universe import Instrument

_AUCTION_DRAW: Final = 0xA0C7
_OPEN_SHARE: Final = (0.2, 0.5)
"""The share of the first minute's volume crossed at the open (fixed once the session opens)."""
_CLOSE_SHARE: Final = (0.03, 0.08)
"""The share of the day's volume crossed at the close."""


@dataclass(frozen=True, slots=True)
class AuctionPrint:
    """One auction price: condition, price, time (and its nanoseconds), exchange, size."""

    condition: str
    price: Decimal
    t: datetime
    nanos: int
    exchange: str
    size: int | None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "c": self.condition,
            "p": float(self.price),
            "t": rfc3339(self.t, self.nanos),
            "x": self.exchange,
        }
        if self.size is not None:
            body["s"] = self.size
        return body


@dataclass(frozen=True, slots=True)
class DailyAuctions:
    """One session's auctions; `t` (midnight New York of `d`) is what a page token keeps."""

    t: datetime
    d: date
    opens: tuple[AuctionPrint, ...]
    closes: tuple[AuctionPrint, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "d": self.d.isoformat(),
            "o": [p.to_json() for p in self.opens],
            "c": [p.to_json() for p in self.closes],
        }


class Auctions:
    """The auctions of any stock over any range, in either order."""

    def __init__(
        self, market: Market, calendar: MarketCalendar, now: Callable[[], datetime]
    ) -> None:
        self.market = market
        self.calendar = calendar
        self._now = now

    def _cross(
        self, inst: Instrument, rng: random.Random, at: datetime, kinds: tuple[str, str],
        price: Decimal, size: int,
    ) -> tuple[AuctionPrint, ...]:  # fmt: skip
        code = listing_code(inst)
        first = at + timedelta(microseconds=20_000 + rng.randrange(900_000))
        second = first + timedelta(microseconds=5 + rng.randrange(2_000))
        nanos = (1 + rng.randrange(999), 1 + rng.randrange(999))
        return (
            AuctionPrint(kinds[0], price, first, nanos[0], code, size),
            AuctionPrint(kinds[1], price, second, nanos[1], code, None),
        )

    def days(
        self,
        inst: Instrument,
        start: datetime,
        end: datetime,
        *,
        desc: bool,
        need: int,
        after: datetime | None = None,
    ) -> list[DailyAuctions]:
        """Up to `need` sessions with an auction print in [start, end] (only those prints),
        after the session labelled `after` (a page token's) when given."""
        now = self._now()
        end = min(end, now)
        if start > end or inst.asset_class == "crypto":
            return []
        first = max(start.astimezone(NY).date(), self.market.history_start)
        last = end.astimezone(NY).date()
        out: list[DailyAuctions] = []
        for bar in self.market.daily_bars(inst.symbol, first, last):
            label = bar.t
            if after is not None and (label >= after if desc else label <= after):
                continue
            day = label.astimezone(NY).date()
            session = self.calendar.session(day)
            if session is None:
                continue
            opened, closed = session
            rng = random.Random(self.market.mix(inst.symbol, _AUCTION_DRAW, day.toordinal()))
            first_minute = self.market.minute_bars(inst.symbol, opened, opened, whole=True)
            crossed = int(first_minute[0].v) if first_minute else 0
            opens = self._cross(
                inst, rng, opened, ("O", "Q"), bar.o, int(crossed * rng.uniform(*_OPEN_SHARE))
            )
            closes = self._cross(
                inst, rng, closed, ("6", "M"), bar.c, int(int(bar.v) * rng.uniform(*_CLOSE_SHARE))
            )
            kept_opens = tuple(p for p in opens if start <= p.t <= end)
            kept_closes = tuple(p for p in closes if start <= p.t <= end)
            if kept_opens or kept_closes:
                out.append(DailyAuctions(label, day, kept_opens, kept_closes))
        if desc:
            out.reverse()
        return out[:need]
