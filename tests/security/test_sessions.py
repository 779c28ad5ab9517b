"""Sessions that really end: a logout, "log out everywhere" and a token's expiry end REST
access and close the live socket (4401), on every instance, and across restarts; every token
has an id and a capped lifetime; a guessable signing secret stops start-up."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path
from uuid import UUID

import jwt
import pytest
from aiohttp import WSMsgType, WSServerHandshakeError
from aiohttp.test_utils import TestClient

from portfolio_rt.app import create_app
from portfolio_rt.auth.tokens import ALL_SCOPES, READ
from portfolio_rt.sandbox.app import RunningSandbox
from portfolio_rt.sandbox.world import Sandbox
from portfolio_rt.state import SETTINGS, TOKENS
from tests.fixtures.live import LIVE, Live, next_message
from tests.fixtures.redis import RedisServer
from tests.fixtures.settings import SIGNING_SECRET, merged, service_settings

SUMMARY = "/api/portfolio/summary"
ROOT = Path(__file__).resolve().parents[2]


def mint(client: TestClient, account: UUID, ttl_s: int = 600, scopes=ALL_SCOPES) -> str:  # type: ignore[no-untyped-def]
    token, _ = client.app[TOKENS].mint(
        account_id=account, subject="test", scopes=scopes, ttl_s=ttl_s
    )
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def status_of(client: TestClient, token: str) -> int:
    async with client.get(SUMMARY, headers=bearer(token)) as response:
        return response.status


async def open_socket(client: TestClient, account: UUID, token: str):  # type: ignore[no-untyped-def]
    ws = await client.ws_connect(f"/ws/portfolio/{account}", headers=bearer(token))
    assert (await next_message(ws))["type"] == "snapshot"
    return ws


async def closed_with(ws, within_s: float = 5.0) -> int | None:  # type: ignore[no-untyped-def]
    """Read until the server closes the socket; its close code."""
    async with asyncio.timeout(within_s):
        while True:
            msg = await ws.receive()
            if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING):
                return ws.close_code  # type: ignore[no-any-return]


async def test_a_logout_closes_the_sessions_open_socket(live: Live) -> None:
    """The finding: after a logout REST answered 401, yet the open socket kept pushing."""
    maya = live.sandbox.personas["maya"]
    token, other = mint(live.client, maya), mint(live.client, maya)
    ws = await open_socket(live.client, maya, token)
    ws_other = await open_socket(live.client, maya, other)
    async with live.client.post("/api/auth/logout", headers=bearer(token)) as response:
        assert (await response.json())["sessions_ended"] == 1
    assert await closed_with(ws) == 4401
    assert await status_of(live.client, token) == 401
    # Another session of the same account goes on.
    await ws_other.send_json({"type": "snapshot"})
    assert (await next_message(ws_other))["type"] == "snapshot"
    await ws_other.close()


async def test_a_socket_is_closed_when_its_token_expires(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    token = mint(live.client, maya, ttl_s=2)
    ws = await open_socket(live.client, maya, token)
    started = time.monotonic()
    assert await closed_with(ws, within_s=8) == 4401
    assert time.monotonic() - started < 4


async def test_a_socket_whose_session_ended_before_the_upgrade_is_refused(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    token = mint(live.client, maya)
    live.client.app[TOKENS].revoke(token)
    with pytest.raises(WSServerHandshakeError) as refused:
        await live.client.ws_connect(f"/ws/portfolio/{maya}", headers=bearer(token))
    assert refused.value.status == 401
    ws = await live.client.ws_connect(f"/ws/portfolio/{maya}")
    await ws.send_json({"type": "auth", "token": token})
    assert (await next_message(ws))["type"] == "error"
    assert await closed_with(ws) == 4401


async def test_log_out_everywhere_ends_every_session_of_the_account_only(live: Live) -> None:
    maya, jordan = live.sandbox.personas["maya"], live.sandbox.personas["jordan"]
    phone, laptop = mint(live.client, maya), mint(live.client, maya)
    theirs = mint(live.client, jordan)
    sockets = [await open_socket(live.client, maya, t) for t in (phone, laptop)]
    jordan_ws = await open_socket(live.client, jordan, theirs)

    async with live.client.post("/api/auth/logout-everywhere", headers=bearer(phone)) as r:
        assert r.status == 200
        assert (await r.json())["everywhere"] is True
    for ws in sockets:
        assert await closed_with(ws) == 4401
    assert await status_of(live.client, phone) == 401
    assert await status_of(live.client, laptop) == 401
    assert await status_of(live.client, theirs) == 200
    await jordan_ws.send_json({"type": "snapshot"})
    assert (await next_message(jordan_ws))["type"] == "snapshot"
    await jordan_ws.close()
    # Logging in again right away is a new session that works.
    assert await status_of(live.client, mint(live.client, maya)) == 200


async def test_log_out_everywhere_needs_the_write_scope(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    script = mint(live.client, maya, scopes=frozenset({READ}))
    async with live.client.post("/api/auth/logout-everywhere", headers=bearer(script)) as r:
        assert r.status == 403
    assert await status_of(live.client, script) == 200


async def test_a_token_without_an_id_is_refused_at_rest_and_at_the_socket(live: Live) -> None:
    """Such a token could never be logged out, yet logout used to answer `logged_out: true`."""
    maya = live.sandbox.personas["maya"]
    auth = live.client.app[SETTINGS].auth
    now = time.time()  # after the service started: its start ends tokens issued before it
    claims = {
        "sub": "script",
        "iss": auth.issuer,
        "aud": auth.audience,
        "iat": now,
        "exp": int(now) + 600,
        auth.account_claim: str(maya),
    }
    no_id = jwt.encode(claims, SIGNING_SECRET, algorithm="HS256")
    assert await status_of(live.client, no_id) == 401
    with pytest.raises(WSServerHandshakeError) as refused:
        await live.client.ws_connect(f"/ws/portfolio/{maya}", headers=bearer(no_id))
    assert refused.value.status == 401
    with_id = jwt.encode(claims | {"jti": "x1"}, SIGNING_SECRET, algorithm="HS256")
    assert await status_of(live.client, with_id) == 200
    long_lived = claims | {"jti": "x2", "exp": int(now) + 36500 * 86400}
    assert await status_of(live.client, jwt.encode(long_lived, SIGNING_SECRET)) == 401


def test_the_token_command_refuses_a_lifetime_beyond_the_cap() -> None:
    env = {"PORTFOLIO_RT_SECRET": SIGNING_SECRET, "PATH": "/usr/bin:/bin"}
    account = "2a87c088-ffb6-472b-a4a3-cd9305c8605c"
    command = [sys.executable, "-m", "portfolio_rt", "token", "--account", account]
    refused = subprocess.run(  # noqa: S603 - fixed argument list
        [*command, "--ttl", "36500d"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert refused.returncode == 2
    assert "at most 30 days" in refused.stderr
    assert not refused.stdout
    made = subprocess.run(  # noqa: S603 - fixed argument list
        [*command, "--ttl", "7d"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.count(".") == 2  # one JWT


def test_a_guessable_signing_secret_stops_start_up() -> None:
    env = {
        "PORTFOLIO_RT_SECRET": "a" * 32,
        "ALPACA_BROKER_API_KEY": "k",
        "ALPACA_BROKER_SECRET_KEY": "s",
        "PORTFOLIO_RT__SERVER__PORT": "0",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-m", "portfolio_rt"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "PORTFOLIO_RT_SECRET: too easy to guess" in done.stderr
    assert "a" * 32 not in done.stderr


# -- restarts ---------------------------------------------------------------------------------


async def start(aiohttp_client, running: RunningSandbox, **sections) -> TestClient:  # type: ignore[no-untyped-def]
    client: TestClient = await aiohttp_client(
        create_app(service_settings(running, **merged(LIVE, sections)))
    )
    return client


async def test_without_redis_or_a_file_a_restart_ends_every_earlier_session(
    aiohttp_client, live_sandbox: tuple[Sandbox, RunningSandbox]
) -> None:  # type: ignore[no-untyped-def]
    """The finding: a logged-out token worked again after a restart with the same secret."""
    sandbox, running = live_sandbox
    maya = sandbox.personas["maya"]
    first = await start(aiohttp_client, running)
    logged_out, kept = mint(first, maya), mint(first, maya)
    await first.post("/api/auth/logout", headers=bearer(logged_out))
    await first.close()

    second = await start(aiohttp_client, running)
    assert await status_of(second, logged_out) == 401
    assert await status_of(second, kept) == 401  # nothing could say it was not logged out
    assert await status_of(second, mint(second, maya)) == 200


async def test_with_a_revocations_file_logouts_survive_a_restart_and_sessions_go_on(
    aiohttp_client, live_sandbox: tuple[Sandbox, RunningSandbox], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    sandbox, running = live_sandbox
    maya = sandbox.personas["maya"]
    kept_file = {"auth": {"revocations_file": str(tmp_path / "state" / "ended.jsonl")}}
    first = await start(aiohttp_client, running, **kept_file)
    logged_out, kept, also_kept = (mint(first, maya) for _ in range(3))
    jordan = sandbox.personas["jordan"]
    jordan_old = mint(first, jordan)
    await first.post("/api/auth/logout", headers=bearer(logged_out))
    await first.post("/api/auth/logout-everywhere", headers=bearer(mint(first, jordan)))
    await first.close()

    second = await start(aiohttp_client, running, **kept_file)
    assert await status_of(second, logged_out) == 401
    assert await status_of(second, jordan_old) == 401
    assert await status_of(second, kept) == 200
    assert await status_of(second, also_kept) == 200


# -- several instances ------------------------------------------------------------------------


async def test_a_logout_on_one_instance_closes_the_socket_on_another(
    aiohttp_client, live_sandbox: tuple[Sandbox, RunningSandbox], redis: RedisServer
) -> None:  # type: ignore[no-untyped-def]
    sandbox, running = live_sandbox
    maya, jordan = sandbox.personas["maya"], sandbox.personas["jordan"]
    shared = {"redis": {"url": redis.url}}
    first = await start(aiohttp_client, running, **shared)
    second = await start(aiohttp_client, running, **shared)
    token, everywhere = mint(first, maya), mint(first, jordan)
    ws = await open_socket(second, maya, token)
    jordan_ws = await open_socket(second, jordan, everywhere)

    await first.post("/api/auth/logout", headers=bearer(token))
    assert await closed_with(ws) == 4401
    await first.post("/api/auth/logout-everywhere", headers=bearer(mint(first, jordan)))
    assert await closed_with(jordan_ws) == 4401
    assert await status_of(second, everywhere) == 401


async def test_logouts_outlive_a_redis_restart_that_lost_them(
    aiohttp_client, live_sandbox: tuple[Sandbox, RunningSandbox], redis: RedisServer
) -> None:  # type: ignore[no-untyped-def]
    """Redis restarted without its data: the instances that lived through it write their
    logouts back, so an instance started afterwards still refuses them."""
    sandbox, running = live_sandbox
    maya = sandbox.personas["maya"]
    shared = {"redis": {"url": redis.url}}
    first = await start(aiohttp_client, running, **shared)
    token = mint(first, maya)
    await first.post("/api/auth/logout", headers=bearer(token))
    redis.stop()
    redis.start()  # empty: no persistence
    late = await start(aiohttp_client, running, **shared)
    async with asyncio.timeout(10):
        while await status_of(late, token) != 401:  # noqa: ASYNC110 - other instances' work
            await asyncio.sleep(0.1)
    assert await status_of(first, token) == 401
