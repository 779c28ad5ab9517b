"""Daily closes for analytics: one batched market-data call per missing set, kept for the day.

Closes are stored per symbol and day, so a portfolio that gains one holding fetches only
that symbol's year of bars, not everyone's again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from ..core.errors import BrokerBadResponse
from ..core.symbols import is_crypto
from .http import AlpacaHttp

Series = list[tuple[date, float]]

_MAX_PAGES = 200


class DailyCloses:
    """A year (or `days`) of daily closes per symbol, refreshed once the market date moves."""

    def __init__(self, http: AlpacaHttp, feed: str = "iex", max_symbols: int = 20_000) -> None:
        self._http = http
        self._feed = feed
        self._max_symbols = max_symbols
        self._series: dict[str, tuple[date, Series]] = {}

    async def closes(
        self, symbols: Iterable[str], today: date, days: int = 366
    ) -> dict[str, Series]:
        wanted = sorted({s.upper() for s in symbols})
        missing = [s for s in wanted if self._series.get(s, (None,))[0] != today]
        if missing:
            start = today - timedelta(days=days)
            stocks = [s for s in missing if not is_crypto(s)]
            crypto = [s for s in missing if is_crypto(s)]
            fetched: dict[str, Series] = {s: [] for s in missing}
            if stocks:
                fetched |= await self._fetch("/v2/stocks/bars", stocks, start, today)
            if crypto:
                fetched |= await self._fetch("/v1beta3/crypto/us/bars", crypto, start, today)
            if len(self._series) + len(fetched) > self._max_symbols:
                self._series.clear()
            for symbol, series in fetched.items():
                self._series[symbol] = (today, series)
        return {s: self._series[s][1] for s in wanted}

    async def _fetch(
        self, path: str, symbols: Sequence[str], start: date, end: date
    ) -> dict[str, Series]:
        out: dict[str, Series] = {}
        params: dict[str, str | int] = {
            "symbols": ",".join(symbols),
            "timeframe": "1Day",
            "start": start.isoformat(),
            "end": end.isoformat(),
            "limit": 10000,
        }
        if not path.startswith("/v1beta3"):
            params |= {"feed": self._feed, "adjustment": "all"}
        for _ in range(_MAX_PAGES):
            body = await self._http.get("data", path, params)
            for symbol, bars in _bars_of(body, path).items():
                out.setdefault(symbol.upper(), []).extend(_points(bars, path))
            token = body.get("next_page_token")
            if not token:
                return out
            params["page_token"] = str(token)
        return out


async def intraday_closes(
    http: AlpacaHttp, symbol: str, start: datetime, end: datetime, timeframe: str, feed: str
) -> list[tuple[int, float]]:
    """One stock's bar closes between `start` and `end` as (bar start in epoch seconds, close),
    oldest first: the benchmark line of an intraday chart."""
    path = "/v2/stocks/bars"
    params: dict[str, str | int] = {
        "symbols": symbol,
        "timeframe": timeframe,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "limit": 10000,
        "feed": feed,
        "adjustment": "all",
    }
    out: list[tuple[int, float]] = []
    for _ in range(_MAX_PAGES):
        body = await http.get("data", path, params)
        for bars in _bars_of(body, path).values():
            try:
                out.extend(
                    (
                        int(datetime.fromisoformat(str(b["t"]).replace("Z", "+00:00")).timestamp()),
                        float(b["c"]),
                    )
                    for b in bars
                )
            except (KeyError, TypeError, ValueError):
                raise BrokerBadResponse(
                    "Alpaca's market data came in an unexpected shape.",
                    details={"upstream": path},
                ) from None
        token = body.get("next_page_token")
        if not token:
            break
        params["page_token"] = str(token)
    return sorted(out)


def _bars_of(body: Any, path: str) -> dict[str, Any]:
    bars = body.get("bars") if isinstance(body, dict) else None
    if not isinstance(bars, dict):
        raise BrokerBadResponse(
            "Alpaca's market data came in an unexpected shape.", details={"upstream": path}
        )
    return bars


def _points(bars: Any, path: str) -> Series:
    try:
        return [
            (datetime.fromisoformat(str(b["t"]).replace("Z", "+00:00")).date(), float(b["c"]))
            for b in bars
        ]
    except (KeyError, TypeError, ValueError):
        raise BrokerBadResponse(
            "Alpaca's market data came in an unexpected shape.", details={"upstream": path}
        ) from None
