"""The symbol collector: every account's positions from the bulk all-accounts call (paged),
every `collector_interval_s`, into the holdings index. Subscriptions follow the index."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from uuid import UUID

import structlog

from ..broker.gateway import BrokerGateway, decimal_of
from ..core.backoff import Backoff
from ..core.tasks import BackgroundTask
from .holdings import HoldingsIndex, Positions

log = structlog.get_logger("portfolio_rt.live")

_MAX_PAGES = 100_000


class SymbolCollector(BackgroundTask):
    """Collects at start, then every `interval()` seconds (read again after each collection:
    rarely while broker events flow); `on_collected(changed accounts)` after each."""

    name = "symbol-collector"

    def __init__(
        self,
        gateway: Callable[[], BrokerGateway],
        index: HoldingsIndex,
        interval: float | Callable[[], float],
        on_collected: Callable[[set[str]], None],
        keep: Callable[[], Iterable[str]] = tuple,
    ) -> None:
        super().__init__()
        self._gateway = gateway
        self.index = index
        self.interval: Callable[[], float] = (
            interval if callable(interval) else (lambda: float(interval))
        )
        self._on_collected = on_collected
        self._keep = keep
        self.collections = 0
        self.last_ok_at: float | None = None
        self.last_error: str | None = None

    async def collect_once(self) -> set[str]:
        gateway = self._gateway()
        accounts: dict[str, Positions] = {}
        prices: dict[str, float] = {}
        for page in range(1, _MAX_PAGES + 1):
            answer = await gateway.all_positions_page(page)
            if not answer.positions:
                break
            for raw_id, positions in answer.positions.items():
                held: Positions = {}
                for p in positions:
                    qty = decimal_of(p.qty)
                    if qty:
                        held[p.symbol] = float(qty)
                    price = decimal_of(p.current_price)
                    if price:
                        prices[p.symbol] = float(price)
                if held:
                    accounts[str(UUID(str(raw_id)))] = held
        self.index.note_prices(prices.items())
        changed = await self.index.replace_all(accounts, keep=self._keep)
        self.collections += 1
        self.last_ok_at = time.monotonic()
        self.last_error = None
        log.info(
            "realtime.collected",
            accounts=len(accounts),
            symbols=len(self.index.holders),
            changed=len(changed),
        )
        self._on_collected(changed)
        return changed

    async def _run(self) -> None:
        # After a failure (Alpaca not up yet, a blip) try again soon, backing off with jitter
        # so that instances which failed together do not all call again together.
        backoff = Backoff(1.0, self.interval())
        while True:
            backoff.max_s = self.interval()
            try:
                await self.collect_once()
                backoff.reset()
                delay = self.interval()
            except Exception as exc:
                self.last_error = type(exc).__name__
                delay = backoff.next()
                log.warning(
                    "realtime.collect_failed", error=self.last_error, attempt=backoff.attempt
                )
            await asyncio.sleep(delay)
