"""Who may open a live socket: credentials at the upgrade or in a first message, only for
their own account, only from an allowed origin."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiohttp import WSMsgType, WSServerHandshakeError

from portfolio_rt.state import SETTINGS
from tests.fixtures.live import Live, next_message


async def test_bearer_at_upgrade_gets_a_snapshot(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    ws = await live.socket(maya)
    assert (await next_message(ws))["type"] == "snapshot"
    await ws.close()


async def test_session_cookie_at_upgrade_gets_a_snapshot(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    cookie = live.client.app[SETTINGS].auth.cookie_name
    headers = {"Cookie": f"{cookie}={live.token(maya)}"}
    ws = await live.socket(maya, headers=headers)
    assert (await next_message(ws))["type"] == "snapshot"
    await ws.close()


async def test_first_message_auth_gets_a_snapshot(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    ws = await live.client.ws_connect(f"/ws/portfolio/{maya}")
    await ws.send_json({"type": "auth", "token": live.token(maya)})
    snapshot = await next_message(ws)
    assert snapshot["type"] == "snapshot"
    assert snapshot["account_id"] == str(maya)
    await ws.close()


async def test_another_account_at_upgrade_is_403(live: Live) -> None:
    maya, jordan = live.sandbox.personas["maya"], live.sandbox.personas["jordan"]
    with pytest.raises(WSServerHandshakeError) as refused:
        await live.socket(jordan, headers=live.bearer(maya))
    assert refused.value.status == 403


async def test_another_account_by_message_is_closed_4403(live: Live) -> None:
    maya, jordan = live.sandbox.personas["maya"], live.sandbox.personas["jordan"]
    ws = await live.client.ws_connect(f"/ws/portfolio/{jordan}")
    await ws.send_json({"type": "auth", "token": live.token(maya)})
    error = await next_message(ws)
    assert error["type"] == "error"
    closed = await ws.receive(timeout=5)
    assert closed.type is WSMsgType.CLOSE
    assert ws.close_code == 4403


async def test_invalid_token_message_is_closed_4401(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    ws = await live.client.ws_connect(f"/ws/portfolio/{maya}")
    await ws.send_json({"type": "auth", "token": "not-a-token"})
    assert (await next_message(ws))["code"] == "unauthorized"
    await ws.receive(timeout=5)
    assert ws.close_code == 4401


async def test_invalid_bearer_at_upgrade_is_401(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    with pytest.raises(WSServerHandshakeError) as refused:
        await live.socket(maya, headers={"Authorization": "Bearer nope"})
    assert refused.value.status == 401


async def test_no_auth_message_in_time_is_closed_4408(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    ws = await live.client.ws_connect(f"/ws/portfolio/{maya}")
    started = asyncio.get_running_loop().time()
    assert (await next_message(ws))["type"] == "error"
    await ws.receive(timeout=5)
    assert ws.close_code == 4408
    assert asyncio.get_running_loop().time() - started < 3


async def test_foreign_origin_is_403(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    headers = live.bearer(maya) | {"Origin": "https://evil.example"}
    with pytest.raises(WSServerHandshakeError) as refused:
        await live.socket(maya, headers=headers)
    assert refused.value.status == 403


async def test_own_origin_is_allowed(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    origin = str(live.client.make_url("/")).rstrip("/")
    ws = await live.socket(maya, headers=live.bearer(maya) | {"Origin": origin})
    assert (await next_message(ws))["type"] == "snapshot"
    await ws.close()


async def test_token_in_the_url_is_not_accepted(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    ws = await live.client.ws_connect(f"/ws/portfolio/{maya}?token={live.token(maya)}")
    assert (await next_message(ws))["type"] == "error"
    await ws.receive(timeout=5)
    assert ws.close_code == 4408


async def test_unknown_account_path_is_404(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    with pytest.raises(WSServerHandshakeError) as refused:
        await live.client.ws_connect("/ws/portfolio/not-a-uuid", headers=live.bearer(maya))
    assert refused.value.status == 404
    assert uuid.UUID(str(maya))
