"""Three service processes on one Redis behind no balancer at all: clients on each, the stream
leader killed, updates resume everywhere within 10 s; Redis restarted, the service recovers.

Everything is a real process: a standalone sandbox (one stream connection per key, like
Alpaca), a throwaway redis-server on a free port, and three `python -m portfolio_rt`.
"""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from aiohttp import ClientSession, ClientWebSocketResponse, WSMsgType

from portfolio_rt.auth.tokens import READ, TokenService
from portfolio_rt.config import AuthSettings
from tests.fixtures.redis import RedisServer, free_port
from tests.fixtures.settings import SIGNING_SECRET

ROOT = Path(__file__).resolve().parents[2]
KEY, SECRET = "scaleout-key", "scaleout-secret"
TAKEOVER_S = 10.0

pytestmark = pytest.mark.slow


@dataclass
class Process:
    name: str
    port: int
    popen: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Client:
    """One live socket and every message it got, with the wall time it arrived."""

    instance: Process
    ws: ClientWebSocketResponse
    messages: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def updates_since(self, t: float) -> list[dict[str, Any]]:
        return [m for at, m in self.messages if at > t and m.get("type") == "update"]


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, *args], cwd=log.parent, env=env, stdout=out, stderr=subprocess.STDOUT
        )


async def _wait_http(session: ClientSession, url: str, within_s: float = 60.0) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            async with session.get(url) as response:
                if response.status < 500:
                    return
        except OSError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"{url} did not come up")


async def _wait_ready(session: ClientSession, url: str, within_s: float = 90.0) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            async with session.get(url) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"{url} did not become ready")


@pytest.fixture
async def cluster(
    tmp_path: Path, redis: RedisServer
) -> AsyncIterator[tuple[Process, list[Process]]]:
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    sandbox_port = free_port()
    sandbox = Process(
        "sandbox",
        sandbox_port,
        _spawn(
            [
                "-m", "portfolio_rt.sandbox",
                "--port", str(sandbox_port),
                "--key", KEY,
                "--secret", SECRET,
                "--trades-per-second", "400",
            ],
            env,
            tmp_path / "sandbox.log",
        ),
    )  # fmt: skip
    base = f"http://127.0.0.1:{sandbox_port}"
    service_env = env | {
        "ALPACA_BROKER_API_KEY": KEY,
        "ALPACA_BROKER_SECRET_KEY": SECRET,
        "PORTFOLIO_RT_SECRET": SIGNING_SECRET,
        "PORTFOLIO_RT__ALPACA__MODE": "alpaca",
        "PORTFOLIO_RT__ALPACA__BROKER_URL": base,
        "PORTFOLIO_RT__ALPACA__DATA_URL": base,
        "PORTFOLIO_RT__ALPACA__STREAM_URL": f"ws://127.0.0.1:{sandbox_port}",
        "PORTFOLIO_RT__REDIS__URL": redis.url,
        "PORTFOLIO_RT__REALTIME__LEASE_TTL_S": "2",
        "PORTFOLIO_RT__REALTIME__PUSH_INTERVAL_S": "0.25",
        "PORTFOLIO_RT__REALTIME__COLLECTOR_INTERVAL_S": "30",
        "PORTFOLIO_RT__STREAM__RECONNECT_BASE_DELAY_S": "0.1",
        "PORTFOLIO_RT__STREAM__RECONNECT_MAX_DELAY_S": "1",
        "PORTFOLIO_RT__STREAM__CONNECTION_LIMIT_DELAY_S": "0.5",
        "PORTFOLIO_RT__LOG__FORMAT": "json",
    }
    instances = []
    for n in range(3):
        port = free_port()
        work = tmp_path / f"instance-{n}"
        work.mkdir()
        args = ["-m", "portfolio_rt", "--host", "127.0.0.1", "--port", str(port)]
        instances.append(Process(f"i{n}", port, _spawn(args, service_env, work / "service.log")))
    try:
        async with ClientSession() as session:
            await _wait_http(session, f"{base}/v1/clock")
            for instance in instances:
                await _wait_http(session, f"{instance.url}/health")
            for instance in instances:  # each has reached the broker and the stream
                await _wait_ready(session, f"{instance.url}/ready")
        yield sandbox, instances
    finally:
        for process in [*instances, sandbox]:
            process.stop()


async def _role(session: ClientSession, instance: Process) -> str | None:
    try:
        async with session.get(f"{instance.url}/ready") as response:
            body = await response.json()
    except OSError:
        return None
    role = body["checks"]["stream"].get("role")
    return str(role) if role is not None else None


async def _busiest_account(session: ClientSession, sandbox: Process) -> UUID:
    """The account holding the most symbols: its value moves on nearly every push."""
    auth = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
    async with session.get(
        f"{sandbox.url}/v1/accounts/positions",
        params={"page": "1"},
        headers={"Authorization": f"Basic {auth}"},
    ) as response:
        body = await response.json()
    return UUID(max(body["positions"], key=lambda a: len(body["positions"][a])))


async def _read(client: Client) -> None:
    async for msg in client.ws:
        if msg.type is WSMsgType.TEXT:
            client.messages.append((time.time(), msg.json()))


async def _until(check: Any, within_s: float, what: str) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > within_s:
            raise AssertionError(f"{what}: not within {within_s} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def test_updates_survive_the_leader_dying_and_redis_restarting(
    cluster: tuple[Process, list[Process]], redis: RedisServer
) -> None:
    sandbox, instances = cluster
    tokens = TokenService(AuthSettings(), SIGNING_SECRET)
    async with ClientSession() as session:
        account = await _busiest_account(session, sandbox)
        token, _ = tokens.mint(
            account_id=account, subject="scaleout", scopes=frozenset({READ}), ttl_s=600
        )
        clients = []
        for instance in instances:
            ws = await session.ws_connect(
                f"{instance.url}/ws/portfolio/{account}",
                headers={"Authorization": f"Bearer {token}"},
            )
            clients.append(Client(instance, ws))
        readers = [asyncio.create_task(_read(c)) for c in clients]
        try:
            await _until(
                lambda: all(c.updates_since(0) for c in clients), 90, "first updates everywhere"
            )
            roles = {i.name: await _role(session, i) for i in instances}
            assert sorted(roles.values()) == ["follower", "follower", "leader"], roles
            leader = next(i for i in instances if roles[i.name] == "leader")

            # the leader dies without a word: its lease must expire and move
            leader.kill()
            killed_at = time.time()
            survivors = [c for c in clients if c.instance is not leader]
            fresh = killed_at + 1.0  # past anything the survivors had in flight
            took = await _until(
                lambda: all(c.updates_since(fresh) for c in survivors),
                TAKEOVER_S,
                "updates on every surviving instance after the leader died",
            )
            roles = {i.name: await _role(session, i) for i in instances if i is not leader}
            assert sorted(roles.values()) == ["follower", "leader"], roles
            assert took + 1.0 < TAKEOVER_S

            # Redis goes away and comes back on the same port, empty
            redis.stop()
            await asyncio.sleep(1.0)
            redis.start()
            restarted_at = time.time()
            await _until(
                lambda: all(c.updates_since(restarted_at + 1.0) for c in survivors),
                20,
                "updates on every surviving instance after Redis restarted",
            )
            roles = {i.name: await _role(session, i) for i in instances if i is not leader}
            assert sorted(roles.values()) == ["follower", "leader"], roles
        finally:
            for task in readers:
                task.cancel()
            await asyncio.gather(*readers, return_exceptions=True)
            for client in clients:
                await client.ws.close()
