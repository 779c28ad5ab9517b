"""Typed application keys: handlers read `request.app[KEY]`, never a global.

Keys are all set in `create_app`; what only exists once the app has started (the HTTP
session, the gateway, the embedded sandbox) lives on the `Runtime` object, filled in by
`cleanup_ctx` — aiohttp's application state must not change after start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import ClientSession, web
from redis.asyncio import Redis

from .auth.login_guard import LoginGuard
from .auth.logins import PasswordLogins
from .auth.revocations import SessionEndStore
from .auth.tokens import TokenService
from .broker.endpoints import AlpacaEndpoints
from .broker.gateway import BrokerGateway
from .config import Settings
from .core.errors import BrokerUnavailable
from .core.rate_limit import TokenBuckets
from .funds.idempotency import IdempotencyStore

if TYPE_CHECKING:  # the sandbox is imported only when the service starts one
    from .live.engine import RealtimeEngine
    from .sandbox.app import RunningSandbox


@dataclass
class Runtime:
    """Resources made at start-up; `None` until then (and after shutdown)."""

    endpoints: AlpacaEndpoints | None = None
    http_session: ClientSession | None = None
    gateway_: BrokerGateway | None = None
    sandbox: RunningSandbox | None = None
    users: PasswordLogins | None = None  # demo users who may log in with a password
    redis: Redis | None = None  # the one shared client, when `redis.url` is set
    session_ends: SessionEndStore | None = None  # where logouts outlive this process
    realtime: RealtimeEngine | None = None  # live values: stream, revaluation, WebSocket hub

    @property
    def gateway(self) -> BrokerGateway:
        if self.gateway_ is None:
            raise BrokerUnavailable("The service is starting or stopping.", retry_after=1)
        return self.gateway_


SETTINGS = web.AppKey("settings", Settings)
TOKENS = web.AppKey("tokens", TokenService)
LOGIN_GUARD = web.AppKey("login_guard", LoginGuard)
REQUEST_BUDGET = web.AppKey("request_budget", TokenBuckets)
"""Each account's requests on the JSON API (`server.api_requests_per_s`)."""
RUNTIME = web.AppKey("runtime", Runtime)
IDEMPOTENCY = web.AppKey("idempotency", IdempotencyStore)
"""Keys of requests that move money: in memory until start-up swaps in Redis (when set)."""
