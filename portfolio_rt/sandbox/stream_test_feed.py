"""The test stream's only symbol, `FAKEPACA`: it trades at every hour, as Alpaca's test stream
(`/v2/test`) does, so a client can be tried out when markets are closed.

Its price is a smooth deterministic path (a few sine waves around $135), so a trade, a quote or
a bar of any instant is the same whenever it is asked for. It prints on tape A, like the real
test stream's messages, and is a tier 1 symbol for LULD bands.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from .calendar import NY
from .market import Bar, Quote, Trade

SYMBOL: Final = "FAKEPACA"
_BASE: Final = 135.0
_WAVES: Final = ((0.02, 86_400.0 / 3), (0.004, 1_800.0), (0.0015, 173.0), (0.0006, 37.0))
"""(relative amplitude, period in seconds) of the path's components."""
_CENT: Final = Decimal("0.01")
_MINUTE: Final = timedelta(minutes=1)
_BAR_SAMPLES_S: Final = range(0, 61, 5)
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US: Final = timedelta(microseconds=1)


def _hash(*parts: object) -> int:
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def price_at(t: datetime) -> Decimal:
    """FAKEPACA's price at `t`, in cents."""
    s = t.timestamp()
    value = _BASE * (1.0 + sum(a * math.sin(2.0 * math.pi * s / p) for a, p in _WAVES))
    return Decimal(f"{value:.2f}")


def _minute_volume(minute: datetime) -> int:
    return 50 + _hash(SYMBOL, "volume", int(minute.timestamp())) % 1951


class FakePaca:
    """The test stream's `PriceSource`: one symbol that never closes."""

    symbols: Sequence[str] = (SYMBOL,)

    def has(self, symbol: str) -> bool:
        """Only FAKEPACA."""
        return symbol == SYMBOL

    def tape(self, symbol: str) -> str:
        """Tape A."""
        return "A"

    def tier(self, symbol: str) -> int:
        """Tier 1."""
        return 1

    def is_open(self, symbol: str, t: datetime) -> bool:
        """Always."""
        return symbol == SYMBOL

    def session(self, t: datetime) -> tuple[datetime, datetime] | None:
        """No regular session: its hours are all the same."""
        return None

    def prices(self, symbol: str, times: Sequence[datetime]) -> list[Decimal]:
        """`price_at` of each instant."""
        return [price_at(t) for t in times]

    def minute_bar(self, symbol: str, minute: datetime) -> Bar:
        """The minute's bar read off the path every 5 seconds, with a seeded volume."""
        prices = self.prices(symbol, [minute + timedelta(seconds=s) for s in _BAR_SAMPLES_S])
        volume = _minute_volume(minute)
        return Bar.of_path(
            minute,
            prices,
            v=volume,
            n=max(1, volume // 50),
            vw=(sum(prices, Decimal(0)) / len(prices)).quantize(_CENT, ROUND_HALF_UP),
        )

    def daily_bar(self, symbol: str, t: datetime) -> Bar:
        """The New York day's bar up to `t` (its minutes' prices and volumes)."""
        start = datetime.combine(t.astimezone(NY).date(), time(0), NY).astimezone(UTC)
        count = int((t - start) // _MINUTE)
        minutes = [start + k * _MINUTE for k in range(count)]
        prices = self.prices(symbol, [*minutes, t])
        volumes = [_minute_volume(m) for m in minutes]
        volume = sum(volumes)
        weighted = sum((p * v for p, v in zip(prices, volumes, strict=False)), Decimal(0))
        return Bar.of_path(
            start,
            prices,
            v=volume,
            n=max(1, volume // 50),
            vw=(weighted / volume).quantize(_CENT, ROUND_HALF_UP) if volume else prices[-1],
        )

    def trade(self, symbol: str, t: datetime) -> Trade:
        """A print at `price_at(t)`; its id, size and nanoseconds derive from `t`."""
        mix = _hash(SYMBOL, "trade", (t - _EPOCH) // _ONE_US)
        size = Decimal(1 + mix % 9 if mix % 3 else 100 * (1 + mix % 3))
        nanos = 1 + (mix >> 20) % 999
        trade_id = (t - _EPOCH) // _ONE_US
        return Trade(SYMBOL, t, price_at(t), size, trade_id, "N", "A", (" ",), nanos)

    def quote(self, symbol: str, t: datetime) -> Quote:
        """A bid and ask a few cents around `price_at(t)`."""
        mix = _hash(SYMBOL, "quote", (t - _EPOCH) // _ONE_US)
        price = price_at(t)
        half = _CENT * (1 + mix % 4)
        bid_size = Decimal(100 * (1 + (mix >> 8) % 6))
        ask_size = Decimal(100 * (1 + (mix >> 16) % 6))
        nanos = 1 + (mix >> 24) % 999
        return Quote(
            SYMBOL, t, price - half, bid_size, price + half, ask_size, "O", "R", "A", ("R",), nanos
        )


__all__ = ["SYMBOL", "FakePaca", "price_at"]
