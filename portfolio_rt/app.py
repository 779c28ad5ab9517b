"""Application assembly: `create_app(settings)` is what `__main__` serves and tests call."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import structlog
from aiohttp import ClientSession, ClientTimeout, TCPConnector, web
from redis.asyncio import Redis

from .api import (
    activity,
    analytics,
    assets,
    asyncapi,
    funds,
    health,
    live,
    openapi,
    portfolio,
    returns,
    session,
)
from .api import web as dashboard
from .api.middleware import allowed_host, request_context
from .auth.login_guard import LoginGuard
from .auth.logins import PasswordLogins, UserDirectory
from .auth.revocations import Revocations
from .auth.revocations_file import RevocationsFile
from .auth.shared_revocations import SharedRevocations
from .auth.tokens import TokenService
from .broker.circuit import CircuitBreaker, CircuitState
from .broker.endpoints import alpaca_endpoints
from .broker.gateway import BrokerGateway
from .broker.http import AlpacaHttp
from .broker.read_cache import ReadCache
from .broker.retry import RetryPolicy
from .config import ConfigError, Settings
from .core.rate_limit import TokenBuckets
from .funds.idempotency import IdempotencyStore, MemoryBackend, RedisBackend
from .live.engine import RealtimeEngine
from .ops.loop_lag import LoopLagMonitor
from .ops.metrics import METRICS, METRICS_TOKEN, Metrics
from .ops.metrics import routes as metrics_routes
from .state import (
    IDEMPOTENCY,
    LOGIN_GUARD,
    REQUEST_BUDGET,
    RUNTIME,
    SETTINGS,
    TOKENS,
    Runtime,
)

if TYPE_CHECKING:
    from .sandbox.settings import SandboxConfig

log = structlog.get_logger("portfolio_rt.app")


def create_app(settings: Settings) -> web.Application:
    """Build the service: middlewares, routes, and the long-lived resources in `cleanup_ctx`.

    Raises `ConfigError` when the settings cannot work together (e.g. no signing secret
    outside sandbox mode).
    """
    app = web.Application(
        middlewares=[request_context, allowed_host],
        client_max_size=settings.server.max_body_bytes,
    )
    app[SETTINGS] = settings
    app[TOKENS] = TokenService(settings.auth, _signing_secret(settings), Revocations())
    app[LOGIN_GUARD] = LoginGuard(settings.auth)
    app[REQUEST_BUDGET] = TokenBuckets(
        settings.server.api_requests_per_s, settings.server.api_request_burst
    )
    app[RUNTIME] = Runtime()
    app[IDEMPOTENCY] = IdempotencyStore(
        MemoryBackend(settings.funds.idempotency_ttl_s),
        settle_after_s=2 * settings.alpaca.request_timeout_s + 5,
    )
    app[METRICS] = Metrics()
    app[METRICS].redis_configured.set(1 if settings.redis.url else 0)
    app[METRICS_TOKEN] = settings.secrets.metrics_token
    app.cleanup_ctx.append(_loop_lag)
    app.cleanup_ctx.append(_redis)
    app.cleanup_ctx.append(_ended_sessions)
    app.cleanup_ctx.append(_upstream)
    app.cleanup_ctx.append(_gateway)
    app.cleanup_ctx.append(_realtime)
    app.add_routes(health.routes)
    if settings.server.metrics_enabled:
        app.add_routes(metrics_routes)
    app.add_routes(session.routes)
    portfolio.setup(app)
    analytics.setup(app)
    app.add_routes(activity.routes)
    app.add_routes(returns.routes)
    assets.setup(app)
    funds.setup(app)
    openapi.setup(app)
    asyncapi.setup(app)
    dashboard.setup(app)
    live.setup(app)
    return app


def _signing_secret(settings: Settings) -> str:
    secret = settings.secrets.session_secret
    if secret or settings.auth.algorithm != "HS256":
        return secret
    if _secret_per_process(settings):
        # Sandbox demo: a per-process secret; sessions simply end when the process restarts.
        return secrets.token_urlsafe(48)
    raise ConfigError("PORTFOLIO_RT_SECRET: required to sign sessions when using Alpaca")


def _secret_per_process(settings: Settings) -> bool:
    """A sandbox started without PORTFOLIO_RT_SECRET signs with a secret of its own: no token
    outlives the process."""
    return (
        settings.sandbox_mode
        and settings.auth.algorithm == "HS256"
        and not settings.secrets.session_secret
    )


def demo_logins_enabled(settings: Settings) -> bool:
    mode = settings.auth.demo_logins
    return mode == "on" or (mode == "auto" and settings.sandbox_mode)


async def _loop_lag(app: web.Application) -> AsyncIterator[None]:
    """Measure the event loop's lag for `/metrics` as long as the service runs."""
    monitor = LoopLagMonitor(app[METRICS].loop_lagged)
    monitor.start()
    try:
        yield
    finally:
        await monitor.close()


async def _redis(app: web.Application) -> AsyncIterator[None]:
    """One Redis client for the process when `redis.url` is set: idempotency keys move there
    so every instance (and a restarted one) sees the same keys, and logouts are shared."""
    settings, runtime = app[SETTINGS], app[RUNTIME]
    if not settings.redis.url:
        yield
        return
    client = Redis.from_url(
        settings.redis.url, socket_timeout=2.0, socket_connect_timeout=2.0, health_check_interval=15
    )
    runtime.redis = client
    app[IDEMPOTENCY].backend = RedisBackend(
        client, settings.funds.idempotency_ttl_s, prefix=f"{settings.redis.prefix}:idem:"
    )
    revocations = SharedRevocations(client, settings.redis.prefix, app[TOKENS].revocations)
    revocations.start()
    runtime.session_ends = revocations
    log.info("redis.configured")
    try:
        yield
    finally:
        runtime.session_ends = None
        await revocations.close()
        runtime.redis = None
        await client.aclose()


