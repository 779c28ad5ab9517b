"""Several instances on one Redis: a logout on one ends the session on every instance,
including one started after the logout; with Redis down a logout still ends it locally."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import UUID

from aiohttp.test_utils import TestClient

from portfolio_rt.app import create_app
from portfolio_rt.auth.tokens import ALL_SCOPES
from portfolio_rt.sandbox.app import RunningSandbox
from portfolio_rt.sandbox.world import Sandbox
from portfolio_rt.state import TOKENS
from tests.fixtures.redis import RedisServer
from tests.fixtures.settings import service_settings

SUMMARY = "/api/portfolio/summary"


async def instance(
    aiohttp_client, sandbox_server: RunningSandbox, redis: RedisServer
) -> TestClient:  # type: ignore[no-untyped-def]
    settings = service_settings(sandbox_server, redis={"url": redis.url})
    client: TestClient = await aiohttp_client(create_app(settings))
    return client


def bearer(client: TestClient, account: UUID) -> dict[str, str]:
    token, _ = client.app[TOKENS].mint(
        account_id=account, subject="test", scopes=ALL_SCOPES, ttl_s=600
    )
    return {"Authorization": f"Bearer {token}"}


async def status_of(client: TestClient, headers: dict[str, str]) -> int:
    async with client.get(SUMMARY, headers=headers) as response:
        return response.status


async def eventually_refused(client: TestClient, headers: dict[str, str]) -> None:
    async with asyncio.timeout(5):
        while await status_of(client, headers) != 401:  # noqa: ASYNC110 - another instance
            await asyncio.sleep(0.05)


async def test_a_logout_on_one_instance_ends_the_session_on_every_instance(
    aiohttp_client, tmp_path: Path, sandbox_server, shared_sandbox: Sandbox, redis: RedisServer
) -> None:  # type: ignore[no-untyped-def]
    first = await instance(aiohttp_client, sandbox_server, redis)
    second = await instance(aiohttp_client, sandbox_server, redis)
    headers = bearer(first, shared_sandbox.personas["maya"])
    other = bearer(first, shared_sandbox.personas["jordan"])
    assert await status_of(second, headers) == 200

    async with first.post("/api/auth/logout", headers=headers) as response:
        assert response.status == 200
    assert await status_of(first, headers) == 401
    await eventually_refused(second, headers)
    assert await status_of(second, other) == 200  # only that session ended

    late = await instance(aiohttp_client, sandbox_server, redis)
    await eventually_refused(late, headers)  # it loads past logouts when it subscribes
    assert await status_of(late, other) == 200


async def test_with_redis_down_a_logout_still_ends_the_session_where_it_was_made(
    aiohttp_client, tmp_path: Path, sandbox_server, shared_sandbox: Sandbox, redis: RedisServer
) -> None:  # type: ignore[no-untyped-def]
    client = await instance(aiohttp_client, sandbox_server, redis)
    headers = bearer(client, shared_sandbox.personas["maya"])
    redis.stop()
    async with client.post("/api/auth/logout", headers=headers) as response:
        assert response.status == 200
    assert await status_of(client, headers) == 401
