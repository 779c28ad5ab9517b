"""Limits that keep one caller from costing everyone: an account's request budget, a cap on
its live sockets, and "not found" remembered instead of asked of the broker every time."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import WSServerHandshakeError
from aiohttp.test_utils import TestClient

from portfolio_rt.app import create_app
from portfolio_rt.state import RUNTIME
from tests.fixtures.live import LIVE, Live, next_message
from tests.fixtures.settings import merged, service_settings


@pytest.fixture
async def limited(aiohttp_client, live_sandbox) -> Live:  # type: ignore[no-untyped-def]
    sandbox, running = live_sandbox
    sections = merged(
        LIVE,
        {
            "server": {"api_requests_per_s": 1, "api_request_burst": 5},
            "realtime": {"max_sockets_per_account": 2},
        },
    )
    client = await aiohttp_client(create_app(service_settings(running, **sections)))
    return Live(client, sandbox, running)


async def test_an_account_past_its_budget_gets_429_and_others_do_not(limited: Live) -> None:
    maya, jordan = limited.sandbox.personas["maya"], limited.sandbox.personas["jordan"]
    headers = limited.bearer(maya)
    statuses = []
    for _ in range(6):
        async with limited.client.get("/api/assets/AAPL", headers=headers) as response:
            statuses.append(response.status)
            retry_after = response.headers.get("Retry-After")
    assert statuses == [200] * 5 + [429]
    assert retry_after is not None
    assert int(retry_after) >= 1
    async with limited.client.get("/api/assets/AAPL", headers=limited.bearer(jordan)) as other:
        assert other.status == 200


async def test_an_account_past_its_socket_cap_is_refused(limited: Live) -> None:
    maya, jordan = limited.sandbox.personas["maya"], limited.sandbox.personas["jordan"]
    open_ = [await limited.socket(maya) for _ in range(2)]
    for ws in open_:
        assert (await next_message(ws))["type"] == "snapshot"
    with pytest.raises(WSServerHandshakeError) as refused:
        await limited.socket(maya)
    assert refused.value.status == 429
    by_message = await limited.client.ws_connect(f"/ws/portfolio/{maya}")
    await by_message.send_json({"type": "auth", "token": limited.token(maya)})
    assert (await next_message(by_message))["code"] == "rate_limited"
    await by_message.receive(timeout=5)
    assert by_message.close_code == 4429
    other = await limited.socket(jordan)
    assert (await next_message(other))["type"] == "snapshot"
    await open_[0].close()
    await asyncio.sleep(0.1)
    again = await limited.socket(maya)  # a closed socket frees its place
    assert (await next_message(again))["type"] == "snapshot"


async def test_an_unknown_symbol_is_asked_of_the_broker_once(
    api: TestClient,
    auth_for,  # type: ignore[no-untyped-def]
    shared_sandbox,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The finding: 60 requests for an unknown symbol were 60 broker calls in 0.2 s."""
    headers = auth_for(api, shared_sandbox.personas["maya"])
    http = api.app[RUNTIME].gateway.http
    asked: list[str] = []
    get = http.get

    async def counting_get(api_name: str, path: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(path)
        return await get(api_name, path, *args, **kwargs)

    monkeypatch.setattr(http, "get", counting_get)
    for _ in range(60):
        async with api.get("/api/assets/ZZZZQ", headers=headers) as response:
            assert response.status == 404
            assert (await response.json())["error"]["code"] == "not_found"
    assert asked.count("/v1/assets/ZZZZQ") == 1
    async with api.get("/api/assets/AAPL", headers=headers) as known:
        assert known.status == 200
