"""Fixtures shared by the whole suite: a sandbox world and a served sandbox."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator

import pytest

from portfolio_rt.sandbox.app import RunningSandbox, serve_sandbox
from portfolio_rt.sandbox.settings import SandboxConfig
from portfolio_rt.sandbox.world import Sandbox
from tests.redis_server import redis_server

TOOLS = {"chromium": "/usr/bin/chromium", "redis-server": "redis-server", "node": "node"}


def pytest_report_header() -> list[str]:
    """The Debian programs this run uses, beside the locked Python packages (README)."""
    versions = []
    for name, program in TOOLS.items():
        path = shutil.which(program)
        if path is None:
            versions.append(f"{name} missing")
            continue
        done = subprocess.run(  # noqa: S603 - a fixed program's --version
            [path, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
        first = (done.stdout.strip().splitlines() or ["?"])[0]
        versions.append(first if name.split("-")[0] in first.lower() else f"{name} {first}")
    return ["programs: " + "; ".join(versions)]


SANDBOX_KEY = "test-key"
SANDBOX_SECRET = "test-secret"


def sandbox_config(**changes: object) -> SandboxConfig:
    """The configuration tests use: always-open market, quick transfers, fixed seed."""
    base = {
        "key": SANDBOX_KEY,
        "secret": SANDBOX_SECRET,
        "seed": 7,
        "market_hours": "always_open",
        "trades_per_second": 200.0,
        "transfer_delay_s": 0.5,
    }
    return SandboxConfig(**(base | changes))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def shared_sandbox() -> Sandbox:
    """One sandbox world built once per session; tests that change it use `fresh_sandbox`."""
    return Sandbox.build(sandbox_config())


@pytest.fixture
def fresh_sandbox() -> Sandbox:
    """A sandbox world of its own, for tests that deposit, trade or inject faults."""
    return Sandbox.build(sandbox_config())


@pytest.fixture
async def sandbox_server(shared_sandbox: Sandbox) -> AsyncIterator[RunningSandbox]:
    """The shared world served on a free loopback port for this test."""
    shared_sandbox.faults.clear()
    async with serve_sandbox(shared_sandbox) as running:
        yield running


@pytest.fixture
async def fresh_sandbox_server(fresh_sandbox: Sandbox) -> AsyncIterator[RunningSandbox]:
    """A world of its own served on a free loopback port for this test."""
    async with serve_sandbox(fresh_sandbox) as running:
        yield running


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server of the test session's own (never the machine's standard one)."""
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server.url
