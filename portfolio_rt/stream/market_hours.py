"""Whether a market is open: equities follow Alpaca's clock, crypto trades around the clock.

The reader uses it to tell a silent connection from a quiet market.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from ..core.tasks import BackgroundTask

log = structlog.get_logger("portfolio_rt.stream")

ClockSource = Callable[[], Awaitable[bool]]
"""Answers whether the equity market is open now (Alpaca's `/v1/clock`)."""


class MarketHours(BackgroundTask):
    """Polls the equity clock every `poll_s`; with no source the market counts as open."""

    name = "market-hours"

    def __init__(self, source: ClockSource | None, poll_s: float) -> None:
        super().__init__()
        self._source = source
        self._poll_s = poll_s
        self.equities_open = True
        self.checked = source is None

    def is_open(self, family: str) -> bool:
        return family == "crypto" or self.equities_open

    async def refresh(self) -> None:
        if self._source is None:
            return
        was = self.equities_open
        self.equities_open = await self._source()
        self.checked = True
        if was != self.equities_open:
            log.info("stream.market_hours", equities_open=self.equities_open)

    async def _run(self) -> None:
        while True:
            try:
                await self.refresh()
            except Exception as exc:  # a failed clock check keeps the last answer
                log.warning("stream.clock_failed", error=type(exc).__name__)
            await asyncio.sleep(self._poll_s)
