"""The live socket's route `/ws/portfolio/{account_id}`: the checks before the upgrade.

The Origin must be an allowed one, and credentials at the upgrade (session cookie or bearer
header) must name the account in the path; an account with `realtime.max_sockets_per_account`
sockets open here gets 429. The socket's life after the upgrade, the auth message included,
is `live.socket`'s.
"""

from __future__ import annotations

from uuid import UUID

from aiohttp import web

from ..auth.tokens import Identity
from ..core.errors import BrokerUnavailable, Forbidden, NotFound
from ..live import socket
from ..ops.metrics import METRICS
from ..state import RUNTIME, SETTINGS, TOKENS
from .identity import IDENTITY, bearer_token, origin_allowed

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _upgrade_identity(request: web.Request) -> Identity | None:
    """The identity the upgrade request carries, None when it carries no credentials."""
    tokens = request.app[TOKENS]
    token = bearer_token(request)
    if token is not None:
        return tokens.verify(token, "bearer")
    cookie = request.cookies.get(request.app[SETTINGS].auth.cookie_name)
    if cookie:
        return tokens.verify(cookie, "cookie")
    return None


async def live_socket(request: web.Request) -> web.StreamResponse:
    engine = request.app[RUNTIME].realtime
    if engine is None:
        raise BrokerUnavailable("The service is starting or stopping.", retry_after=1)
    try:
        account = UUID(request.match_info["account_id"])
    except ValueError:
        raise NotFound("There is no such account.") from None
    origin = request.headers.get("Origin")
    if origin is not None and not origin_allowed(request, origin):
        raise Forbidden("This socket was opened from another site.")
    identity = _upgrade_identity(request)
    settings = request.app[SETTINGS].realtime
    if identity is not None:
        request[IDENTITY] = identity
        if identity.account_id != account:
            raise Forbidden("This is not your account.")
        if engine.hub.count(str(account)) >= settings.max_sockets_per_account:
            raise socket.too_many_sockets(settings)
    ws = web.WebSocketResponse(
        heartbeat=settings.heartbeat_s, max_msg_size=64 * 1024, compress=False
    )
    await ws.prepare(request)
    tokens = request.app[TOKENS]
    if identity is None:
        identity = await socket.auth_phase(
            ws, account, settings.auth_timeout_s, lambda token: tokens.verify(token, "message")
        )
        if identity is None:
            return ws
    session = identity
    await socket.serve(
        ws,
        request.transport,
        engine,
        account,
        identity,
        settings,
        request.app[METRICS],
        session_ended=lambda: tokens.revocations.ended(
            session.token_id, str(session.account_id), session.issued_at
        ),
    )
    return ws


async def _account_changed(request: web.Request, response: web.StreamResponse) -> None:
    """After a successful write through this service (a deposit, an order), revalue the
    caller's account from fresh facts at once."""
    if request.method not in _WRITES or not 200 <= response.status < 300:
        return
    identity = request.get(IDENTITY)
    engine = request.app[RUNTIME].realtime
    if isinstance(identity, Identity) and engine is not None:
        engine.account_changed(identity.account_id)


async def _close_sockets(app: web.Application) -> None:
    engine = app[RUNTIME].realtime
    if engine is not None:
        await engine.hub.close_all()


def setup(app: web.Application) -> None:
    app.router.add_get("/ws/portfolio/{account_id}", live_socket)
    app.on_response_prepare.append(_account_changed)
    app.on_shutdown.append(_close_sockets)
