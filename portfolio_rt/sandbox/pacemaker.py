"""The ledger's time-driven work done when it falls due, not only when someone reads.

Orders route and fill, transfers clear, dividends pay and resting orders meet their price on
the ledger's schedule; each of those is an event, and an event stream must carry it the
moment it happens even when no request comes in. The pacemaker wakes for the next due item
(and every `resting_s` while limit or stop orders wait for the price) and advances the ledger.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from ..core.tasks import BackgroundTask
from .ledger import Ledger


class LedgerPacemaker(BackgroundTask):
    name = "ledger-pacemaker"

    def __init__(
        self,
        ledger: Ledger,
        now: Callable[[], datetime],
        idle_s: float = 0.25,
        resting_s: float = 0.05,
    ) -> None:
        super().__init__()
        self._ledger = ledger
        self._now = now
        self.idle_s = idle_s
        self.resting_s = resting_s

    async def _run(self) -> None:
        while True:
            self._ledger.advance()
            wait = self.resting_s if self._ledger.has_resting_orders else self.idle_s
            due = self._ledger.next_due()
            if due is not None:
                wait = min(wait, (due - self._now()).total_seconds())
            await asyncio.sleep(max(wait, 0.002))
