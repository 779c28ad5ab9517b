"""The service answers /health, gives every response a request id, and every error as JSON."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from portfolio_rt import __version__
from portfolio_rt.app import create_app
from tests.fixtures.settings import alpaca_settings


@pytest.fixture
async def client(aiohttp_client, tmp_path) -> TestClient:  # type: ignore[no-untyped-def]
    # Alpaca mode with dummy keys: no sandbox is started and nothing is called upstream.
    return await aiohttp_client(create_app(alpaca_settings()))


async def test_health_answers_ok(client: TestClient) -> None:
    response = await client.get("/health")
    assert response.status == 200
    assert await response.json() == {"status": "ok", "version": __version__}
    assert len(response.headers["X-Request-ID"]) >= 8


async def test_caller_request_id_is_echoed(client: TestClient) -> None:
    response = await client.get("/health", headers={"X-Request-ID": "abc12345-trace"})
    assert response.headers["X-Request-ID"] == "abc12345-trace"


async def test_malformed_request_id_is_replaced(client: TestClient) -> None:
    response = await client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
    assert response.headers["X-Request-ID"] != "bad id\twith spaces"


async def test_unknown_route_is_a_json_404(client: TestClient) -> None:
    response = await client.get("/api/nothing-here")
    assert response.status == 404
    body = await response.json()
    assert body["error"]["code"] == "not_found"
    assert body["error"]["request_id"] == response.headers["X-Request-ID"]


async def test_wrong_method_is_a_json_405(client: TestClient) -> None:
    response = await client.post("/health")
    assert response.status == 405
    body = await response.json()
    assert body["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]
