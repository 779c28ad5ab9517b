"""Money that arrives after the close moves no point that was already drawn: every range's
equity, deposits line, gain line and time-weighted return stay as they were, point by point,
while the summary's net deposits take the new money in at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from portfolio_rt.app import create_app
from portfolio_rt.auth.tokens import ALL_SCOPES
from portfolio_rt.core.periods import PERIODS
from portfolio_rt.sandbox.app import serve_sandbox
from portfolio_rt.sandbox.world import Sandbox
from portfolio_rt.state import TOKENS
from tests.fixtures.clock import SetClock
from tests.fixtures.settings import sandbox_config, service_settings

# Wednesday 2026-11-18, 17:00 New York: an hour after the close.
AFTER_CLOSE = datetime(2026, 11, 18, 22, 0, tzinfo=UTC)
POINT_FIELDS = ("equity", "net_deposits", "profit_loss", "profit_loss_pct", "twr_pct")


class World:
    def __init__(self, client: TestClient, sandbox: Sandbox, clock: SetClock) -> None:
        self.client, self.sandbox, self.clock = client, sandbox, clock
        self.maya = sandbox.personas["maya"]
        token, _ = client.app[TOKENS].mint(
            account_id=self.maya, subject="test", scopes=ALL_SCOPES, ttl_s=3600
        )
        self.headers = {"Authorization": f"Bearer {token}"}

    async def get(self, path: str) -> dict[str, Any]:
        response = await self.client.get(path, headers=self.headers)
        assert response.status == 200, await response.text()
        return dict(await response.json())

    async def ranges(self) -> dict[str, dict[str, Any]]:
        return {p: await self.get(f"/api/portfolio/history?period={p}") for p in PERIODS}

    def transfer(self, amount: str, direction: str) -> None:
        bank = self.sandbox.ledger.banks(self.maya)[0]
        self.sandbox.ledger.create_transfer(
            self.maya, relationship_id=bank.id, amount=Decimal(amount), direction=direction
        )


@pytest.fixture
async def world(aiohttp_client) -> AsyncIterator[World]:  # type: ignore[no-untyped-def]
    clock = SetClock(AFTER_CLOSE)
    sandbox = Sandbox.build(sandbox_config(market_hours="real"), now=clock)
    async with serve_sandbox(sandbox) as running:
        settings = service_settings(
            running,
            broker={"cache_ttl_s": 0.0, "history_cache_ttl_s": 0.0},
            stream={"enabled": False},
        )
        yield World(await aiohttp_client(create_app(settings)), sandbox, clock)


async def test_a_deposit_and_a_withdrawal_after_the_close_move_no_drawn_point(
    world: World,
) -> None:
    before = await world.ranges()
    summary_before = await world.get("/api/portfolio/summary")

    world.clock.advance(timedelta(hours=2))  # 19:00 New York
    world.transfer("1000.00", "INCOMING")
    world.clock.advance(timedelta(minutes=10))
    world.transfer("200.00", "OUTGOING")
    world.clock.advance(timedelta(minutes=20))  # both completed (transfer delay 0.5 s)

    after = await world.ranges()
    summary_after = await world.get("/api/portfolio/summary")
    assert Decimal(summary_after["net_deposits"]) == Decimal(
        summary_before["net_deposits"]
    ) + Decimal("800.00")

    for period in PERIODS:
        drawn, now = before[period], after[period]
        assert drawn["timestamp"], period
        index = {stamp: i for i, stamp in enumerate(now["timestamp"])}
        for i, stamp in enumerate(drawn["timestamp"]):
            j = index[stamp]
            for field in POINT_FIELDS:
                assert now[field][j] == drawn[field][i], (period, field, stamp)
