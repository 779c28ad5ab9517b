"""A light world for stream tests (market, clock, ticker, faults; no ledger), a JSON client, and
a client of either wire format (`WireClient`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import msgpack
from aiohttp import ClientWebSocketResponse, WSMsgType, web

from portfolio_rt.sandbox import stream
from portfolio_rt.sandbox.calendar import MarketCalendar, MarketClock
from portfolio_rt.sandbox.faults import FaultTable
from portfolio_rt.sandbox.keys import SANDBOX
from portfolio_rt.sandbox.market import Market
from portfolio_rt.sandbox.settings import SandboxConfig
from portfolio_rt.sandbox.stream import STREAM_HUB, StreamHub, StreamSettings
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


DATA_TYPES = frozenset({"t", "q", "b", "u", "d", "s", "l", "o"})
"""`T` of every data message the sandbox sends."""


def time_of(message: dict[str, Any]) -> datetime:
    """A message's `t`, from either format (RFC 3339 text or msgpack Timestamp)."""
    t = message["t"]
    if isinstance(t, msgpack.Timestamp):
        stamp: datetime = t.to_datetime()
        return stamp
    assert isinstance(t, str), t
    return parse_ts(t)


@dataclass
class WireClient:
    """A raw stream client speaking JSON text or msgpack binary, as the handshake asked."""

    ws: ClientWebSocketResponse
    fmt: str

    @classmethod
    async def open(cls, client: Any, path: str, fmt: str) -> WireClient:
        headers = {"Content-Type": "application/msgpack"} if fmt == "msgpack" else {}
        return cls(await client.ws_connect(path, headers=headers), fmt)

    async def send(self, message: dict[str, Any]) -> None:
        if self.fmt == "msgpack":
            await self.ws.send_bytes(msgpack.packb(message))
        else:
            await self.ws.send_str(json.dumps(message))

    async def recv(self, within_s: float = 5.0) -> list[dict[str, Any]]:
        """The next frame's messages; msgpack times stay Timestamps (see `time_of`)."""
        msg = await self.ws.receive(timeout=within_s)
        if self.fmt == "msgpack":
            assert msg.type is WSMsgType.BINARY, (msg.type, msg.data)
            data = msgpack.unpackb(msg.data)
        else:
            assert msg.type is WSMsgType.TEXT, (msg.type, msg.data)
            data = json.loads(msg.data)
        assert isinstance(data, list)
        return data

    async def login(self) -> None:
        assert await self.recv() == [{"T": "success", "msg": "connected"}]
        await self.send({"action": "auth", "key": SANDBOX_KEY, "secret": SANDBOX_SECRET})
        assert await self.recv() == [{"T": "success", "msg": "authenticated"}]

    async def control(self, within_s: float = 5.0) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The next control message, and the data messages that came before it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_s
        before: list[dict[str, Any]] = []
        while True:
            for message in await self.recv(max(0.01, deadline - loop.time())):
                if message["T"] in ("success", "error", "subscription"):
                    return message, before
                before.append(message)

    async def action(self, action: str, **channels: list[str]) -> dict[str, Any]:
        """Subscribe or unsubscribe; returns the confirmation."""
        await self.send({"action": action, **channels})
        confirmation, _ = await self.control()
        assert confirmation["T"] == "subscription", confirmation
        return confirmation

    async def collect(
        self,
        done: Callable[[list[dict[str, Any]]], bool],
        within_s: float = 5.0,
        types: Collection[str] = DATA_TYPES,
    ) -> list[dict[str, Any]]:
        """Data messages of `types` until `done(all so far)` holds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within_s
        seen: list[dict[str, Any]] = []
        while not done(seen):
            remaining = deadline - loop.time()
            assert remaining > 0, f"timed out after {len(seen)} messages"
            seen.extend(m for m in await self.recv(remaining) if m["T"] in types)
        return seen

    async def quiet(self, **channels: list[str]) -> list[dict[str, Any]]:
        """The data messages queued so far: a no-op subscription marks where they end."""
        await self.send({"action": "subscribe", **(channels or {"trades": []})})
        confirmation, before = await self.control()
        assert confirmation["T"] == "subscription", confirmation
        return before

    async def close(self) -> None:
        await self.ws.close()


def hub_of(client: Any) -> StreamHub:
    """The stream hub of an aiohttp test client's app."""
    app = client.app if client.app is not None else client.server.app
    return cast("StreamHub", app[STREAM_HUB])


@asynccontextmanager
async def serve_stream(world: StreamWorld, **settings: Any) -> AsyncIterator[tuple[str, StreamHub]]:
    """The stream app on a free loopback port: (its ws:// base URL, its hub)."""
    app = stream_app(world, **settings)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        host, port = runner.addresses[0][:2]
        yield f"ws://{host}:{port}", app[STREAM_HUB]
    finally:
        await runner.cleanup()
