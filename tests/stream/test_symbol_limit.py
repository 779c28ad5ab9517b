"""A plan that cannot carry every held symbol (405): the connected holders' symbols stay on
the stream, the rest are priced from REST snapshots."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from portfolio_rt.app import create_app
from portfolio_rt.sandbox.app import RunningSandbox, serve_sandbox
from portfolio_rt.sandbox.settings import SandboxConfig
from portfolio_rt.sandbox.world import Sandbox
from tests.fixtures.live import LIVE, Live, next_message, until
from tests.fixtures.settings import SANDBOX_KEY, SANDBOX_SECRET, service_settings

LIMIT = 5


@dataclass(frozen=True)
class LimitedPlan(SandboxConfig):
    """The sandbox stream reads `stream_symbol_limit` from its config when it has one."""

    stream_symbol_limit: int = LIMIT


@pytest.fixture
async def limited(aiohttp_client, tmp_path: Path) -> AsyncIterator[Live]:  # type: ignore[no-untyped-def]
    config = LimitedPlan(
        key=SANDBOX_KEY, secret=SANDBOX_SECRET, trades_per_second=0.0, transfer_delay_s=0.5
    )
    sandbox = Sandbox.build(config)
    running: RunningSandbox
    async with serve_sandbox(sandbox) as running:
        client = await aiohttp_client(create_app(service_settings(running, **LIVE)))
        yield Live(client, sandbox, running)


async def test_connected_holders_symbols_stay_on_the_stream_the_rest_are_polled(
    limited: Live,
) -> None:
    pat = limited.sandbox.personas["pat"]
    held = {p.symbol for p in limited.sandbox.ledger.positions(pat)}
    ws = await limited.socket(pat)
    assert (await next_message(ws))["type"] == "snapshot"
    feed = limited.engine.feed
    assert feed is not None
    reader = feed.readers["stocks"]
    await until(lambda: reader.cap == LIMIT and len(reader.subscribed) == LIMIT)
    await until(lambda: reader.subscribed <= held)
    assert reader.overflow
    await until(lambda: held <= limited.engine.prices.prices.keys(), within_s=15)
    body = await (await limited.client.get("/ready")).json()
    assert body["checks"]["stream"]["readers"]["stocks"]["overflow"] == len(reader.overflow)
    await ws.close()
