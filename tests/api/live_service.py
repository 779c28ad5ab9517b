"""The service and a sandbox of its own, served from a background thread for sync clients
(schemathesis, benchmarks) that cannot share the test's event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from aiohttp import web

from portfolio_rt.app import create_app
from portfolio_rt.auth.tokens import ALL_SCOPES
from portfolio_rt.sandbox.app import serve_sandbox
from portfolio_rt.sandbox.world import Sandbox
from portfolio_rt.state import TOKENS
from tests.conftest import sandbox_config

from .conftest import service_settings


@dataclass(frozen=True)
class LiveService:
    base_url: str
    sandbox: Sandbox
    app: web.Application

    def bearer(self, account_id: UUID) -> dict[str, str]:
        token, _ = self.app[TOKENS].mint(
            account_id=account_id, subject="live", scopes=ALL_SCOPES, ttl_s=3600
        )
        return {"Authorization": f"Bearer {token}"}


@contextmanager
def live_service(tmp_path: Path, extra_config: str = "") -> Iterator[LiveService]:
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    stop: asyncio.Event | None = None
    holder: dict[str, LiveService] = {}
    failure: list[BaseException] = []

    async def main() -> None:
        nonlocal stop
        stop = asyncio.Event()
        sandbox = Sandbox.build(sandbox_config())
        async with serve_sandbox(sandbox) as running:
            app = create_app(service_settings(tmp_path, running, extra_config))
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            holder["service"] = LiveService(f"http://{host}:{port}", sandbox, app)
            ready.set()
            await stop.wait()
            await runner.cleanup()

    def run() -> None:
        try:
            loop.run_until_complete(main())
        except BaseException as exc:  # reported to the test below
            failure.append(exc)
            ready.set()

    thread = threading.Thread(target=run, name="live-service", daemon=True)
    thread.start()
    ready.wait(60)
    if failure:
        raise failure[0]
    try:
        yield holder["service"]
    finally:
        assert stop is not None
        loop.call_soon_threadsafe(stop.set)
        thread.join(30)
        loop.close()
