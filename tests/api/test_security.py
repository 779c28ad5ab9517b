"""Every /api route needs credentials, and no route ever serves another account's data."""

from __future__ import annotations

from collections.abc import Callable

import jwt
import pytest
from aiohttp.test_utils import TestClient

from portfolio_rt.sandbox.world import Sandbox

Auth = Callable[..., dict[str, str]]
PUBLIC = ("/api/auth/login", "/api/auth/logout", "/api/openapi.json", "/api/asyncapi.json")
"""Logging in, logging out (done even without a session) and the published API documents."""


def api_routes(client: TestClient) -> list[tuple[str, str]]:
    out = []
    for route in client.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter", "")
        if path.startswith("/api/") and route.method != "HEAD":
            out.append((route.method, path.replace("{symbol_or_id}", "AAPL")))
    return sorted(set(out))


async def test_route_table_is_walked(api: TestClient) -> None:
    assert len(api_routes(api)) >= 10


async def test_every_api_route_but_login_is_401_without_credentials(api: TestClient) -> None:
    for method, path in api_routes(api):
        if path in PUBLIC:
            continue
        response = await api.request(method, path, json={})
        assert response.status == 401, (method, path, response.status)
        assert (await response.json())["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    "token",
    [
        "not-a-jwt",
        jwt.encode({"sub": "x", "account_id": "00000000-0000-0000-0000-000000000000"}, "k" * 40),
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    ],
)
async def test_forged_tokens_are_401_everywhere(api: TestClient, token: str) -> None:
    for method, path in api_routes(api):
        if path in PUBLIC:
            continue
        response = await api.request(method, path, headers={"Authorization": f"Bearer {token}"})
        assert response.status == 401, (method, path)


async def test_account_in_query_or_body_is_ignored(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    maya, jordan = shared_sandbox.personas["maya"], shared_sandbox.personas["jordan"]
    headers = auth_for(api, maya)
    own = await (await api.get("/api/portfolio/positions", headers=headers)).json()
    sneaky = await (
        await api.get(f"/api/portfolio/positions?account_id={jordan}", headers=headers)
    ).json()
    theirs = await (await api.get("/api/portfolio/positions", headers=auth_for(api, jordan))).json()
    assert {p["symbol"] for p in sneaky["positions"]} == {p["symbol"] for p in own["positions"]}
    assert {p["symbol"] for p in sneaky["positions"]} != {p["symbol"] for p in theirs["positions"]}


async def test_read_only_token_cannot_deposit(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    headers = auth_for(api, shared_sandbox.personas["maya"], False) | {
        "Idempotency-Key": "abcdefgh-1234"
    }
    response = await api.post(
        "/api/funds/deposits",
        json={"amount": "10.00", "relationship_id": "15ef9978-cb1e-4872-9565-bd0a720b8b76"},
        headers=headers,
    )
    assert response.status == 403
