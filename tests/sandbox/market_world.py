"""A market-only sandbox for the data-API tests: no ledger or personas, so it builds fast.

It has everything `data_api`, `auth` and `faults` read (config, clock, calendar, market,
ticker, fault table, `now`) and serves them through the same middlewares as the real app.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

from aiohttp import web

from portfolio_rt.sandbox import data_api, faults
from portfolio_rt.sandbox.auth import auth_middleware
from portfolio_rt.sandbox.calendar import MarketCalendar, MarketClock
from portfolio_rt.sandbox.faults import FaultTable
from portfolio_rt.sandbox.keys import SANDBOX
from portfolio_rt.sandbox.market import Market
from portfolio_rt.sandbox.settings import MarketHours, SandboxConfig
from portfolio_rt.sandbox.ticker import Ticker

KEY = "data-key"
SECRET = "data-secret"
# A Wednesday, 10:00 New York: the equity session is open.
IN_SESSION = datetime(2026, 3, 4, 15, 0, 0, tzinfo=UTC)
# A Saturday: equities closed, crypto trading.
WEEKEND = datetime(2026, 3, 7, 18, 0, 0, tzinfo=UTC)
HISTORY_START = date(2023, 1, 3)


@dataclass
class MarketWorld:
    """The parts of `world.Sandbox` the data routes use."""

    config: SandboxConfig
    now: Callable[[], datetime]
    calendar: MarketCalendar
    clock: MarketClock
    market: Market
    ticker: Ticker
    faults: FaultTable


def build_world(
    now: datetime = IN_SESSION, market_hours: MarketHours = "real", seed: int = 7
) -> MarketWorld:
    """A world frozen at `now`."""
    calendar = MarketCalendar()
    clock = MarketClock(calendar, market_hours)

    def clock_now() -> datetime:
        return now

    market = Market(seed, calendar, clock, history_start=HISTORY_START, now=clock_now)
    ticker = Ticker(market, clock, trades_per_second=10.0, now=clock_now)
    config = SandboxConfig(key=KEY, secret=SECRET, seed=seed, market_hours=market_hours)
    return MarketWorld(config, clock_now, calendar, clock, market, ticker, FaultTable(seed))


def data_app(world: MarketWorld) -> web.Application:
    """The data routes behind the real middlewares."""
    app = web.Application(middlewares=[faults.fault_middleware, auth_middleware])
    app[SANDBOX] = world  # type: ignore[assignment]
    data_api.setup(app)
    faults.setup(app)
    return app


@asynccontextmanager
async def serve_world(world: MarketWorld) -> AsyncIterator[str]:
    """Serve the data routes on a free loopback port; yields the base URL."""
    runner = web.AppRunner(data_app(world), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()
