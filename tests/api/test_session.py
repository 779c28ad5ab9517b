"""Logging in and out as a demo user, against the service's own embedded sandbox."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from portfolio_rt.state import RUNTIME
from tests.fixtures.service import SandboxService


@pytest.fixture
async def demo(sandbox_service: SandboxService) -> TestClient:
    return await sandbox_service(auth={"login_max_failures": 3}, sandbox={"transfer_delay_s": 0.5})


async def login(client: TestClient, username: str = "maya", password: str = "demo", **kw):  # type: ignore[no-untyped-def]
    return await client.post(
        "/api/auth/login", json={"username": username, "password": password}, **kw
    )


async def test_login_returns_token_and_strict_httponly_cookie(demo: TestClient) -> None:
    response = await login(demo)
    assert response.status == 200
    body = await response.json()
    sandbox = demo.app[RUNTIME].sandbox
    assert sandbox is not None
    assert body["account_id"] == str(sandbox.sandbox.personas["maya"])
    assert body["token"]
    assert body["expires_at"].endswith("Z")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie


async def test_cookie_session_reads_the_portfolio(demo: TestClient) -> None:
    await login(demo, "jordan")
    response = await demo.get("/api/portfolio/summary")
    assert response.status == 200


async def test_bearer_token_from_login_reads_the_portfolio(demo: TestClient) -> None:
    token = (await (await login(demo, "sam")).json())["token"]
    demo.session.cookie_jar.clear()
    response = await demo.get(
        "/api/portfolio/positions", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200


@pytest.mark.parametrize(
    ("username", "password"), [("maya", "wrong"), ("nobody", "demo"), ("MAYA", "Demo")]
)
async def test_wrong_credentials_are_401(demo: TestClient, username: str, password: str) -> None:
    response = await login(demo, username, password)
    assert response.status == 401
    assert (await response.json())["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    "body", [{}, {"username": "maya"}, {"username": 5, "password": "demo"}, [1, 2]]
)
async def test_malformed_login_is_400(demo: TestClient, body: object) -> None:
    response = await demo.post("/api/auth/login", json=body)
    assert response.status == 400


async def test_non_json_login_is_400(demo: TestClient) -> None:
    response = await demo.post(
        "/api/auth/login", data=b"username=maya", headers={"Content-Type": "application/json"}
    )
    assert response.status == 400


async def test_repeated_failures_are_slowed_with_429(demo: TestClient) -> None:
    for _ in range(3):
        assert (await login(demo, "pat", "guess")).status == 401
    response = await login(demo, "pat", "demo")  # even the right password must wait
    assert response.status == 429
    assert int(response.headers["Retry-After"]) > 0


async def test_login_from_another_site_is_refused(demo: TestClient) -> None:
    response = await login(demo, headers={"Origin": "https://evil.example"})
    assert response.status == 403


async def test_cookie_write_from_another_site_is_refused(demo: TestClient) -> None:
    await login(demo)
    response = await demo.post(
        "/api/funds/bank-accounts",
        json={"owner_name": "x"},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status == 403


async def test_logout_ends_the_session(demo: TestClient) -> None:
    token = (await (await login(demo)).json())["token"]
    response = await demo.post("/api/auth/logout")
    assert response.status == 200
    assert (await demo.get("/api/portfolio/summary")).status == 401
    reused = await demo.get("/api/portfolio/summary", headers={"Authorization": f"Bearer {token}"})
    assert reused.status == 401


@pytest.fixture
async def proxied(sandbox_service: SandboxService) -> TestClient:
    return await sandbox_service(
        server={"trust_forwarded_headers": True, "allowed_hosts": ["app.example"]}
    )


async def test_behind_a_trusted_tls_proxy_the_cookie_is_secure_and_origin_matches(
    proxied: TestClient,
) -> None:
    forwarded = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "app.example",
        "Origin": "https://app.example",
    }
    response = await login(proxied, headers=forwarded)
    assert response.status == 200
    assert "Secure" in response.headers["Set-Cookie"]


async def test_forwarded_headers_are_ignored_unless_trusted(demo: TestClient) -> None:
    forwarded = {
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "app.example",
        "Origin": "https://app.example",
    }
    response = await login(demo, headers=forwarded)
    assert response.status == 403
