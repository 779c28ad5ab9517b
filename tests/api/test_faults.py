"""When Alpaca fails (injected in the sandbox), the API answers documented errors or stale
data: never a 500, never a hang."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiohttp.test_utils import TestClient

from portfolio_rt.app import create_app
from portfolio_rt.config import with_overrides
from portfolio_rt.sandbox.world import Sandbox
from portfolio_rt.state import RUNTIME
from tests.fixtures.settings import service_settings

Auth = Callable[..., dict[str, str]]
POSITIONS = "/v1/trading/accounts/*/positions"


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ({"kind": "status", "status": 503}, 503, "broker_unavailable"),
        ({"kind": "status", "status": 500}, 502, "broker_error"),
        ({"kind": "status", "status": 504}, 504, "broker_timeout"),
        ({"kind": "status", "status": 429}, 429, "rate_limited"),
        ({"kind": "malformed"}, 502, "broker_error"),
        ({"kind": "drop"}, 503, "broker_unavailable"),
    ],
)
async def test_upstream_failure_without_cache_is_a_documented_error(
    fresh_api: TestClient,
    auth_for: Auth,
    fresh_sandbox: Sandbox,
    fault: dict[str, object],
    status: int,
    code: str,
) -> None:
    fresh_sandbox.faults.add({"route": POSITIONS, "method": "GET", **fault})
    headers = auth_for(fresh_api, fresh_sandbox.personas["maya"])
    response = await fresh_api.get("/api/portfolio/positions", headers=headers)
    assert response.status == status
    body = await response.json()
    assert body["error"]["code"] == code
    assert body["error"]["request_id"]
    if status in (429, 503):
        assert int(response.headers["Retry-After"]) >= 1


async def test_upstream_timeout_is_504(
    aiohttp_client, tmp_path, fresh_sandbox_server, auth_for: Auth, fresh_sandbox: Sandbox
) -> None:  # type: ignore[no-untyped-def]
    settings = with_overrides(
        service_settings(fresh_sandbox_server), alpaca={"request_timeout_s": 0.3}
    )
    client = await aiohttp_client(create_app(settings))
    fresh_sandbox.faults.add({"route": POSITIONS, "kind": "latency", "latency_ms": 2000})
    headers = auth_for(client, fresh_sandbox.personas["maya"])
    response = await client.get("/api/portfolio/positions", headers=headers)
    assert response.status == 504
    assert (await response.json())["error"]["code"] == "broker_timeout"


async def test_cached_answer_is_served_stale_when_alpaca_fails(
    fresh_api: TestClient, auth_for: Auth, fresh_sandbox: Sandbox
) -> None:
    headers = auth_for(fresh_api, fresh_sandbox.personas["jordan"])
    fresh = await (await fresh_api.get("/api/portfolio/positions", headers=headers)).json()
    assert fresh["stale"] is False
    gateway = fresh_api.app[RUNTIME].gateway
    gateway.cache._clock = lambda: 10**6 + 1e9  # type: ignore[method-assign]  # TTL passed
    gateway.cache.max_stale_s = 10**12
    fresh_sandbox.faults.add({"route": POSITIONS, "kind": "status", "status": 503})
    response = await fresh_api.get("/api/portfolio/positions", headers=headers)
    assert response.status == 200
    body = await response.json()
    assert body["stale"] is True
    assert [p["symbol"] for p in body["positions"]] == [p["symbol"] for p in fresh["positions"]]


async def test_flaky_alpaca_is_retried_transparently(
    fresh_api: TestClient, auth_for: Auth, fresh_sandbox: Sandbox
) -> None:
    fresh_sandbox.faults.add({"route": POSITIONS, "kind": "status", "status": 502, "count": 2})
    headers = auth_for(fresh_api, fresh_sandbox.personas["maya"])
    response = await fresh_api.get("/api/portfolio/positions", headers=headers)
    assert response.status == 200
    assert (await response.json())["stale"] is False


async def test_every_route_survives_a_down_alpaca(
    fresh_api: TestClient, auth_for: Auth, fresh_sandbox: Sandbox
) -> None:
    fresh_sandbox.faults.add({"route": "/v1/*", "kind": "status", "status": 503})
    headers = auth_for(fresh_api, fresh_sandbox.personas["sam"])
    for path in (
        "/api/portfolio/summary",
        "/api/portfolio/history?period=1M",
        "/api/portfolio/positions",
        "/api/portfolio/orders",
        "/api/portfolio/activities",
        "/api/assets/AAPL",
        "/api/funds/bank-accounts",
        "/api/funds/transfers",
    ):
        response = await fresh_api.get(path, headers=headers)
        assert response.status in (502, 503, 504), (path, response.status)
        assert (await response.json())["error"]["code"].startswith("broker_")
    ready = await fresh_api.get("/ready")
    assert ready.status == 503
