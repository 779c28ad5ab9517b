"""Logins as an attacker and a user meet them: wrong passwords lock out one (user, address)
pair and never the user everywhere; guessing from one address and logging in too often from it
are stopped; every failure and refusal is logged with user and address for investigation."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from tests.fixtures.logs import CapturedLogs
from tests.fixtures.service import SandboxService


@pytest.fixture
async def demo(sandbox_service: SandboxService) -> TestClient:
    """Sandbox mode behind a trusted proxy, so each test can speak from several addresses."""
    return await sandbox_service(
        server={"trust_forwarded_headers": True},
        auth={
            "login_max_failures": 3,
            "login_address_max_failures": 6,
            "login_max_per_address": 4,
            "login_slowdown_max_s": 0,
        },
        sandbox={"trades_per_second": 0},
    )


async def login(client: TestClient, username: str, password: str, address: str) -> int:
    async with client.post(
        "/api/auth/login",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": f"203.0.113.250, {address}"},
    ) as response:
        return response.status


async def test_an_attacker_cannot_lock_a_user_out(demo: TestClient) -> None:
    """The finding: five wrong passwords for a username from anywhere locked that user out
    for everyone for five minutes."""
    attacker, maya_at_home = "198.51.100.66", "192.0.2.10"
    for _ in range(3):
        assert await login(demo, "maya", "guess", attacker) == 401
    assert await login(demo, "maya", "demo", attacker) == 429  # even the right password
    assert await login(demo, "maya", "demo", maya_at_home) == 200


async def test_guessing_across_accounts_from_one_address_is_stopped(demo: TestClient) -> None:
    attacker = "198.51.100.67"
    for name in ("maya", "jordan", "sam", "alex", "pat", "nobody"):
        assert await login(demo, name, "guess", attacker) == 401
    assert await login(demo, "someone", "guess", attacker) == 429
    assert await login(demo, "jordan", "demo", "192.0.2.11") == 200


async def test_successful_logins_from_one_address_are_limited(demo: TestClient) -> None:
    for _ in range(4):
        assert await login(demo, "sam", "demo", "192.0.2.12") == 200
    assert await login(demo, "sam", "demo", "192.0.2.12") == 429
    assert await login(demo, "sam", "demo", "192.0.2.13") == 200


async def test_failures_and_refusals_are_logged_with_user_and_address(
    demo: TestClient, captured_logs: CapturedLogs
) -> None:
    for _ in range(4):
        await login(demo, "alex", "guess", "198.51.100.68")
    lines = captured_logs.lines()
    failed = [line for line in lines if line["event"] == "auth.login_failed"]
    throttled = [line for line in lines if line["event"] == "auth.login_throttled"]
    assert [line["failures"] for line in failed] == [1, 2, 3]
    assert {(line["user"], line["address"]) for line in failed} == {("alex", "198.51.100.68")}
    assert throttled[0]["reason"] == "user_and_address"
    assert throttled[0]["address"] == "198.51.100.68"
    assert "guess" not in captured_logs.getvalue()  # the password is never logged
