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

from .auth.logins import LoginThrottle, UserDirectory
from .auth.tokens import TokenService
from .broker.endpoints import AlpacaEndpoints
from .broker.gateway import BrokerGateway
from .config import Settings
from .core.errors import BrokerUnavailable
from .funds.idempotency import IdempotencyStore

if TYPE_CHECKING:  # the sandbox is imported only when the service starts one
    from .auth.revocations import SharedRevocations
    from .live.engine import RealtimeEngine
    from .sandbox.app import RunningSandbox


@dataclass
class Runtime:
    """Resources made at start-up; `None` until then (and after shutdown)."""

    endpoints: AlpacaEndpoints | None = None
    http_session: ClientSession | None = None
    gateway_: BrokerGateway | None = None
    sandbox: RunningSandbox | None = None
    users: UserDirectory | None = None
    redis: Redis | None = None  # the one shared client, when `redis.url` is set
    revocations: SharedRevocations | None = None  # logouts every instance knows (with Redis)
    realtime: RealtimeEngine | None = None  # live values: stream, revaluation, WebSocket hub

    @property
    def gateway(self) -> BrokerGateway:
        if self.gateway_ is None:
            raise BrokerUnavailable("The service is starting or stopping.", retry_after=1)
        return self.gateway_


SETTINGS = web.AppKey("settings", Settings)
TOKENS = web.AppKey("tokens", TokenService)
THROTTLE = web.AppKey("login_throttle", LoginThrottle)
RUNTIME = web.AppKey("runtime", Runtime)
IDEMPOTENCY = web.AppKey("idempotency", IdempotencyStore)
"""Keys of requests that move money: in memory until start-up swaps in Redis (when set)."""
