"""Assembly of the sandbox's aiohttp application and a runner that serves it on a port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from . import (
    account_extras_api,
    broker_api,
    data_api,
    events_api,
    faults,
    history_data_api,
    journals_api,
    stream,
)
from .auth import auth_middleware
from .keys import SANDBOX
from .pacemaker import LedgerPacemaker
from .settings import SandboxConfig, utc_now
from .world import Sandbox


def create_sandbox_app(sandbox: Sandbox) -> web.Application:
    """The sandbox as one aiohttp app: Broker API and its event streams, market-data REST,
    stream, fault control; the ledger's pacemaker and the live ticker run beside them."""
    app = web.Application(
        middlewares=[faults.fault_middleware, auth_middleware],
        client_max_size=1024 * 1024,
    )
    app[SANDBOX] = sandbox
    broker_api.setup(app)
    journals_api.setup(app)
    account_extras_api.setup(app)
    events_api.setup(app, sandbox.config.sse_heartbeat_s)
    data_api.setup(app)
    history_data_api.setup(app)
    stream.setup(app)
    faults.setup(app)

    pacemaker = LedgerPacemaker(sandbox.ledger, sandbox.now)

    async def background(app: web.Application) -> AsyncIterator[None]:
        sandbox.ticker.start()
        pacemaker.start()
        yield
        await pacemaker.close()
        await sandbox.ticker.close()

    app.cleanup_ctx.append(background)
    return app


@dataclass(frozen=True)
class RunningSandbox:
    """Where a started sandbox listens; `broker_url`/`data_url` have no trailing slash."""

    sandbox: Sandbox
    broker_url: str
    data_url: str
    stream_url: str
    crypto_stream_url: str


@asynccontextmanager
async def serve_sandbox(
    sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[RunningSandbox]:
    """Serve an already built sandbox on `host:port` (0 picks a free port) until the block ends."""
    runner = web.AppRunner(create_sandbox_app(sandbox), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    try:
        bound_host, bound_port = runner.addresses[0][:2]
        base = f"http://{bound_host}:{bound_port}"
        ws = f"ws://{bound_host}:{bound_port}"
        yield RunningSandbox(
            sandbox=sandbox,
            broker_url=base,
            data_url=base,
            stream_url=f"{ws}/v2/iex",
            crypto_stream_url=f"{ws}/v1beta3/crypto/us",
        )
    finally:
        await runner.cleanup()


@asynccontextmanager
async def run_sandbox(
    config: SandboxConfig, now: Callable[[], datetime] = utc_now
) -> AsyncIterator[RunningSandbox]:
    """Build a sandbox from `config` and serve it on `config.host:config.port`."""
    sandbox = Sandbox.build(config, now=now)
    async with serve_sandbox(sandbox, config.host, config.port) as running:
        yield running
