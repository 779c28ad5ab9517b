"""Minute bars as the stream sends them, and the updated bars that correct them.

Alpaca sends a minute's bar right after the minute; trades printed in its last seconds can be
reported late (exchanges have 10 seconds), and after the next half-minute mark it sends the
minute again on `updatedBars` (`"T":"u"`, the same `t`) when they changed it. The sandbox plays
this out deterministically: for a share of (symbol, minute) pairs the last 1 to 10 seconds of
the minute are reported late, so the first bar stops at that cut (its close is the price there,
its high and low the path's up to there, its volume and trade count pro rata) and the updated
bar is the whole minute, the bar the REST routes serve. Other minutes are sent once, whole.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Final

from .market import Bar
from .stream_sources import PriceSource

MAX_LATE_S: Final = 10
_SAMPLE_S: Final = 5
_CENT: Final = Decimal("0.01")
_COIN_UNIT: Final = Decimal("0.00000001")


def late_seconds(symbol: str, minute: datetime, share: float) -> int:
    """Seconds at the end of `minute` whose trades are reported late; 0 for most minutes
    (`share` of them have some)."""
    if share <= 0:
        return 0
    digest = hashlib.blake2b(f"{symbol}:{int(minute.timestamp())}".encode(), digest_size=8)
    mix = int.from_bytes(digest.digest(), "big")
    if (mix % 1_000_000) / 1_000_000 >= share:
        return 0
    return 1 + (mix >> 32) % MAX_LATE_S


def cut_bar(source: PriceSource, symbol: str, whole: Bar, late_s: int) -> Bar:
    """`whole` without the trades of its last `late_s` seconds."""
    cut = whole.t + timedelta(seconds=60 - late_s)
    times = [whole.t + timedelta(seconds=s) for s in range(0, 60 - late_s, _SAMPLE_S)]
    prices = source.prices(symbol, [*times, cut])
    prices[0] = whole.o
    high = max(max(prices), whole.o)
    low = min(min(prices), whole.o)
    share = Decimal(60 - late_s) / 60
    volume: int | Decimal
    if isinstance(whole.v, int):
        volume = int(whole.v * share)
    else:
        volume = (whole.v * share).quantize(_COIN_UNIT, ROUND_DOWN)
    mean = sum(prices, Decimal(0)) / len(prices)
    return Bar(
        t=whole.t,
        o=whole.o,
        h=min(high, whole.h),
        l=max(low, whole.l),
        c=prices[-1],
        v=volume,
        n=max(1, int(whole.n * share)) if whole.n else 0,
        vw=mean.quantize(_CENT, ROUND_HALF_UP),
    )


def first_bar(source: PriceSource, symbol: str, minute: datetime, share: float) -> Bar | None:
    """The bar sent right after `minute` (cut when some of its trades come late)."""
    whole = source.minute_bar(symbol, minute)
    if whole is None:
        return None
    late_s = late_seconds(symbol, minute, share)
    return cut_bar(source, symbol, whole, late_s) if late_s else whole


def updated_bar(source: PriceSource, symbol: str, minute: datetime, share: float) -> Bar | None:
    """The whole bar of `minute`, sent on `updatedBars` when late trades changed it."""
    late_s = late_seconds(symbol, minute, share)
    if not late_s:
        return None
    whole = source.minute_bar(symbol, minute)
    if whole is None or whole == cut_bar(source, symbol, whole, late_s):
        return None
    return whole


__all__ = ["MAX_LATE_S", "cut_bar", "first_bar", "late_seconds", "updated_bar"]
