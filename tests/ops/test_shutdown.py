"""SIGTERM stops the service cleanly: in-flight requests finish, new ones are refused, the
process exits 0 well inside a container's 10 s grace period, and the last log line is out."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import orjson
import pytest
from aiohttp import WSCloseCode, web

import portfolio_rt.__main__ as entry
from portfolio_rt.config import Settings
from tests.fixtures.settings import alpaca_settings

GRACE_S = 10.0
ALPACA_ENV = ("ALPACA_BROKER_API_KEY", "ALPACA_BROKER_SECRET_KEY")


def sandbox_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        '[server]\nport = 0\nshutdown_timeout_s = 5.0\n[log]\nformat = "json"\n',
        encoding="utf-8",
    )
    return path


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTFOLIO_RT")}
    for name in ALPACA_ENV:
        env.pop(name, None)  # no credentials: the embedded sandbox
    return env


async def wait_for_banner(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    while True:
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        assert line, "the service exited before listening"
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            return match.group(1)


@pytest.mark.slow
async def test_sigterm_closes_sockets_and_exits_zero_within_ten_seconds(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "portfolio_rt",
        "--config",
        str(sandbox_config(tmp_path)),
        cwd=tmp_path,
        env=child_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        base = await wait_for_banner(process)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/health") as response:
                assert response.status == 200
            # The banner's API link, opened as a browser would: no credentials.
            async with http.get(f"{base}/api/openapi.json") as response:
                assert response.status == 200
                assert (await response.json())["openapi"] == "3.1.0"
            login = {"username": "maya", "password": "demo"}
            async with http.post(f"{base}/api/auth/login", json=login) as response:
                assert response.status == 200
                session = await response.json()
            ws = await http.ws_connect(
                f"{base}/ws/portfolio/{session['account_id']}",
                headers={"Authorization": f"Bearer {session['token']}"},
            )
            assert (await ws.receive_json(timeout=10))["type"] in ("snapshot", "status")
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            while not ws.closed:  # updates may still arrive until the server closes
                await asyncio.wait_for(ws.receive(), GRACE_S)
            assert ws.close_code == WSCloseCode.GOING_AWAY
            _, stderr = await asyncio.wait_for(process.communicate(), GRACE_S)
            elapsed = time.monotonic() - started
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert elapsed < GRACE_S
    events = [orjson.loads(line) for line in stderr.splitlines() if line.startswith(b"{")]
    names = [e["event"] for e in events]
    assert "service.stopping" in names
    assert names[-1] == "service.stopped"
    assert next(e for e in events if e["event"] == "service.stopping")["signal"] == "SIGTERM"
    assert b"Traceback" not in stderr


async def test_in_flight_request_finishes_and_new_ones_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entered = asyncio.Event()
    urls: list[str] = []

    async def slow(request: web.Request) -> web.Response:
        entered.set()
        await asyncio.sleep(0.5)
        return web.json_response({"done": True})

    def create_app_with_slow_route(settings: Settings) -> web.Application:
        app = create_app(settings)
        app.router.add_get("/slow", slow)
        return app

    create_app = entry.create_app
    monkeypatch.setattr(entry, "create_app", create_app_with_slow_route)
    monkeypatch.setattr(entry, "print_banner", lambda app, url: urls.append(url))

    server = asyncio.create_task(
        entry.serve(alpaca_settings(server={"port": 0, "shutdown_timeout_s": 3.0}))
    )
    while not urls:
        assert not server.done()
        await asyncio.sleep(0.01)
    async with aiohttp.ClientSession() as http:
        in_flight = asyncio.create_task(http.get(f"{urls[0]}/slow"))
        await asyncio.wait_for(entered.wait(), 5)
        os.kill(os.getpid(), signal.SIGTERM)  # the loop's handler, installed by serve()
        response = await asyncio.wait_for(in_flight, 5)
        assert response.status == 200
        assert await response.json() == {"done": True}
        await asyncio.wait_for(server, GRACE_S)
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(f"{urls[0]}/health")