async def _ended_sessions(app: web.Application) -> AsyncIterator[None]:
    """Logouts must outlive a restart. With Redis, Redis keeps them (`_redis`); else the
    revocations file when one is set; else nothing can, so every token issued before this
    start is refused from now on (restarts end all sessions)."""
    settings, runtime = app[SETTINGS], app[RUNTIME]
    revocations = app[TOKENS].revocations
    if runtime.session_ends is None and settings.auth.revocations_file:
        store = RevocationsFile(Path(settings.auth.revocations_file), revocations)
        store.load()
        runtime.session_ends = store
    elif runtime.session_ends is None and not _secret_per_process(settings):
        revocations.end_all_before(time.time())
        log.warning(
            "auth.sessions_end_at_restart",
            why="no redis.url and no auth.revocations_file to keep logouts",
        )
    try:
        yield
    finally:
        if isinstance(runtime.session_ends, RevocationsFile):
            runtime.session_ends = None


async def _upstream(app: web.Application) -> AsyncIterator[None]:
    """Resolve Alpaca's endpoints; in sandbox mode start the offline broker first."""
    settings, runtime = app[SETTINGS], app[RUNTIME]
    if not settings.sandbox_mode:
        runtime.endpoints = alpaca_endpoints(settings)
        log.info("upstream.alpaca", environment=settings.alpaca.environment)
        yield
        runtime.endpoints = None
        return
    # The only import of the sandbox in the service: production never loads it.
    from .sandbox.app import run_sandbox

    config = embedded_sandbox_config(settings)
    async with run_sandbox(config) as running:
        runtime.sandbox = running
        runtime.endpoints = replace(
            alpaca_endpoints(settings),
            broker_url=running.broker_url,
            data_url=running.data_url,
            stream_url=running.stream_url,
            crypto_stream_url=running.crypto_stream_url,
            api_key=config.key,
            secret_key=config.secret,
            embedded_sandbox=True,
        )
        if demo_logins_enabled(settings):
            runtime.users = PasswordLogins(
                UserDirectory.demo(running.sandbox.personas), settings.auth.login_hash_threads
            )
        log.info("upstream.sandbox", broker_url=running.broker_url)
        try:
            yield
        finally:
            if runtime.users is not None:
                runtime.users.close()
                runtime.users = None
            runtime.sandbox = None
            runtime.endpoints = None


def embedded_sandbox_config(settings: Settings) -> SandboxConfig:
    """The in-process sandbox's settings, with throwaway credentials made for this process."""
    from .sandbox.settings import SandboxConfig

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
        fill_delay_s=s.fill_delay_s,
        history_years=s.history_years,
    )


async def _gateway(app: web.Application) -> AsyncIterator[None]:
    """One client session for the process, and the gateway that calls Alpaca through it."""
    settings, runtime, metrics = app[SETTINGS], app[RUNTIME], app[METRICS]
    assert runtime.endpoints is not None
    broker = settings.broker
    async with ClientSession(
        timeout=ClientTimeout(total=settings.alpaca.request_timeout_s),
        connector=TCPConnector(limit=100),
    ) as client:
        runtime.http_session = client
        http = AlpacaHttp(
            client,
            runtime.endpoints,
            timeout_s=settings.alpaca.request_timeout_s,
            retry=RetryPolicy(
                attempts=broker.retry_attempts,
                base_delay_s=broker.retry_base_delay_s,
                max_delay_s=broker.retry_max_delay_s,
            ),
            breaker=CircuitBreaker(broker.circuit_failure_threshold, broker.circuit_reset_s),
            metrics=metrics,
        )
        metrics.upstream_circuit_open.set_function(
            lambda: 0.0 if http.breaker.state is CircuitState.CLOSED else 1.0
        )
        cache = ReadCache(
            max_entries=broker.cache_max_entries, max_stale_s=broker.max_stale_s, metrics=metrics
        )
        runtime.gateway_ = BrokerGateway(http, cache, broker, settings.alpaca.data_feed)
        try:
            yield
        finally:
            runtime.gateway_ = None
            runtime.http_session = None


async def _realtime(app: web.Application) -> AsyncIterator[None]:
    """The real-time engine: holdings collector, stream reader (or the Redis lease for it),
    revaluation and the live sockets' hub, which closes the sockets of ended sessions."""
    settings, runtime = app[SETTINGS], app[RUNTIME]
    engine = RealtimeEngine(
        settings,
        gateway=lambda: runtime.gateway,
        session=runtime.http_session,
        endpoints=runtime.endpoints,
        redis=runtime.redis,
        metrics=app[METRICS],
    )
    await engine.start()
    runtime.realtime = engine
    app[METRICS].watch_realtime(engine)
    stop_listening = app[TOKENS].revocations.listen(engine.hub.end_sessions)
    try:
        yield
    finally:
        stop_listening()
        app[METRICS].watch_realtime(None)
        runtime.realtime = None
        await engine.close()
