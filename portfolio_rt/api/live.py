"""The live socket `/ws/portfolio/{account_id}`: its life from upgrade to close.

Authentication at the upgrade (session cookie or bearer header), else by a first message
`{"type":"auth","token":…}` within `realtime.auth_timeout_s`. The account in the path must be
the caller's, and the Origin an allowed one. Then a snapshot, updates and status messages,
written by one writer task per socket from the connection's bounded queue; a `receive()` loop
runs the whole time (aiohttp answers pings and notices closes only while one does).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any
from uuid import UUID

import orjson
import structlog
from aiohttp import WSCloseCode, WSMsgType, web

from ..auth.tokens import Identity
from ..core.errors import BrokerUnavailable, Forbidden, NotFound, ServiceError, Unauthorized
from ..live import messages
from ..live.connection import LiveConnection
from ..live.frames import text_frame
from ..ops.metrics import METRICS
from ..state import RUNTIME, SETTINGS, TOKENS
from .identity import IDENTITY, bearer_token, origin_allowed

log = structlog.get_logger("portfolio_rt.live")

CLOSE_UNAUTHORIZED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_AUTH_TIMEOUT = 4408
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


async def _refuse(ws: web.WebSocketResponse, code: int, error: ServiceError | str) -> None:
    message = error.message if isinstance(error, ServiceError) else error
    kind = error.code if isinstance(error, ServiceError) else "unauthorized"
    with contextlib.suppress(Exception):
        await ws.send_frame(messages.error(kind, message), WSMsgType.TEXT)
        await ws.close(code=code, message=message.encode()[:120])


async def _auth_phase(
    ws: web.WebSocketResponse, request: web.Request, account: UUID, timeout_s: float
) -> Identity | None:
    """Wait for the auth message; on any failure close the socket and return None."""
    try:
        msg = await ws.receive(timeout=timeout_s)
    except TimeoutError:
        await _refuse(ws, CLOSE_AUTH_TIMEOUT, "No auth message arrived in time.")
        return None
    if msg.type is not WSMsgType.TEXT:
        if msg.type not in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
            await _refuse(ws, CLOSE_UNAUTHORIZED, 'Send {"type":"auth","token":…} first.')
        return None
    try:
        body: Any = orjson.loads(msg.data)
        token = body["token"] if body.get("type") == "auth" else None
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError):
        token = None
    if not isinstance(token, str) or not token:
        await _refuse(ws, CLOSE_UNAUTHORIZED, 'Send {"type":"auth","token":…} first.')
        return None
    try:
        identity = request.app[TOKENS].verify(token, "message")
    except Unauthorized as exc:
        await _refuse(ws, CLOSE_UNAUTHORIZED, exc)
        return None
    if identity.account_id != account:
        await _refuse(ws, CLOSE_FORBIDDEN, Forbidden("This is not your account."))
        return None
    return identity


async def _write_loop(
    ws: web.WebSocketResponse, conn: LiveConnection, request: web.Request
) -> None:
    """The socket's only writer: drains the queue; closes an overflowing client.

    A write stuck on a client that stopped reading is found by the hub's sweeper
    (`sending_since`), which aborts the connection: no timer per message on this path.
    """
    queue = conn.queue
    loop = asyncio.get_running_loop()
    metrics = request.app[METRICS]
    try:
        while not conn.closed:
            await conn.wait()
            if conn.overflowed:
                log.warning("live.slow_client", conn=conn.id, account=conn.account_id)
                metrics.ws_client_dropped("slow")
                conn.closed = True
                queue.clear()
                try:
                    async with asyncio.timeout(1.0):
                        await ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"slow client")
                except (TimeoutError, ConnectionError, RuntimeError):
                    conn.abort()
                return
            while queue and not conn.closed:
                kind, data = queue.popleft()
                conn.sending_since = loop.time()
                await ws.send_frame(data, WSMsgType.TEXT)
                conn.sending_since = 0.0
                metrics.ws_pushed(kind)
    except (ConnectionError, RuntimeError):
        conn.closed = True
    except Exception:
        # a writer that died would leave a socket that never hears again: drop it instead
        log.exception("live.writer_failed", conn=conn.id, account=conn.account_id)
        conn.closed = True
        conn.abort()


def _direct_writer(
    ws: web.WebSocketResponse, transport: asyncio.Transport
) -> Callable[[bytes], bool]:
    """`LiveConnection.write_now` for this socket: one whole frame in one `write` while the
    transport has nothing buffered (the kernel takes it at once); otherwise False, and the
    writer task sends it with aiohttp's flow control. Frames never interleave: aiohttp also
    writes each uncompressed frame synchronously."""

    def write_now(data: bytes) -> bool:
        if ws.closed or transport.is_closing() or transport.get_write_buffer_size():
            return False
        transport.write(text_frame(data))
        return True

    return write_now


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
    if identity is not None:
        request[IDENTITY] = identity
        if identity.account_id != account:
            raise Forbidden("This is not your account.")
    settings = request.app[SETTINGS].realtime
    ws = web.WebSocketResponse(
        heartbeat=settings.heartbeat_s, max_msg_size=64 * 1024, compress=False
    )
    await ws.prepare(request)
    if identity is None:
        identity = await _auth_phase(ws, request, account, settings.auth_timeout_s)
        if identity is None:
            return ws
    hub = engine.hub
    conn = LiveConnection(hub.new_id(), str(account), settings.max_pending)
    conn.ready = False
    transport = request.transport
    if transport is not None:
        conn.abort = transport.abort
        conn.write_now = _direct_writer(ws, transport)
    hub.add(conn, ws)
    writer = asyncio.create_task(_write_loop(ws, conn, request), name=f"live-writer-{conn.id}")
    log.info("live.connected", conn=conn.id, account=conn.account_id, via=identity.via)
    try:
        try:
            snapshot = await engine.snapshot(conn)
        except ServiceError as exc:
            log.warning("live.snapshot_failed", conn=conn.id, error=exc.code)
            conn.ready = True
            conn.send(messages.error(exc.code, exc.message), "error")
            await asyncio.sleep(0)
            await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"try again later")
            return ws
        conn.ready = True
        conn.send(snapshot, "snapshot")
        async for msg in ws:  # browsers send nothing; this loop answers pings and sees closes
            if msg.type is WSMsgType.TEXT and _asks_snapshot(msg.data):
                conn.send(await engine.snapshot(conn), "snapshot")
    finally:
        hub.remove(conn)
        await _stop_writer(writer, conn, ws)
        log.info("live.disconnected", conn=conn.id, account=conn.account_id, code=ws.close_code)
    return ws


async def _stop_writer(
    writer: asyncio.Task[None], conn: LiveConnection, ws: web.WebSocketResponse
) -> None:
    """Let the writer flush what is queued (briefly), then stop it; never wait long."""
    if not writer.done() and conn.queue and not ws.closed:
        await asyncio.wait({writer}, timeout=0.5)
    writer.cancel()
    await asyncio.wait({writer}, timeout=1.0)


def _asks_snapshot(text: str) -> bool:
    """`{"type":"snapshot"}`: the client wants a fresh snapshot (e.g. after a gap)."""
    try:
        body = orjson.loads(text)
    except orjson.JSONDecodeError:
        return False
    return isinstance(body, dict) and body.get("type") == "snapshot"


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
