"""One live socket's life after the upgrade: the auth phase, the writer task, the read loop
and the close, as Home Assistant's websocket_api does it.

The route (`api/live.py`) checks the Origin and the upgrade's credentials and prepares the
socket; everything after that is here. Authentication without credentials at the upgrade is
a first message `{"type":"auth","token":…}` within `realtime.auth_timeout_s`. Then a
snapshot, updates and status messages, written by one writer task per socket from the
connection's bounded queue; a `receive()` loop runs the whole time (aiohttp answers pings and
notices closes only while one does). A socket lives no longer than its session: it is closed
(4401) at its token's expiry, and at once when the session is ended anywhere (`LiveHub`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

import orjson
import structlog
from aiohttp import WSCloseCode, WSMsgType, web

from ..auth.tokens import Identity
from ..config import RealtimeSettings
from ..core.errors import Forbidden, RateLimited, ServiceError, Unauthorized
from ..ops.metrics import Metrics
from . import close_codes, messages
from .connection import LATEST, TOPICS, LiveConnection
from .engine import RealtimeEngine
from .frames import text_frame

log = structlog.get_logger("portfolio_rt.live")

Verify = Callable[[str], Identity]
"""A token from the auth message → its identity (raises `Unauthorized`)."""


async def refuse(ws: web.WebSocketResponse, code: int, error: ServiceError | str) -> None:
    message = error.message if isinstance(error, ServiceError) else error
    kind = error.code if isinstance(error, ServiceError) else "unauthorized"
    with contextlib.suppress(Exception):
        await ws.send_frame(messages.error(kind, message), WSMsgType.TEXT)
        await ws.close(code=code, message=message.encode()[:120])


async def auth_phase(
    ws: web.WebSocketResponse, account: UUID, timeout_s: float, verify: Verify
) -> Identity | None:
    """Wait for the auth message; on any failure close the socket and return None."""
    try:
        msg = await ws.receive(timeout=timeout_s)
    except TimeoutError:
        await refuse(ws, close_codes.AUTH_TIMEOUT, "No auth message arrived in time.")
        return None
    if msg.type is not WSMsgType.TEXT:
        if msg.type not in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED):
            await refuse(ws, close_codes.UNAUTHORIZED, 'Send {"type":"auth","token":…} first.')
        return None
    try:
        body: Any = orjson.loads(msg.data)
        token = body["token"] if body.get("type") == "auth" else None
    except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError):
        token = None
    if not isinstance(token, str) or not token:
        await refuse(ws, close_codes.UNAUTHORIZED, 'Send {"type":"auth","token":…} first.')
        return None
    try:
        identity = verify(token)
    except Unauthorized as exc:
        await refuse(ws, close_codes.UNAUTHORIZED, exc)
        return None
    if identity.account_id != account:
        await refuse(ws, close_codes.FORBIDDEN, Forbidden("This is not your account."))
        return None
    return identity


async def _write_loop(ws: web.WebSocketResponse, conn: LiveConnection, metrics: Metrics) -> None:
    """The socket's only writer: drains the queue; closes an overflowing client.

    A write stuck on a client that stopped reading is found by the hub's sweeper
    (`sending_since`), which aborts the connection: no timer per message on this path.
    """
    queue = conn.queue
    loop = asyncio.get_running_loop()
    try:
        while not conn.closed:
            await conn.wait()
            if conn.ending is not None:
                code, reason = conn.ending
                log.info("live.session_closed", conn=conn.id, account=conn.account_id, code=code)
                metrics.ws_client_dropped("session_ended")
                conn.closed = True
                await refuse(ws, code, Unauthorized(reason))
                return
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
                if data is LATEST:  # positions overtaken while waiting: the latest, complete
                    rendered = conn.complete_positions()
                    if rendered is None:
                        continue
                    data = rendered
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


def _direct_writer(ws: web.WebSocketResponse, transport: asyncio.Transport) -> Callable[..., bool]:
    """`LiveConnection.write_now` for this socket: whole frames in one `write` while the
    transport has nothing buffered (the kernel takes them at once); otherwise False, and the
    writer task sends them with aiohttp's flow control. Frames never interleave: aiohttp also
    writes each uncompressed frame synchronously."""

    def write_now(*payloads: bytes) -> bool:
        if ws.closed or transport.is_closing() or transport.get_write_buffer_size():
            return False
        transport.write(b"".join(text_frame(p) for p in payloads))
        return True

    return write_now


async def serve(
    ws: web.WebSocketResponse,
    transport: asyncio.Transport | None,
    engine: RealtimeEngine,
    account: UUID,
    identity: Identity,
    settings: RealtimeSettings,
    metrics: Metrics,
    *,
    session_ended: Callable[[], bool] = lambda: False,
) -> None:
    """Register the authenticated socket, send its snapshot, then read until it closes.

    `session_ended` says whether the socket's session ended before the socket was registered
    (the hub hears only of ends after that)."""
    hub = engine.hub
    if hub.count(str(account)) >= settings.max_sockets_per_account:
        metrics.ws_client_dropped("too_many")
        await refuse(ws, close_codes.TOO_MANY, too_many_sockets(settings))
        return
    conn = LiveConnection(
        hub.new_id(),
        str(account),
        settings.max_pending,
        token_id=identity.token_id,
        issued_at=identity.issued_at,
    )
    conn.ready = False
    if transport is not None:
        conn.abort = transport.abort
        conn.write_now = _direct_writer(ws, transport)
    conn.complete_positions = lambda: engine.revaluer.positions_now(conn.account_id)
    hub.add(conn, ws)
    writer = asyncio.create_task(_write_loop(ws, conn, metrics), name=f"live-writer-{conn.id}")
    expiry = asyncio.get_running_loop().call_later(
        max(0.0, identity.expires_at - time.time()),
        conn.end,
        close_codes.UNAUTHORIZED,
        "Your session has expired; please log in again.",
    )
    log.info("live.connected", conn=conn.id, account=conn.account_id, via=identity.via)
    try:
        if session_ended():
            conn.end(close_codes.UNAUTHORIZED, "This session has ended; please log in again.")
        try:
            snapshot = await engine.snapshot(conn)
        except ServiceError as exc:
            log.warning("live.snapshot_failed", conn=conn.id, error=exc.code)
            conn.ready = True
            conn.send(messages.error(exc.code, exc.message), "error")
            await asyncio.sleep(0)
            await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"try again later")
            return
        conn.ready = conn.ending is None
        conn.send(snapshot, "snapshot")
        async for msg in ws:  # this loop also answers pings and sees closes
            if msg.type is WSMsgType.TEXT:
                await _client_message(engine, conn, msg.data)
    finally:
        expiry.cancel()
        hub.remove(conn)
        await _stop_writer(writer, conn, ws)
        log.info("live.disconnected", conn=conn.id, account=conn.account_id, code=ws.close_code)


async def _resend_snapshot(engine: RealtimeEngine, conn: LiveConnection) -> None:
    """A snapshot the client asked for; when it cannot be built (Alpaca unavailable), an
    error message on the socket, which stays open: the upgraded connection can carry
    nothing else."""
    try:
        conn.send(await engine.snapshot(conn), "snapshot")
    except ServiceError as exc:
        log.warning("live.snapshot_failed", conn=conn.id, error=exc.code)
        conn.send(messages.error(exc.code, exc.message), "error")


def too_many_sockets(settings: RealtimeSettings) -> RateLimited:
    """The refusal of one socket more than `realtime.max_sockets_per_account`."""
    return RateLimited(
        f"This account already has {settings.max_sockets_per_account} live connections open; "
        "close one and try again.",
        retry_after=5,
    )


async def _stop_writer(
    writer: asyncio.Task[None], conn: LiveConnection, ws: web.WebSocketResponse
) -> None:
    """Let the writer flush what is queued (briefly), then stop it; never wait long."""
    if not writer.done() and conn.queue and not ws.closed:
        await asyncio.wait({writer}, timeout=0.5)
    writer.cancel()
    await asyncio.wait({writer}, timeout=1.0)


async def _client_message(engine: RealtimeEngine, conn: LiveConnection, text: str) -> None:
    """What a client may ask once connected: a fresh snapshot, or topics on or off. Anything
    else is answered with an error; the socket stays open."""
    try:
        body = orjson.loads(text)
    except orjson.JSONDecodeError:
        body = None
    kind = body.get("type") if isinstance(body, dict) else None
    if kind == "snapshot":
        await _resend_snapshot(engine, conn)
    elif kind in ("subscribe", "unsubscribe"):
        assert isinstance(body, dict)
        topics = body.get("topics")
        if not (isinstance(topics, list) and topics and all(isinstance(t, str) for t in topics)):
            conn.send(messages.error("bad_request", "topics must be a list of names."), "error")
            return
        unknown = sorted(set(topics) - TOPICS)
        if unknown:
            known = ", ".join(sorted(TOPICS))
            message = f"Unknown topic {', '.join(unknown)}; the topics are {known}."
            conn.send(messages.error("bad_request", message), "error")
            return
        engine.set_topics(
            conn, conn.topics | set(topics) if kind == "subscribe" else conn.topics - set(topics)
        )
    elif kind != "auth":  # a late auth message changes nothing: the socket is authenticated
        conn.send(
            messages.error("bad_request", "Send snapshot, subscribe or unsubscribe."), "error"
        )
