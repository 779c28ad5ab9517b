"""Every response carries the baseline security headers; account data is never cached."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiohttp.test_utils import TestClient

from portfolio_rt.sandbox.world import Sandbox

Auth = Callable[..., dict[str, str]]
BASELINE = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def assert_baseline(response) -> None:  # type: ignore[no-untyped-def]
    for name, value in BASELINE.items():
        assert response.headers.get(name) == value, (response.url, name)
    assert response.headers.get("X-Request-ID")


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health", 200),
        ("GET", "/metrics", 200),
        ("GET", "/api/portfolio/summary", 401),
        ("GET", "/api/no-such-route", 404),
        ("DELETE", "/health", 405),
    ],
)
async def test_baseline_headers_on_json_and_errors(
    api: TestClient, method: str, path: str, status: int
) -> None:
    response = await api.request(method, path)
    assert response.status == status
    assert_baseline(response)


async def test_account_data_is_not_cacheable(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    headers = auth_for(api, shared_sandbox.personas["maya"])
    for path in ("/api/portfolio/summary", "/api/portfolio/positions", "/api/funds/transfers"):
        response = await api.get(path, headers=headers)
        assert response.status == 200
        assert response.content_type == "application/json"
        assert_baseline(response)
        assert response.headers["Cache-Control"] == "no-store"


async def test_the_page_has_a_content_security_policy(api: TestClient) -> None:
    response = await api.get("/")
    assert response.status == 200
    assert_baseline(response)
    policy = response.headers["Content-Security-Policy"]
    assert "default-src" in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[-1].split(";", 1)[0]
