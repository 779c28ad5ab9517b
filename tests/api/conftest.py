"""API fixtures: the service pointed at a served sandbox exactly as it would be at Alpaca."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import pytest
from aiohttp.test_utils import TestClient

from portfolio_rt.app import create_app
from portfolio_rt.auth.tokens import ALL_SCOPES, READ
from portfolio_rt.config import Settings, load_settings
from portfolio_rt.sandbox.app import RunningSandbox
from portfolio_rt.state import TOKENS
from tests.conftest import SANDBOX_KEY, SANDBOX_SECRET

SIGNING_SECRET = "test-signing-secret-" + "x" * 32

AuthHeaders = Callable[..., dict[str, str]]


def service_settings(tmp_path: Path, running: RunningSandbox, extra: str = "") -> Settings:
    stream_base = running.stream_url.rsplit("/v2/", 1)[0]
    (tmp_path / "config.toml").write_text(
        f"""
[alpaca]
mode = "alpaca"
broker_url = "{running.broker_url}"
data_url = "{running.data_url}"
stream_url = "{stream_base}"
[broker]
retry_base_delay_s = 0.01
retry_max_delay_s = 0.05
{extra}
""",
        encoding="utf-8",
    )
    env = {
        "ALPACA_BROKER_API_KEY": SANDBOX_KEY,
        "ALPACA_BROKER_SECRET_KEY": SANDBOX_SECRET,
        "PORTFOLIO_RT_SECRET": SIGNING_SECRET,
    }
    return load_settings(tmp_path / "config.toml", env=env)


@pytest.fixture
async def api(aiohttp_client, tmp_path, sandbox_server) -> TestClient:  # type: ignore[no-untyped-def]
    """The service on the shared sandbox world (read-only tests)."""
    return await aiohttp_client(create_app(service_settings(tmp_path, sandbox_server)))


@pytest.fixture
async def fresh_api(aiohttp_client, tmp_path, fresh_sandbox_server) -> TestClient:  # type: ignore[no-untyped-def]
    """The service on a sandbox world of its own (tests that move money)."""
    return await aiohttp_client(create_app(service_settings(tmp_path, fresh_sandbox_server)))


@pytest.fixture
def auth_for() -> Callable[[TestClient, UUID, bool], dict[str, str]]:
    """Bearer headers for an account, minted as the service's own login would."""

    def make(client: TestClient, account_id: UUID, write: bool = True) -> dict[str, str]:
        token, _ = client.app[TOKENS].mint(
            account_id=account_id,
            subject="test",
            scopes=ALL_SCOPES if write else frozenset({READ}),
            ttl_s=600,
        )
        return {"Authorization": f"Bearer {token}"}

    return make
