"""The service pointed at a sandbox whose market only moves when the test says so.

The sandbox ticker emits nothing on its own (`trades_per_second=0`); it still sends a trade
and a quote of each symbol as it is subscribed, and the test publishes its own trades. So the
ground truth of "the latest price" is `sandbox.ticker.latest_trade(symbol)`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from aiohttp import ClientWebSocketResponse, WSMsgType
from aiohttp.test_utils import TestClient

from portfolio_rt.app import create_app
from portfolio_rt.auth.tokens import ALL_SCOPES
from portfolio_rt.core.money import money
from portfolio_rt.live.engine import RealtimeEngine
from portfolio_rt.sandbox.app import RunningSandbox, serve_sandbox
from portfolio_rt.sandbox.market import Trade
from portfolio_rt.sandbox.world import Sandbox
from portfolio_rt.state import RUNTIME, TOKENS
from tests.api.conftest import service_settings
from tests.conftest import sandbox_config

LIVE_CONFIG = """
cache_ttl_s = 0.0
[realtime]
push_interval_s = 0.1
collector_interval_s = 0.5
account_refresh_s = 0.5
auth_timeout_s = 0.5
[stream]
reconnect_base_delay_s = 0.05
reconnect_max_delay_s = 0.2
connection_limit_delay_s = 0.3
snapshot_poll_s = 0.3
"""


# (LIVE_CONFIG continues the [broker] table `service_settings` opens.)


@dataclass
class Live:
    client: TestClient
    sandbox: Sandbox
    running: RunningSandbox

    @property
    def engine(self) -> RealtimeEngine:
        engine = self.client.app[RUNTIME].realtime
        assert engine is not None
        return engine

    def token(self, account_id: UUID) -> str:
        token, _ = self.client.app[TOKENS].mint(
            account_id=account_id, subject="test", scopes=ALL_SCOPES, ttl_s=600
        )
        return token

    def bearer(self, account_id: UUID) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(account_id)}"}

    async def socket(self, account_id: UUID, **kwargs: Any) -> ClientWebSocketResponse:
        headers = kwargs.pop("headers", None) or self.bearer(account_id)
        path = f"/ws/portfolio/{account_id}"
        return await self.client.ws_connect(path, headers=headers, **kwargs)

    def publish(self, prices: dict[str, str]) -> None:
        """Print a trade of each symbol at the given price (what the stream then carries)."""
        now = datetime.now(UTC)
        self.sandbox.ticker.publish(
            [
                Trade(symbol, now, Decimal(price), Decimal(100), 1, "V", "B", ("@",))
                for symbol, price in prices.items()
            ]
        )

    def expected_equity(self, account_id: UUID) -> Decimal:
        """cash + Σ qty × the stream's latest trade price, from the sandbox's own books."""
        ledger = self.sandbox.ledger
        total = ledger.balances(account_id).cash
        for p in ledger.positions(account_id):
            trade = self.sandbox.ticker.latest_trade(p.symbol)
            assert trade is not None
            total += p.qty * trade.price
        return money(total)


async def next_message(ws: ClientWebSocketResponse, within_s: float = 5.0) -> dict[str, Any]:
    msg = await ws.receive(timeout=within_s)
    assert msg.type is WSMsgType.TEXT, (msg.type, msg.data, ws.close_code)
    data: dict[str, Any] = msg.json()
    return data


async def wait_for(
    ws: ClientWebSocketResponse, check: Callable[[dict[str, Any]], bool], within_s: float = 8.0
) -> dict[str, Any]:
    """Read messages until one satisfies `check` (fails after `within_s` seconds)."""
    seen: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(within_s):
            while True:
                message = await next_message(ws, within_s)
                seen.append(message)
                if check(message):
                    return message
    except TimeoutError:
        raise AssertionError(f"no matching message; last seen: {seen[-3:]}") from None


async def until(check: Callable[[], bool], within_s: float = 10.0) -> None:
    """Poll `check` until it holds (fails after `within_s` seconds)."""
    async with asyncio.timeout(within_s):
        while not check():  # noqa: ASYNC110 - polling state owned by the code under test
            await asyncio.sleep(0.02)


async def settle(live: Live, account_id: UUID, symbols: int) -> None:
    """Wait until the stream carries the account's symbols (each has had its first tick)."""
    async with asyncio.timeout(10):
        while True:
            held = {p.symbol for p in live.sandbox.ledger.positions(account_id)}
            reader = live.engine.feed.readers["stocks"] if live.engine.feed else None
            crypto = live.engine.feed.readers.get("crypto") if live.engine.feed else None
            on = set(reader.subscribed if reader else ()) | set(crypto.subscribed if crypto else ())
            if len(held) >= symbols and held <= on and held <= live.engine.prices.prices.keys():
                return
            await asyncio.sleep(0.05)


@pytest.fixture
async def live_sandbox() -> AsyncIterator[tuple[Sandbox, RunningSandbox]]:
    sandbox = Sandbox.build(sandbox_config(trades_per_second=0.0))
    async with serve_sandbox(sandbox) as running:
        yield sandbox, running


@pytest.fixture
async def live(aiohttp_client, tmp_path: Path, live_sandbox) -> Live:  # type: ignore[no-untyped-def]
    sandbox, running = live_sandbox
    settings = service_settings(tmp_path, running, LIVE_CONFIG)
    client = await aiohttp_client(create_app(settings))
    return Live(client, sandbox, running)
