"""Daily closes of the held symbols on one calendar, ready for the covariance estimate.

Build it once per day from the batched bars call (`from_dated`) and keep it with the bars;
`analyse` then only slices it. Crypto trades every day and stocks on exchange days: when a
portfolio mixes them, the calendar is the stock calendar and a coin is sampled at each
stock close, so its weekend moves land in Monday's return and one annualisation fits all.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from portfolio_rt.analytics.classification import crypto_base

Matrix = npt.NDArray[np.float64]

STOCK_PERIODS_PER_YEAR = 252.0
CRYPTO_PERIODS_PER_YEAR = 365.0


@lru_cache(maxsize=8192)
def history_key(symbol: str) -> str:
    """The lookup key for a symbol: `BTC/USD`, `BTCUSD` and `btc-usd` are one series."""
    return symbol.strip().upper().replace("/", "").replace("-", "").replace(".", "")


@dataclass(frozen=True)
class PriceHistory:
    """Closes (rows: days, oldest first; columns: symbols; NaN where there is no close)."""

    symbols: tuple[str, ...]
    closes: Matrix
    periods_per_year: float = STOCK_PERIODS_PER_YEAR
    dates: tuple[date, ...] = ()
    _columns: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_columns", {history_key(s): i for i, s in enumerate(self.symbols)}
        )

    def column(self, symbol: str) -> int | None:
        """The column of `symbol`, or None when it has no history."""
        found = self._columns.get(symbol)
        return found if found is not None else self._columns.get(history_key(symbol))

    @classmethod
    def empty(cls) -> PriceHistory:
        return cls((), np.empty((0, 0)))

    @classmethod
    def from_aligned(
        cls, closes: Mapping[str, Sequence[float]], periods_per_year: float | None = None
    ) -> PriceHistory:
        """Series already on one calendar and ending on the same day (shorter ones start later).

        Without `periods_per_year`, 365 is used when every series is a crypto pair, else 252.
        """
        symbols = tuple(closes)
        length = max((len(v) for v in closes.values()), default=0)
        matrix = np.full((length, len(symbols)), np.nan)
        for j, symbol in enumerate(symbols):
            series = np.asarray(closes[symbol], dtype=np.float64)
            if series.size:
                matrix[length - series.size :, j] = series
        if periods_per_year is None:
            all_crypto = bool(symbols) and all(crypto_base(s) is not None for s in symbols)
            periods_per_year = CRYPTO_PERIODS_PER_YEAR if all_crypto else STOCK_PERIODS_PER_YEAR
        return cls(symbols, matrix, periods_per_year)

    @classmethod
    def from_dated(
        cls,
        closes: Mapping[str, Iterable[tuple[date, float]]],
        is_crypto: Callable[[str], bool] | None = None,
    ) -> PriceHistory:
        """Series of (day, close) pairs, aligned on the stock calendar when any stock is present.

        Each series is carried forward from its own first day (a close stays the last known
        price until the next one); before it, the column is NaN.
        """
        crypto = is_crypto or (lambda s: crypto_base(s) is not None)
        series = {s: sorted(points) for s, points in closes.items()}
        stock_days = {d for s, pts in series.items() if not crypto(s) for d, _ in pts}
        days = sorted(stock_days or {d for pts in series.values() for d, _ in pts})
        symbols = tuple(series)
        matrix = np.full((len(days), len(symbols)), np.nan)
        for j, symbol in enumerate(symbols):
            pts = series[symbol]
            if not pts:
                continue
            # Sample the series at every calendar day on or after its first close.
            k = 0
            last = math.nan
            first = pts[0][0]
            for i, day in enumerate(days):
                while k < len(pts) and pts[k][0] <= day:
                    last = pts[k][1]
                    k += 1
                if day >= first:
                    matrix[i, j] = last
        ppy = STOCK_PERIODS_PER_YEAR
        if len(days) >= 20:
            span_years = (days[-1] - days[0]).days / 365.25
            if span_years > 0:
                ppy = min(max((len(days) - 1) / span_years, 200.0), 370.0)
        return cls(symbols, matrix, ppy, tuple(days))
