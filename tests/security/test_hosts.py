"""DNS rebinding and cross-site requests: the service answers only for its own host names,
and a cookie logout must come from its own page."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from portfolio_rt.api.identity import host_allowed
from tests.fixtures.service import SandboxService


@pytest.fixture
async def demo(sandbox_service: SandboxService) -> TestClient:
    return await sandbox_service(
        server={"allowed_hosts": ["localhost", "portfolio.example.com", "*.corp.example"]},
        sandbox={"trades_per_second": 0},
    )


def login_body() -> dict[str, str]:
    return {"username": "maya", "password": "demo"}


async def test_a_rebound_host_name_cannot_drive_an_internal_instance(demo: TestClient) -> None:
    """The finding: same-origin checks trusted Host, so a page at http://evil.example:PORT
    whose name now points at the instance could log in as a demo user and move money."""
    port = demo.server.port
    rebound = {"Host": f"evil.example:{port}", "Origin": f"http://evil.example:{port}"}
    response = await demo.post("/api/auth/login", json=login_body(), headers=rebound)
    assert response.status == 400
    body = await response.json()
    assert body["error"]["details"] == {"header": "Host"}
    assert (await demo.get("/api/openapi.json", headers=rebound)).status == 400
    assert (await demo.get("/", headers=rebound)).status == 400


@pytest.mark.parametrize(
    "host",
    ["localhost:{port}", "127.0.0.1:{port}", "portfolio.example.com", "app.corp.example:443"],
)
async def test_configured_names_and_addresses_are_answered(demo: TestClient, host: str) -> None:
    headers = {"Host": host.format(port=demo.server.port)}
    response = await demo.post("/api/auth/login", json=login_body(), headers=headers)
    assert response.status == 200, await response.text()


async def test_probes_answer_for_any_host(demo: TestClient) -> None:
    """Orchestrators address an instance by whatever name they have for it."""
    headers = {"Host": "pod-17.internal"}
    assert (await demo.get("/health", headers=headers)).status == 200
    assert (await demo.get("/ready", headers=headers)).status in (200, 503)


def test_host_matching() -> None:
    allowed = ("localhost", "*.corp.example")
    assert host_allowed("LOCALHOST:8080", allowed)
    assert host_allowed("[::1]:8080", allowed)
    assert host_allowed("10.1.2.3", allowed)
    assert host_allowed("a.b.corp.example", allowed)
    assert not host_allowed("corp.example", allowed)
    assert not host_allowed("evilcorp.example", allowed)
    assert not host_allowed("localhost.evil.example", allowed)
    assert not host_allowed("", allowed)
    assert host_allowed("anything.example", ("*",))


async def test_a_cookie_logout_from_another_site_is_refused(demo: TestClient) -> None:
    assert (await demo.post("/api/auth/login", json=login_body())).status == 200
    response = await demo.post("/api/auth/logout", headers={"Origin": "https://evil.example"})
    assert response.status == 403
    assert (await demo.get("/api/portfolio/summary")).status == 200  # still logged in
    assert (await demo.post("/api/auth/logout")).status == 200
    assert (await demo.get("/api/portfolio/summary")).status == 401
