"""A browser that connects and then never reads a byte is dropped by the heartbeat; the
other clients keep their live values all the while."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import socket
from pathlib import Path

from aiohttp.test_utils import TestClient

from portfolio_rt.app import create_app
from tests.fixtures.live import LIVE, Live, next_message, settle, until
from tests.fixtures.settings import merged, service_settings


def handshake(port: int, path: str, token: str) -> socket.socket:
    """Open a WebSocket by hand with a tiny receive buffer, and never read from it."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n"
        ).encode()
    )
    return raw


async def test_a_client_that_never_reads_is_dropped_and_others_are_not_slowed(
    aiohttp_client, tmp_path: Path, live_sandbox
) -> None:  # type: ignore[no-untyped-def]
    sandbox, running = live_sandbox
    sections = merged(LIVE, {"realtime": {"heartbeat_s": 1.0}})
    client: TestClient = await aiohttp_client(create_app(service_settings(running, **sections)))
    live = Live(client, sandbox, running)
    maya, jordan = sandbox.personas["maya"], sandbox.personas["jordan"]
    assert client.server.port is not None
    silent = await asyncio.to_thread(
        handshake, client.server.port, f"/ws/portfolio/{maya}", live.token(maya)
    )
    try:
        await until(lambda: str(maya) in live.engine.hub.by_account, within_s=5)
        other = await live.socket(jordan)
        await next_message(other)
        await settle(live, jordan, 8)
        seen: list[dict[str, object]] = []

        async def keep_reading() -> None:
            # A browser answers pings by itself; this client reads all the time to do so.
            while True:
                seen.append(await next_message(other, within_s=30))

        reader = asyncio.create_task(keep_reading())
        for price in ("301.00", "302.00", "303.00"):
            live.publish({"AAPL": price})
            expected = str(live.expected_equity(jordan))
            await until(lambda e=expected: any(m.get("equity") == e for m in seen), within_s=5)
        # No pong ever comes back from the silent client: the heartbeat closes it.
        await until(lambda: not live.engine.hub.by_account.get(str(maya)), within_s=10)
        live.publish({"AAPL": "304.00"})
        expected = str(live.expected_equity(jordan))
        await until(lambda: any(m.get("equity") == expected for m in seen), within_s=5)
        assert str(jordan) in live.engine.hub.by_account
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        await other.close()
    finally:
        silent.close()
