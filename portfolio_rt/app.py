"""Application assembly: `create_app(settings)` is what `__main__` serves and tests call."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import replace

import structlog
from aiohttp import ClientSession, ClientTimeout, TCPConnector, web

from .api import health
from .api.middleware import request_context
from .broker.endpoints import alpaca_endpoints
from .config import Settings
from .keys import EMBEDDED_SANDBOX, ENDPOINTS, HTTP_SESSION, SETTINGS
from .sandbox.app import run_sandbox
from .sandbox.settings import SandboxConfig

log = structlog.get_logger("portfolio_rt.app")


def create_app(settings: Settings) -> web.Application:
    """Build the service: middlewares, routes, and the long-lived resources in `cleanup_ctx`."""
    app = web.Application(
        middlewares=[request_context],
        client_max_size=settings.server.max_body_bytes,
    )
    app[SETTINGS] = settings
    app.cleanup_ctx.append(_upstream)
    app.cleanup_ctx.append(_http_session)
    app.add_routes(health.routes)
    return app


async def _upstream(app: web.Application) -> AsyncIterator[None]:
    """Resolve Alpaca's endpoints; in sandbox mode start the offline broker first."""
    settings = app[SETTINGS]
    if not settings.sandbox_mode:
        app[ENDPOINTS] = alpaca_endpoints(settings)
        log.info("upstream.alpaca", environment=settings.alpaca.environment)
        yield
        return
    config = embedded_sandbox_config(settings)
    async with run_sandbox(config) as running:
        app[EMBEDDED_SANDBOX] = running
        app[ENDPOINTS] = replace(
            alpaca_endpoints(settings),
            broker_url=running.broker_url,
            data_url=running.data_url,
            stream_url=running.stream_url,
            crypto_stream_url=running.crypto_stream_url,
            api_key=config.key,
            secret_key=config.secret,
            embedded_sandbox=True,
        )
        log.info("upstream.sandbox", broker_url=running.broker_url)
        yield


def embedded_sandbox_config(settings: Settings) -> SandboxConfig:
    """The in-process sandbox's settings, with throwaway credentials made for this process."""
    s = settings.sandbox
    return SandboxConfig(
        key=secrets.token_hex(10).upper(),
        secret=secrets.token_urlsafe(30),
        host=s.host,
        port=s.port,
        seed=s.seed,
        extra_accounts=s.extra_accounts,
        market_hours=s.market_hours,  # type: ignore[arg-type]
        trades_per_second=s.trades_per_second,
        transfer_delay_s=s.transfer_delay_s,
        history_years=s.history_years,
    )


async def _http_session(app: web.Application) -> AsyncIterator[None]:
    """One client session for the process; each call sets its own timeout."""
    timeout = ClientTimeout(total=app[SETTINGS].alpaca.request_timeout_s)
    async with ClientSession(
        timeout=timeout, connector=TCPConnector(limit=100), raise_for_status=False
    ) as session:
        app[HTTP_SESSION] = session
        yield
