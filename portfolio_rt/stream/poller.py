"""Prices of the symbols the stream cannot carry (past the plan's symbol limit, 405), polled
every `snapshot_poll_s` through a seam (the gateway's REST snapshots in the service)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

import structlog

from ..core.tasks import BackgroundTask

log = structlog.get_logger("portfolio_rt.stream")

FetchPrices = Callable[[set[str]], Awaitable[dict[str, float]]]
"""symbols → their latest prices (symbols without one are left out)."""


class Feed(Protocol):
    def overflow(self) -> set[str]: ...

    def store(self, prices: Mapping[str, float]) -> None: ...


class PricePoller(BackgroundTask):
    """Every `poll_s`, fetch the prices of `feed.overflow()` symbols and store them."""

    name = "price-poller"

    def __init__(self, feed: Feed, fetch: FetchPrices, poll_s: float) -> None:
        super().__init__()
        self._feed = feed
        self._fetch = fetch
        self._poll_s = poll_s

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._poll_s)
            symbols = self._feed.overflow()
            if not symbols:
                continue
            try:
                prices = await self._fetch(symbols)
            except Exception as exc:
                log.warning("stream.snapshot_failed", error=type(exc).__name__)
                continue
            self._feed.store(prices)
            log.debug("stream.snapshots_polled", symbols=len(prices))
