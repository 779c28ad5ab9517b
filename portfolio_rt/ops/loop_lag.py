"""Event-loop lag: how late a short timer fires.

Everything in one instance (JSON API, live sockets, stream reader, flusher) shares one event
loop, so any work that holds it delays all the rest by as long. A timer that should fire
every `every_s` and fires late measures exactly that delay; `/metrics` exposes it as a
histogram, and the real-time benchmark reports its percentiles.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ..core.tasks import BackgroundTask


class LoopLagMonitor(BackgroundTask):
    """Calls `observe(seconds late)` after each timer of `every_s`."""

    name = "loop-lag"

    def __init__(self, observe: Callable[[float], None], every_s: float = 0.25) -> None:
        super().__init__()
        self._observe = observe
        self._every_s = every_s

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + self._every_s
            await asyncio.sleep(self._every_s)
            self._observe(max(0.0, loop.time() - due))
