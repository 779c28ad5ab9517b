"""The event-loop lag monitor sees work that holds the loop, and nothing when it is idle."""

from __future__ import annotations

import asyncio
import time

from portfolio_rt.ops.loop_lag import LoopLagMonitor


async def test_a_blocked_loop_shows_as_lag_and_an_idle_one_does_not() -> None:
    seen: list[float] = []
    monitor = LoopLagMonitor(seen.append, every_s=0.02)
    monitor.start()
    try:
        await asyncio.sleep(0.1)
        idle = list(seen)
        time.sleep(0.15)  # noqa: ASYNC251 - something holds the loop, on purpose
        await asyncio.sleep(0.05)
    finally:
        await monitor.close()
    assert idle
    assert min(idle) < 0.05  # an idle loop fires the timer on time
    assert max(seen) >= 0.12
