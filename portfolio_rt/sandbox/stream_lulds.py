"""Limit up-limit down price bands (`"T":"l"`), as the LULD plan sets them.

The reference price is the mean price over the preceding five minutes (from the session's open
in its first five minutes). Bands lie a percentage around it: tier 1 (S&P 500, Russell 1000 and
the ETPs) 5% and tier 2 10% above $3.00; 20% from $0.75 to $3.00; below $0.75 the lesser of
$0.15 and 75%. The percentages double in the session's first 15 minutes, and in its last 25 for
tier 1 and for tier 2 at $3.00 or less. A new band is sent when the reference price has moved 1%
or more from the one in effect, the plan's rule. Indicator `A` marks the session's opening band,
`B` an intraday update (the UTP and CTA plans' price band indicators).

`LuldBands` keeps the band in effect of each symbol it is asked about, for one source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from .stream_codec import Wire
from .stream_sources import PriceSource

WINDOW: Final = timedelta(minutes=5)
_SAMPLES: Final = 10
_MOVE: Final = Decimal("0.01")
_OPENING: Final = timedelta(minutes=15)
_CLOSING: Final = timedelta(minutes=25)
_CENT: Final = Decimal("0.01")
_THREE: Final = Decimal("3.00")
_CENTS_75: Final = Decimal("0.75")


@dataclass(frozen=True)
class Band:
    """A band in effect since `t`: trades must stay within [down, up]."""

    symbol: str
    reference: Decimal
    up: Decimal
    down: Decimal
    indicator: str
    t: datetime
    tape: str


def band_width(reference: Decimal, tier: int, doubled: bool) -> Decimal:
    """Dollars between the reference price and each band."""
    if reference > _THREE:
        width = reference * Decimal("0.05" if tier == 1 else "0.10")
    elif reference >= _CENTS_75:
        width = reference * Decimal("0.20")
    else:
        width = min(Decimal("0.15"), reference * Decimal("0.75"))
    return width * 2 if doubled else width


def doubled(
    session: tuple[datetime, datetime] | None, t: datetime, tier: int, ref: Decimal
) -> bool:
    """Whether the percentages double at `t`: the session's first 15 minutes, or its last 25
    for tier 1 and for prices of $3.00 or less."""
    if session is None:
        return False
    opens, closes = session
    if t < opens + _OPENING:
        return True
    return t >= closes - _CLOSING and (tier == 1 or ref <= _THREE)


def price_band(reference: Decimal, width: Decimal) -> tuple[Decimal, Decimal]:
    """(down, up) rounded to the cent; the lower band never goes under a cent."""
    down = max(_CENT, (reference - width).quantize(_CENT, ROUND_HALF_UP))
    up = (reference + width).quantize(_CENT, ROUND_HALF_UP)
    return down, up


def luld_wire(band: Band) -> Wire:
    """`{"T":"l","S","u","d","i","t","z"}`."""
    return {
        "T": "l",
        "S": band.symbol,
        "u": float(band.up),
        "d": float(band.down),
        "i": band.indicator,
        "t": band.t,
        "z": band.tape,
    }


class LuldBands:
    """The band in effect of each symbol asked about, for one source."""

    def __init__(self, source: PriceSource) -> None:
        self._source = source
        self._bands: dict[str, Band] = {}

    def reference(self, symbol: str, t: datetime) -> Decimal:
        """The mean price over the five minutes before `t` (or since the session's open)."""
        session = self._source.session(t)
        start = t - WINDOW
        if session is not None and start < session[0]:
            start = session[0]
        span = t - start
        if span <= timedelta(0):
            times = [t]
        else:
            times = [start + span * (k + 1) / _SAMPLES for k in range(_SAMPLES)]
        prices = self._source.prices(symbol, times)
        return (sum(prices, Decimal(0)) / len(prices)).quantize(Decimal("0.0001"), ROUND_HALF_UP)

    def _band(self, symbol: str, t: datetime, reference: Decimal, indicator: str) -> Band:
        source = self._source
        tier = source.tier(symbol)
        width = band_width(reference, tier, doubled(source.session(t), t, tier, reference))
        down, up = price_band(reference, width)
        return Band(symbol, reference, up, down, indicator, t, source.tape(symbol))

    def current(self, symbol: str, t: datetime) -> Band:
        """The band in effect at `t` (set now if the symbol has none yet)."""
        band = self._bands.get(symbol)
        if band is None:
            band = self._band(symbol, t, self.reference(symbol, t), "B")
            self._bands[symbol] = band
        return band

    def advance(self, symbol: str, t: datetime) -> Band | None:
        """A new band when the reference price moved 1% or more (or the doubling started or
        ended), else None."""
        band = self._bands.get(symbol)
        if band is None:
            return self.current(symbol, t)
        reference = self.reference(symbol, t)
        moved = abs(reference - band.reference) >= band.reference * _MOVE
        candidate = self._band(symbol, t, reference if moved else band.reference, "B")
        if not moved and (candidate.up, candidate.down) == (band.up, band.down):
            return None
        self._bands[symbol] = candidate
        return candidate

    def open_session(self, symbol: str, t: datetime) -> Band:
        """The session's opening band (indicator A), its reference the opening price."""
        price = self._source.prices(symbol, [t])[0]
        band = self._band(symbol, t, price, "A")
        self._bands[symbol] = band
        return band

    def retain(self, keep: Callable[[str], bool]) -> None:
        """Forget the bands of symbols nobody follows any more."""
        for symbol in [s for s in self._bands if not keep(s)]:
            del self._bands[symbol]


__all__ = ["Band", "LuldBands", "band_width", "doubled", "luld_wire", "price_band"]
