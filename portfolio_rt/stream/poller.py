"""Prices of the symbols the stream cannot carry (past the plan's symbol limit, 405), polled
from the market-data REST snapshots every `snapshot_poll_s`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Protocol

import structlog

from ..core.tasks import BackgroundTask

log = structlog.get_logger("portfolio_rt.stream")

Get = Callable[[str, Mapping[str, str]], Awaitable[Any]]
"""GET on the market-data API: (path, params) → decoded JSON."""
_CHUNK = 100


class Feed(Protocol):
    def overflow(self) -> set[str]: ...

    def store(self, prices: Mapping[str, float]) -> None: ...


def snapshot_prices(data: Any) -> dict[str, float]:
    """symbol → latest trade price (else the quote midpoint) from a snapshots answer."""
    if isinstance(data, Mapping) and isinstance(data.get("snapshots"), Mapping):
        data = data["snapshots"]
    out: dict[str, float] = {}
    if not isinstance(data, Mapping):
        return out
    for symbol, snap in data.items():
        if not isinstance(snap, Mapping):
            continue
        trade = snap.get("latestTrade") or {}
        quote = snap.get("latestQuote") or {}
        price = trade.get("p") if isinstance(trade, Mapping) else None
        if not price and isinstance(quote, Mapping) and quote.get("bp") and quote.get("ap"):
            price = (float(quote["bp"]) + float(quote["ap"])) / 2
        if price:
            out[str(symbol)] = float(price)
    return out


class SnapshotPoller(BackgroundTask):
    """Every `poll_s`, fetch snapshots of `feed.overflow()` symbols and store their prices."""

    name = "snapshot-poller"

    def __init__(self, feed: Feed, get: Get, poll_s: float, data_feed: str) -> None:
        super().__init__()
        self._feed = feed
        self._get = get
        self._poll_s = poll_s
        self._data_feed = data_feed

    async def poll(self, symbols: Iterable[str]) -> dict[str, float]:
        stocks = sorted(s for s in symbols if "/" not in s)
        crypto = sorted(s for s in symbols if "/" in s)
        prices: dict[str, float] = {}
        for chunk in _chunks(stocks):
            params = {"symbols": ",".join(chunk), "feed": self._data_feed}
            prices.update(snapshot_prices(await self._get("/v2/stocks/snapshots", params)))
        for chunk in _chunks(crypto):
            params = {"symbols": ",".join(chunk)}
            data = await self._get("/v1beta3/crypto/us/snapshots", params)
            prices.update(snapshot_prices(data))
        return prices

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._poll_s)
            symbols = self._feed.overflow()
            if not symbols:
                continue
            try:
                prices = await self.poll(symbols)
            except Exception as exc:
                log.warning("stream.snapshot_failed", error=type(exc).__name__)
                continue
            self._feed.store(prices)
            log.debug("stream.snapshots_polled", symbols=len(prices))


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]
