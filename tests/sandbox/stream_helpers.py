"""A light world for stream tests (market, clock, ticker, faults; no ledger) and a JSON client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from aiohttp import ClientWebSocketResponse, WSMsgType, web

from portfolio_rt.sandbox import stream
from portfolio_rt.sandbox.calendar import MarketCalendar, MarketClock
from portfolio_rt.sandbox.faults import FaultTable
from portfolio_rt.sandbox.keys import SANDBOX
from portfolio_rt.sandbox.market import Market
from portfolio_rt.sandbox.settings import SandboxConfig
from portfolio_rt.sandbox.stream import StreamSettings
from portfolio_rt.sandbox.ticker import Ticker

if TYPE_CHECKING:
    from portfolio_rt.sandbox.world import Sandbox

SANDBOX_KEY = "stream-key"
SANDBOX_SECRET = "stream-secret"


@dataclass
class StreamWorld:
    """Only what the stream reads from a Sandbox."""

    config: SandboxConfig
    now: Callable[[], datetime]
    calendar: MarketCalendar
    clock: MarketClock
    market: Market
    ticker: Ticker
    faults: FaultTable


class Clock:
    """The wall clock plus an adjustable offset (to reach a minute boundary quickly)."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def make_world(
    *, trades_per_second: float = 200.0, market_hours: str = "always_open", now: Any = None
) -> StreamWorld:
    now = now or Clock()
    config = SandboxConfig(
        key=SANDBOX_KEY,
        secret=SANDBOX_SECRET,
        market_hours=market_hours,  # type: ignore[arg-type]
        trades_per_second=trades_per_second,
    )
    calendar = MarketCalendar()
    clock = MarketClock(calendar, market_hours)  # type: ignore[arg-type]
    today = now().date()
    market = Market(7, calendar, clock, history_start=today - timedelta(days=60), now=now)
    ticker = Ticker(market, clock, trades_per_second=trades_per_second, now=now)
    return StreamWorld(config, now, calendar, clock, market, ticker, FaultTable(seed=7))


def stream_app(world: StreamWorld, **settings: Any) -> web.Application:
    """The stream routes alone over a light world, with the ticker running."""
    app = web.Application()
    app[SANDBOX] = cast("Sandbox", world)
    stream.setup(app, StreamSettings(**settings))

    async def ticker_ctx(app: web.Application) -> AsyncIterator[None]:
        world.ticker.start()
        yield
        await world.ticker.close()

    app.cleanup_ctx.append(ticker_ctx)
    return app


async def recv(ws: ClientWebSocketResponse, within_s: float = 5.0) -> list[dict[str, Any]]:
    """The next frame as a list of messages (JSON text frames)."""
    msg = await ws.receive(timeout=within_s)
    assert msg.type is WSMsgType.TEXT, (msg.type, msg.data)
    data = json.loads(msg.data)
    assert isinstance(data, list)
    return data


async def recv_control(ws: ClientWebSocketResponse, within_s: float = 5.0) -> dict[str, Any]:
    """The next control message, skipping data frames."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while True:
        for message in await recv(ws, max(0.01, deadline - loop.time())):
            if message["T"] in ("success", "error", "subscription"):
                return message


async def login(ws: ClientWebSocketResponse) -> None:
    assert await recv(ws) == [{"T": "success", "msg": "connected"}]
    await ws.send_str(json.dumps({"action": "auth", "key": SANDBOX_KEY, "secret": SANDBOX_SECRET}))
    assert await recv(ws) == [{"T": "success", "msg": "authenticated"}]


async def collect(
    ws: ClientWebSocketResponse,
    done: Callable[[list[dict[str, Any]]], bool],
    within_s: float = 5.0,
) -> list[dict[str, Any]]:
    """Data messages until `done(all so far)` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    seen: list[dict[str, Any]] = []
    while not done(seen):
        remaining = deadline - loop.time()
        assert remaining > 0, f"timed out after {len(seen)} messages"
        seen.extend(m for m in await recv(ws, remaining) if m["T"] in ("t", "q", "b", "d"))
    return seen


def parse_ts(text: str) -> datetime:
    """Alpaca's RFC 3339 (UTC, `Z`, 0-9 fractional digits with trailing zeros dropped) as a
    datetime of microsecond precision."""
    assert text.endswith("Z")
    head, _, frac = text[:-1].partition(".")
    assert len(frac) <= 9
    assert not frac.endswith("0"), text
    return datetime.fromisoformat(f"{head}.{frac[:6].ljust(6, '0')}+00:00")
