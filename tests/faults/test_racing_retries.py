"""Two instances retry the same uncertain deposit at once, against one Redis: both look for
the transfer the first attempt may have made, both find none, and only one sends again."""

from __future__ import annotations

import asyncio
import time

from aiohttp.test_utils import TestClient

from portfolio_rt.app import create_app
from portfolio_rt.funds.idempotency import IdempotencyRecord, fingerprint
from portfolio_rt.sandbox.app import RunningSandbox
from portfolio_rt.sandbox.world import Sandbox
from portfolio_rt.state import IDEMPOTENCY
from tests.fixtures.funds import link_bank
from tests.fixtures.redis import RedisServer
from tests.fixtures.settings import service_settings

KEY = "race-retry-0000000001"


async def test_two_instances_retrying_one_uncertain_key_deposit_once(
    aiohttp_client,  # type: ignore[no-untyped-def]
    fresh_sandbox: Sandbox,
    fresh_sandbox_server: RunningSandbox,
    redis: RedisServer,
    auth_for,  # type: ignore[no-untyped-def]
) -> None:
    settings = service_settings(fresh_sandbox_server, redis={"url": redis.url})
    first: TestClient = await aiohttp_client(create_app(settings))
    second: TestClient = await aiohttp_client(create_app(settings))
    maya = fresh_sandbox.personas["maya"]
    headers = auth_for(first, maya)
    bank = await link_bank(first, headers)
    # Both instances know the bank (a deposit checks it is linked): they reach the transfer
    # look-up together, not one a broker read behind the other.
    async with second.get("/api/funds/bank-accounts", headers=headers) as response:
        assert response.status == 200
    body = {"amount": "25.00", "relationship_id": bank["id"]}

    # A crashed instance left the key uncertain an hour ago; no transfer reached Alpaca.
    scope = f"deposit:{maya}:{KEY}"
    print_ = fingerprint({"amount": "25.00", "relationship_id": bank["id"]})
    record = IdempotencyRecord(print_, "uncertain", time.time() - 3600)
    store = first.app[IDEMPOTENCY]
    assert await store.backend.create(scope, record)
    before = len(fresh_sandbox.ledger.transfers(maya))

    # Both look for the transfer at the same time (the broker answers the list slowly).
    fresh_sandbox.faults.add(
        {"route": "/v1/accounts/*/transfers", "method": "GET", "kind": "latency",
         "latency_ms": 300, "count": 2}
    )  # fmt: skip
    keyed = headers | {"Idempotency-Key": KEY}

    async def deposit(client: TestClient) -> int:
        async with client.post("/api/funds/deposits", json=body, headers=keyed) as response:
            return response.status

    statuses = await asyncio.gather(deposit(first), deposit(second))
    assert sorted(statuses) == [201, 409]
    assert len(fresh_sandbox.ledger.transfers(maya)) == before + 1

    # The loser's retry replays the winner's answer, moving no more money.
    async with second.post("/api/funds/deposits", json=body, headers=keyed) as response:
        assert response.status == 201
        assert response.headers.get("Idempotent-Replayed") == "true"
    assert len(fresh_sandbox.ledger.transfers(maya)) == before + 1
