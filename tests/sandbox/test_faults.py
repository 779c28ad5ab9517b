"""Injected faults: the control routes, and what a client sees for every kind of rule."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from portfolio_rt.sandbox import faults
from portfolio_rt.sandbox.auth import auth_middleware
from portfolio_rt.sandbox.faults import FaultRule, FaultRuleError, FaultTable, malformed
from portfolio_rt.sandbox.keys import SANDBOX
from portfolio_rt.sandbox.settings import SandboxConfig

if TYPE_CHECKING:
    from portfolio_rt.sandbox.app import RunningSandbox

KEY, SECRET = "fault-key", "fault-secret"
HEADERS = {"APCA-API-KEY-ID": KEY, "APCA-API-SECRET-KEY": SECRET}
BASIC = aiohttp.BasicAuth(KEY, SECRET)
POSITIONS = "/v1/trading/accounts/{id}/positions"
NOW = datetime(2026, 3, 2, 15, 0, 30, tzinfo=UTC)


async def _positions(request: web.Request) -> web.Response:
    return web.json_response([{"symbol": "AAPL", "qty": "1"}, {"symbol": "MSFT", "qty": "2"}])


async def _bars(request: web.Request) -> web.Response:
    return web.json_response({"bars": {}, "next_page_token": None})


@pytest.fixture
async def client(aiohttp_client: Any) -> TestClient[web.Request, web.Application]:
    """The fault and auth middlewares (in the real app's order) in front of two routes."""
    app = web.Application(middlewares=[faults.fault_middleware, auth_middleware])
    app[SANDBOX] = SimpleNamespace(  # type: ignore[assignment]
        config=SandboxConfig(key=KEY, secret=SECRET),
        faults=FaultTable(seed=3),
        now=lambda: NOW,
    )
    app.router.add_get(POSITIONS, _positions)
    app.router.add_post(POSITIONS, _positions)
    app.router.add_get("/v2/stocks/bars", _bars)
    faults.setup(app)
    result: TestClient[web.Request, web.Application] = await aiohttp_client(app)
    return result


async def _add(client: TestClient, rule: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/sandbox/faults", json=rule, headers=HEADERS)
    assert response.status == 201, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def _get_positions(client: TestClient, account: str = "abc") -> aiohttp.ClientResponse:
    return await client.get(f"/v1/trading/accounts/{account}/positions", auth=BASIC)


async def test_posted_rule_comes_back_with_an_id_and_is_listed(client: TestClient) -> None:
    rule = await _add(
        client, {"route": "/v1/trading/accounts/*/positions", "kind": "status", "status": 503}
    )
    assert rule["id"]
    assert rule["kind"] == "status"
    assert rule["status"] == 503
    assert rule["probability"] == 1.0
    assert rule["count"] is None
    listed = await (await client.get("/sandbox/faults", headers=HEADERS)).json()
    assert [r["id"] for r in listed] == [rule["id"]]


@pytest.mark.parametrize(
    "rule",
    [
        {"kind": "status"},
        {"route": "no-slash", "kind": "status"},
        {"route": "/v1/*", "kind": "explode"},
        {"route": "/v1/*", "kind": "status", "status": 200},
        {"route": "/v1/*", "kind": "status", "probability": 1.5},
        {"route": "/v1/*", "kind": "status", "count": 0},
        {"route": "/v1/*", "kind": "status", "count": "2"},
        {"route": "/v1/*", "kind": "latency", "latency_ms": -1},
        {"route": "/v1/*", "kind": "status", "method": "FETCH"},
        {"route": "/v1/*", "kind": "error", "code": 406},  # an error frame needs a stream event
        {"route": "/v2/iex", "kind": "error", "on": "auth"},  # ... and a code
        {"route": "/v2/iex", "kind": "disconnect", "on": "lunch"},
        {"route": "/v1/*", "kind": "status", "colour": "red"},
        ["not", "an", "object"],
    ],
)
async def test_invalid_rules_are_refused_with_400_json(client: TestClient, rule: object) -> None:
    response = await client.post("/sandbox/faults", json=rule, headers=HEADERS)
    assert response.status == 400
    body = await response.json()
    assert isinstance(body["message"], str)
    assert body["code"] == 40010000
    assert await (await client.get("/sandbox/faults", headers=HEADERS)).json() == []


async def test_non_json_rule_body_is_400(client: TestClient) -> None:
    response = await client.post("/sandbox/faults", data=b"{nope", headers=HEADERS)
    assert response.status == 400


async def test_latency_delays_the_answer(client: TestClient) -> None:
    await _add(client, {"route": "/v1/trading/accounts/*/positions", "kind": "latency",
                        "latency_ms": 300})  # fmt: skip
    started = time.monotonic()
    response = await _get_positions(client)
    assert response.status == 200
    assert time.monotonic() - started >= 0.29
    assert len(await response.json()) == 2


async def test_429_carries_retry_after_and_rate_limit_headers(client: TestClient) -> None:
    await _add(client, {"route": "/v1/trading/accounts/*/positions", "kind": "status",
                        "status": 429})  # fmt: skip
    response = await _get_positions(client)
    assert response.status == 429
    assert await response.json() == {"code": 42900000, "message": "rate limit exceeded"}
    assert int(response.headers["Retry-After"]) >= 1
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert int(response.headers["X-RateLimit-Limit"]) > 0
    reset = int(response.headers["X-RateLimit-Reset"])
    assert reset > NOW.timestamp()


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_error_status_with_alpaca_json(client: TestClient, status: int) -> None:
    await _add(client, {"route": "/v1/trading/accounts/*/positions", "kind": "status",
                        "status": status})  # fmt: skip
    response = await _get_positions(client)
    assert response.status == status
    body = await response.json()
    assert body["code"] == status * 100000
    assert body["message"]


async def test_rule_code_and_message_override_the_body(client: TestClient) -> None:
    await _add(client, {"route": "/v2/stocks/*", "kind": "status", "status": 403,
                        "code": 42210000, "message": "subscription does not permit"})  # fmt: skip
    response = await client.get("/v2/stocks/bars", headers=HEADERS)
    assert response.status == 403
    assert await response.json() == {"code": 42210000, "message": "subscription does not permit"}


async def test_drop_closes_the_connection_without_an_answer(client: TestClient) -> None:
    await _add(client, {"route": "/v1/trading/accounts/*/positions", "kind": "drop"})

    async def fetch() -> bytes:
        return await (await _get_positions(client)).read()

    with pytest.raises(aiohttp.ClientConnectionError):
        await fetch()


async def test_malformed_answers_a_body_that_is_not_json(client: TestClient) -> None:
    await _add(client, {"route": "/v1/trading/accounts/*/positions", "kind": "malformed"})
    response = await _get_positions(client)
    assert response.status == 200
    assert response.content_type == "application/json"
    text = await response.text()
    assert text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


async def test_count_limits_how_often_a_rule_fires(client: TestClient) -> None:
    rule = await _add(client, {"route": "/v1/trading/accounts/*/positions", "kind": "status",
                               "status": 503, "count": 2})  # fmt: skip
    statuses = [(await _get_positions(client)).status for _ in range(4)]
    assert statuses == [503, 503, 200, 200]
    listed = await (await client.get("/sandbox/faults", headers=HEADERS)).json()
    assert rule["id"] not in [r["id"] for r in listed]


async def test_count_shows_remaining_firings(client: TestClient) -> None:
    await _add(client, {"route": "/v1/trading/*", "kind": "status", "count": 3})
    await _get_positions(client)
    listed = await (await client.get("/sandbox/faults", headers=HEADERS)).json()
    assert listed[0]["count"] == 2


async def test_probability_zero_never_fires_and_half_fires_sometimes(client: TestClient) -> None:
    await _add(client, {"route": "/v1/trading/*", "kind": "status", "probability": 0.0})
    assert {(await _get_positions(client)).status for _ in range(10)} == {200}
    await client.delete("/sandbox/faults", headers=HEADERS)
    await _add(client, {"route": "/v1/trading/*", "kind": "status", "probability": 0.5})
    statuses = [(await _get_positions(client)).status for _ in range(40)]
    assert 5 < statuses.count(503) < 35
    assert statuses.count(200) == 40 - statuses.count(503)


async def test_method_restricts_the_rule(client: TestClient) -> None:
    await _add(client, {"route": "/v1/trading/*", "kind": "status", "method": "post"})
    assert (await _get_positions(client)).status == 200
    post = await client.post("/v1/trading/accounts/abc/positions", auth=BASIC)
    assert post.status == 503


async def test_route_pattern_only_matches_its_paths(client: TestClient) -> None:
    await _add(client, {"route": "/v1/trading/accounts/*/positions", "kind": "status"})
    assert (await client.get("/v2/stocks/bars", headers=HEADERS)).status == 200
    assert (await _get_positions(client, "any-account")).status == 503


async def test_delete_one_rule_and_clear_all(client: TestClient) -> None:
    first = await _add(client, {"route": "/v1/trading/*", "kind": "status"})
    await _add(client, {"route": "/v2/*", "kind": "status"})
    deleted = await client.delete(f"/sandbox/faults/{first['id']}", headers=HEADERS)
    assert deleted.status == 204
    assert (await client.delete(f"/sandbox/faults/{first['id']}", headers=HEADERS)).status == 404
    assert (await _get_positions(client)).status == 200
    assert (await client.get("/v2/stocks/bars", headers=HEADERS)).status == 503
    assert (await client.delete("/sandbox/faults", headers=HEADERS)).status == 204
    assert (await client.get("/v2/stocks/bars", headers=HEADERS)).status == 200
    assert await (await client.get("/sandbox/faults", headers=HEADERS)).json() == []


async def test_catch_all_rule_never_locks_out_the_control_routes(client: TestClient) -> None:
    await _add(client, {"route": "*", "kind": "drop"})
    listed = await client.get("/sandbox/faults", headers=HEADERS)
    assert listed.status == 200
    assert (await client.delete("/sandbox/faults", headers=HEADERS)).status == 204
    assert (await _get_positions(client)).status == 200


async def test_every_answer_carries_rate_limit_headers(client: TestClient) -> None:
    first = await _get_positions(client)
    second = await client.get("/v2/stocks/bars", headers=HEADERS)
    unauthorised = await client.get("/v2/stocks/bars")
    assert first.headers["X-RateLimit-Limit"] == second.headers["X-RateLimit-Limit"]
    assert int(second.headers["X-RateLimit-Remaining"]) == (
        int(first.headers["X-RateLimit-Remaining"]) - 1
    )
    assert second.headers["X-RateLimit-Reset"] == str((int(NOW.timestamp()) // 60 + 1) * 60)
    assert unauthorised.status == 401
    assert "X-RateLimit-Remaining" in unauthorised.headers


def test_stream_rules_match_by_path_and_event_only() -> None:
    table = FaultTable(seed=1)
    table.add({"route": "/v2/*", "kind": "error", "code": 406, "on": "auth", "count": 1})
    table.add({"route": "/v1beta3/crypto/us", "kind": "disconnect", "on": "data"})
    assert table.match_http("GET", "/v2/iex") is None
    assert table.match_stream("/v2/iex", "subscribe") is None
    fired = table.match_stream("/v2/iex", "auth")
    assert fired is not None
    assert (fired.kind, fired.code) == ("error", 406)
    assert table.match_stream("/v2/iex", "auth") is None  # count spent
    assert table.match_stream("/v2/sip", "data") is None
    dropped = table.match_stream("/v1beta3/crypto/us", "data")
    assert dropped is not None
    assert dropped.kind == "disconnect"


def test_http_rules_do_not_fire_on_streams() -> None:
    table = FaultTable(seed=1)
    table.add(FaultRule(route="*", kind="status"))
    assert table.match_stream("/v2/iex", "connect") is None
    assert table.match_http("get", "/v2/iex") is not None


def test_same_seed_gives_the_same_flaky_sequence() -> None:
    def run() -> list[bool]:
        table = FaultTable(seed=11)
        table.add({"route": "/x", "kind": "status", "probability": 0.3})
        return [table.match_http("GET", "/x") is not None for _ in range(50)]

    assert run() == run()
    assert any(run())
    assert not all(run())


def test_rule_validation_reports_a_reason() -> None:
    with pytest.raises(FaultRuleError, match="probability"):
        FaultRule.from_json({"route": "/x", "kind": "status", "probability": "high"})


@pytest.mark.parametrize("body", [b'{"a": 1}', b"[]", b"{}", b"", b'[{"t": "x"}]'])
def test_malformed_bodies_never_parse(body: bytes) -> None:
    with pytest.raises(ValueError, match=r".*"):
        json.loads(malformed(body))


async def test_faults_apply_on_the_real_sandbox(sandbox_server: RunningSandbox) -> None:
    config = sandbox_server.sandbox.config
    auth = aiohttp.BasicAuth(config.key, config.secret)
    base = sandbox_server.broker_url
    async with aiohttp.ClientSession(auth=auth) as session:
        async with session.post(
            f"{base}/sandbox/faults",
            json={"route": "/v1/clock", "kind": "status", "status": 502, "count": 1},
        ) as response:
            assert response.status == 201
        async with session.get(f"{base}/v1/clock") as response:
            assert response.status == 502
        async with session.get(f"{base}/v1/clock") as response:
            assert response.status == 200
            assert "X-RateLimit-Limit" in response.headers
        async with session.post(
            f"{base}/sandbox/faults", json={"route": "/v1/clock", "kind": "drop"}
        ) as response:
            assert response.status == 201
        # (no count: aiohttp silently retries an idempotent request once on a reused connection)
        with pytest.raises(aiohttp.ClientConnectionError):
            async with session.get(f"{base}/v1/clock") as response:
                await response.read()
        async with session.delete(f"{base}/sandbox/faults") as response:
            assert response.status == 204
        async with session.get(f"{base}/v1/clock") as response:
            assert response.status == 200
