"""Alpaca-compatible market-data WebSocket streams: /v2/iex, /v2/sip and /v1beta3/crypto/us.

A `StreamHub` listens to the ticker and fans each batch out to the subscribed connections:
every message is encoded once per wire format, each connection gets its share appended to a
bounded queue synchronously, and one writer task per socket coalesces the queue into frames.
A client whose queue overflows is sent 407 and closed; nobody else waits for it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import itertools
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import structlog
from aiohttp import WSCloseCode, WSMsgType, web
from multidict import CIMultiDictProxy

from ..core import stream_errors
from .keys import SANDBOX
from .market import Bar, Trade
from .stream_codec import (
    Encoder,
    Family,
    Wire,
    WireFormat,
    bar_wire,
    control_frame,
    decode_client_message,
    error_message,
    frame_chunks,
    quote_wire,
    success_message,
    trade_wire,
)
from .stream_subscriptions import (
    WILDCARD,
    SubscriptionError,
    Subscriptions,
    parse_request,
)

if TYPE_CHECKING:
    from .market import Quote
    from .world import Sandbox

log = structlog.get_logger(__name__)

ROUTES: Final[Mapping[str, tuple[Family, str]]] = {
    "/v2/iex": ("stocks", "iex"),
    "/v2/sip": ("stocks", "sip"),
    "/v1beta3/crypto/us": ("crypto", "us"),
}
_MINUTE: Final = timedelta(minutes=1)
HEARTBEAT_S: Final = 20.0
"""Server pings find dead peers, so a vanished client does not hold its key's slot (406)."""


@dataclass
class StreamSettings:
    """Limits of the stream; tests shrink them (`hub.settings = replace(...)`)."""

    auth_timeout_s: float = 10.0
    symbol_limit: int = 10_000
    connection_limit: int = 1
    """Authenticated connections per key per endpoint (Alpaca: usually 1)."""
    feeds: frozenset[str] = frozenset({"iex", "sip", "us"})
    """Feeds the sandbox's "plan" includes; others get 409 insufficient subscription."""
    max_pending: int = 100_000
    """Messages queued for one socket before it is a slow client (407)."""
    max_frame_messages: int = 5_000
    slow_close_grace_s: float = 1.0
    bar_poll_s: float = 0.25

    @classmethod
    def from_config(cls, config: object) -> StreamSettings:
        """Settings from optional `stream_*` fields of the sandbox config, else the defaults."""
        base = cls()
        names = {
            "stream_auth_timeout_s": "auth_timeout_s",
            "stream_symbol_limit": "symbol_limit",
            "stream_connection_limit": "connection_limit",
            "stream_max_pending": "max_pending",
        }
        changes: dict[str, Any] = {
            ours: getattr(config, theirs)
            for theirs, ours in names.items()
            if hasattr(config, theirs)
        }
        feeds = getattr(config, "stream_feeds", None)
        if feeds is not None:
            changes["feeds"] = frozenset(feeds) | {"us"}
        return replace(base, **changes)


@dataclass
class _Control:
    frame: bytes
    close_code: int | None = None


@dataclass(eq=False)
class StreamConnection:
    """One socket: its subscriptions, auth state and outgoing queue with a writer task."""

    hub: StreamHub
    ws: web.WebSocketResponse
    request: web.Request
    path: str
    family: Family
    feed: str
    fmt: WireFormat
    id: int
    subs: Subscriptions = field(init=False)
    key: str | None = None
    closed: bool = False
    closing: bool = False
    aborted: bool = False
    _queue: deque[_Control | list[bytes]] = field(default_factory=deque)
    _pending: int = 0
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _idle: asyncio.Event = field(default_factory=asyncio.Event)
    _writer: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.subs = Subscriptions(self.family)
        self._idle.set()

    @property
    def authenticated(self) -> bool:
        """Whether the socket has passed the auth phase."""
        return self.key is not None

    # -- outgoing --------------------------------------------------------------------------
    def start_writer(self) -> None:
        """Start the task that turns the queue into frames."""
        self._writer = asyncio.create_task(self._write_loop(), name=f"stream-writer-{self.id}")

    def send(self, message: Wire, close_code: int | None = None) -> None:
        """Queue a control message (alone in its frame); optionally close after it is written."""
        if self.closed:
            return
        self._queue.append(_Control(control_frame(message, self.fmt), close_code))
        self._idle.clear()
        self._wake.set()

    def send_error(self, code: int, msg: str | None = None) -> None:
        """Queue an error; closing errors (402, 404, 406, 407, 409) close the socket after it."""
        self.send(
            error_message(code, msg), WSCloseCode.OK if code in stream_errors.CLOSING else None
        )

    def send_data(self, elements: list[bytes]) -> None:
        """Queue encoded data messages; a backlog over `max_pending` makes a slow client.

        The backlog is what is still unwritten when the next batch arrives, so one large
        batch (after a stall) is not mistaken for a slow reader.
        """
        if self.closed or not elements:
            return
        backlog = self._pending
        self._queue.append(elements)
        self._pending += len(elements)
        self._idle.clear()
        if backlog > self.hub.settings.max_pending:
            self.hub.on_slow(self)
        else:
            self._wake.set()

    async def flushed(self, within_s: float) -> None:
        """Wait until the queue has been written (or `within_s` seconds passed)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), within_s)

    async def _write_loop(self) -> None:
        ws = self.ws
        binary = self.fmt == "msgpack"
        limit = self.hub.settings.max_frame_messages
        while True:
            if not self._queue:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            item = self._queue.popleft()
            if isinstance(item, _Control):
                if not await self._write(item.frame, binary):
                    return
                if item.close_code is not None:
                    self.closing = True
                    self.drop_pending()
                    self._idle.set()
                    with contextlib.suppress(Exception):
                        await ws.close(code=item.close_code)
                    return
                continue
            if len(item) > limit:  # one large batch: several frames of `limit` messages
                self._queue.appendleft(item[limit:])
                item = item[:limit]
            chunks = [item]
            count = len(item)
            queue = self._queue
            while queue and isinstance(queue[0], list) and count + len(queue[0]) <= limit:
                nxt = queue.popleft()
                assert isinstance(nxt, list)
                chunks.append(nxt)
                count += len(nxt)
            self._pending -= count
            if not await self._write(frame_chunks(chunks, count, self.fmt), binary):
                return

    async def _write(self, data: bytes, binary: bool) -> bool:
        try:
            await self.ws.send_frame(data, WSMsgType.BINARY if binary else WSMsgType.TEXT)
        except (ConnectionError, RuntimeError):
            self.closed = True
            self.drop_pending()
            self._idle.set()
            return False
        return True

    def drop_pending(self) -> None:
        """Forget queued data (used for slow clients and on close)."""
        self._queue.clear()
        self._pending = 0

    async def stop_writer(self) -> None:
        """Let a closing writer finish its close handshake, else cancel it; wait either way."""
        task, self._writer = self._writer, None
        if task is None or task is asyncio.current_task():
            return
        if self.closing and not task.done():
            with contextlib.suppress(TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(task), 3.0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task

    def abort(self) -> None:
        """Drop the TCP connection with no close frame (a network failure, as clients see it)."""
        self.closed = self.aborted = True
        self.hub.release(self)
        self.drop_pending()
        if self._writer is not None:
            self._writer.cancel()
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    # -- session ---------------------------------------------------------------------------
    async def run(self) -> None:
        """Connected -> auth phase (timeout) -> action loop, until the socket closes."""
        if not await self._fault("connect"):
            return
        self.send(success_message("connected"))
        creds = credentials_from_headers(self.request.headers)
        if creds is not None and not await self._authenticate(*creds):
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.hub.settings.auth_timeout_s
        while not self.closed and not self.ws.closed:
            timeout: float | None = None
            if not self.authenticated:
                timeout = deadline - loop.time()
                if timeout <= 0:
                    await self._close_with_error(stream_errors.AUTH_TIMEOUT)
                    return
            try:
                msg = await self.ws.receive(timeout=timeout)
            except TimeoutError:
                await self._close_with_error(stream_errors.AUTH_TIMEOUT)
                return
            if msg.type is WSMsgType.TEXT or msg.type is WSMsgType.BINARY:
                await self._on_action(msg.data)
            else:
                return

    async def _close_with_error(self, code: int, msg: str | None = None) -> None:
        """Send an error; for closing errors also close the socket after it and wait."""
        self.send_error(code, msg)
        if code in stream_errors.CLOSING:
            self.hub.release(self)
            self.closing = True
            writer = self._writer
            if writer is not None:
                with contextlib.suppress(TimeoutError, asyncio.CancelledError, Exception):
                    await asyncio.wait_for(asyncio.shield(writer), 3.0)

    async def _on_action(self, data: bytes | str) -> None:
        try:
            message = decode_client_message(data)
        except ValueError:
            self.send_error(stream_errors.INVALID_SYNTAX)
            return
        action = message.get("action") if isinstance(message, dict) else None
        if not isinstance(message, dict) or not isinstance(action, str):
            self.send_error(stream_errors.INVALID_SYNTAX)
            return
        if action == "auth":
            if self.authenticated:
                self.send_error(stream_errors.ALREADY_AUTHENTICATED)
                return
            key, secret = message.get("key"), message.get("secret")
            if not isinstance(key, str) or not isinstance(secret, str):
                self.send_error(stream_errors.INVALID_SYNTAX)
                return
            await self._authenticate(key, secret)
        elif action in ("subscribe", "unsubscribe"):
            if not self.authenticated:
                self.send_error(stream_errors.NOT_AUTHENTICATED)
                return
            await self._subscribe(action, message)
        else:
            self.send_error(stream_errors.INVALID_SYNTAX)

    async def _authenticate(self, key: str, secret: str) -> bool:
        if not await self._fault("auth"):
            return False
        hub = self.hub
        if not hub.credentials_ok(key, secret):
            await self._close_with_error(stream_errors.AUTH_FAILED)
            return False
        if self.feed not in hub.settings.feeds:
            await self._close_with_error(stream_errors.INSUFFICIENT_SUBSCRIPTION)
            return False
        if not hub.acquire(self, key):
            await self._close_with_error(stream_errors.CONNECTION_LIMIT)
            return False
        self.send(success_message("authenticated"))
        log.info("stream.authenticated", conn=self.id, path=self.path, fmt=self.fmt)
        return True

    async def _subscribe(self, action: str, message: Mapping[str, object]) -> None:
        if not await self._fault("subscribe"):
            return
        try:
            wanted = parse_request(self.family, message)
            added = self.subs.apply(action, wanted, self.hub.settings.symbol_limit)
        except SubscriptionError as exc:
            self.send_error(exc.code)
            return
        self.send(self.subs.confirmation())
        fresh = set(added.get("trades", ())) | set(added.get("quotes", ()))
        if fresh:
            self.hub.request_ticks(self.family, fresh)

    async def _fault(self, event: str) -> bool:
        """Apply a stream fault rule for `event`; False when the normal flow must not go on."""
        rule = self.hub.sandbox.faults.match_stream(self.path, event)
        if rule is None:
            return True
        if rule.latency_ms:
            await asyncio.sleep(rule.latency_ms / 1000)
        if rule.kind in ("disconnect", "drop"):
            self.abort()
            return False
        if rule.kind == "malformed":
            self.send_raw(b"\x93\xa1" if self.fmt == "msgpack" else b'[{"T":')
            return True
        if rule.kind == "error":
            code = rule.code if rule.code is not None else 500
            await self._close_with_error(code, rule.message)
            return event == "connect" and code not in stream_errors.CLOSING
        return True

    def send_raw(self, data: bytes) -> None:
        """Queue bytes as one frame as they are (the `malformed` fault)."""
        if not self.closed:
            self._queue.append(_Control(data))
            self._idle.clear()
            self._wake.set()


def credentials_from_headers(headers: CIMultiDictProxy[str]) -> tuple[str, str] | None:
    """Key and secret from `APCA-API-KEY-ID`/`APCA-API-SECRET-KEY` or HTTP Basic, if sent."""
    key = headers.get("APCA-API-KEY-ID")
    secret = headers.get("APCA-API-SECRET-KEY")
    if key is not None and secret is not None:
        return key, secret
    auth = headers.get("Authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "basic" and token:
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        user, _, password = decoded.partition(":")
        return user, password
    return None


_Entry = tuple[str, str, Any]
"""(channel, symbol, payload) of one data message before encoding."""


class StreamHub:
    """All stream connections of one sandbox, fed by its ticker and the minute-bar clock."""

    def __init__(self, sandbox: Sandbox, settings: StreamSettings) -> None:
        self.sandbox = sandbox
        self.settings = settings
        self.connections: set[StreamConnection] = set()
        self._slots: dict[tuple[str, str], set[StreamConnection]] = {}
        self._family_of: dict[str, Family] = {}
        self._symbols: dict[Family, list[str]] = {"stocks": [], "crypto": []}
        self._tasks: set[asyncio.Task[None]] = set()
        self._bar_task: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._encoder = Encoder()
        self.stats = {"messages": 0, "slow_clients": 0}
        """Data messages queued to sockets, and sockets closed as slow clients."""

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Index the universe, listen to the ticker and start the minute-bar clock."""
        self._family_of.clear()
        self._symbols = {"stocks": [], "crypto": []}
        for inst in self.sandbox.market.universe:
            family: Family = "crypto" if inst.asset_class == "crypto" else "stocks"
            self._family_of[inst.symbol] = family
            self._symbols[family].append(inst.symbol)
        self.sandbox.ticker.add_listener(self.on_ticks)
        self._bar_task = asyncio.create_task(self._bar_loop(), name="stream-bars")

    async def close(self) -> None:
        """Stop listening and cancel every background task."""
        self.sandbox.ticker.remove_listener(self.on_ticks)
        tasks = [t for t in (self._bar_task, *self._tasks) if t is not None]
        self._bar_task = None
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def shutdown(self) -> None:
        """Close every socket with 1001 (going away), as a server going down does."""
        conns = list(self.connections)

        async def close_one(conn: StreamConnection) -> None:
            conn.closed = True
            conn.drop_pending()
            await conn.stop_writer()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(
                    conn.ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown"), 1.0
                )

        await asyncio.gather(*(close_one(c) for c in conns), return_exceptions=True)

    # -- connections -----------------------------------------------------------------------
    def new_connection(
        self, ws: web.WebSocketResponse, request: web.Request, fmt: WireFormat
    ) -> StreamConnection:
        """Register a socket that has just been upgraded."""
        family, feed = ROUTES[request.path]
        conn = StreamConnection(
            hub=self,
            ws=ws,
            request=request,
            path=request.path,
            family=family,
            feed=feed,
            fmt=fmt,
            id=next(self._ids),
        )
        self.connections.add(conn)
        conn.start_writer()
        return conn

    async def remove(self, conn: StreamConnection) -> None:
        """Forget a socket whose handler is ending; its writer is stopped."""
        self.release(conn)
        self.connections.discard(conn)
        if not conn.closed and not conn.closing:
            await conn.flushed(0.5)
        conn.closed = True
        await conn.stop_writer()
        conn.drop_pending()

    def credentials_ok(self, key: str, secret: str) -> bool:
        """Constant-time comparison with the sandbox's key and secret."""
        config = self.sandbox.config
        return hmac.compare_digest(key.encode(), config.key.encode()) and hmac.compare_digest(
            secret.encode(), config.secret.encode()
        )

    def acquire(self, conn: StreamConnection, key: str) -> bool:
        """Take one of the key's connection slots on this endpoint; False at the limit (406)."""
        slot = self._slots.setdefault((conn.path, key), set())
        if len(slot) >= self.settings.connection_limit:
            return False
        slot.add(conn)
        conn.key = key
        return True

    def release(self, conn: StreamConnection) -> None:
        """Give the slot back (idempotent)."""
        if conn.key is not None:
            slot = self._slots.get((conn.path, conn.key))
            if slot is not None:
                slot.discard(conn)

    def on_slow(self, conn: StreamConnection) -> None:
        """A socket's queue overflowed: send 407 and close it without waiting for it."""
        if conn.closed:
            return
        self.stats["slow_clients"] += 1
        conn.closed = True
        self.release(conn)
        conn.drop_pending()
        log.warning("stream.slow_client", conn=conn.id, path=conn.path)
        self._spawn(self._close_slow(conn))

    async def _close_slow(self, conn: StreamConnection) -> None:
        await conn.stop_writer()
        grace = self.settings.slow_close_grace_s
        binary = conn.fmt == "msgpack"
        try:
            async with asyncio.timeout(grace):
                await conn.ws.send_frame(
                    control_frame(error_message(stream_errors.SLOW_CLIENT), conn.fmt),
                    WSMsgType.BINARY if binary else WSMsgType.TEXT,
                )
                await conn.ws.close(code=WSCloseCode.POLICY_VIOLATION, message=b"slow client")
        except (TimeoutError, ConnectionError, RuntimeError):
            pass
        finally:
            transport = conn.request.transport
            transport = conn.request.transport
            if transport is not None and (
                not conn.ws.closed or transport.get_write_buffer_size() > 0
            ):
                transport.abort()

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- data ------------------------------------------------------------------------------
    def request_ticks(self, family: Family, symbols: set[str]) -> None:
        """Ask the ticker for a prompt trade+quote of newly subscribed symbols."""
        if WILDCARD in symbols:
            symbols = symbols - {WILDCARD} | set(self._symbols[family])
        self.sandbox.ticker.request_ticks(s for s in symbols if self._family_of.get(s) == family)

    def on_ticks(self, batch: Sequence[Trade | Quote]) -> None:
        """Ticker listener: fan a batch of trades and quotes out (synchronous, no awaits)."""
        if not self.connections:
            return
        by_family: dict[Family, list[_Entry]] = {}
        family_of = self._family_of
        for item in batch:
            family = family_of.get(item.symbol)
            if family is None:
                continue
            channel = "trades" if isinstance(item, Trade) else "quotes"
            by_family.setdefault(family, []).append((channel, item.symbol, item))
        for family, entries in by_family.items():
            self.publish(family, entries)

    def publish(self, family: Family, entries: Sequence[_Entry]) -> None:
        """Encode each message once per format in use, then queue each socket's share."""
        conns = [
            c
            for c in self.connections
            if c.family == family and c.authenticated and not c.closed and not c.subs.is_empty()
        ]
        if not conns:
            return
        wires = [_wire(ch, payload, family) for ch, _, payload in entries]
        element = self._encoder.element
        encoded: dict[WireFormat, list[bytes]] = {
            fmt: [element(wire, fmt) for wire in wires] for fmt in {c.fmt for c in conns}
        }
        channels = {channel for channel, _, _ in entries}
        faults = self.sandbox.faults
        for conn in conns:
            blobs = encoded[conn.fmt]
            subs = conn.subs
            if all(subs.wildcard(ch) for ch in channels):
                selected = blobs
            else:
                wanted = {ch: (subs.wildcard(ch), subs.symbols(ch)) for ch in channels}
                selected = [
                    blob
                    for (ch, symbol, _), blob in zip(entries, blobs, strict=True)
                    if wanted[ch][0] or symbol in wanted[ch][1]
                ]
            if not selected:
                continue
            rule = faults.match_stream(conn.path, "data")
            if rule is not None and self._data_fault(conn, rule):
                continue
            self.stats["messages"] += len(selected)
            conn.send_data(selected)

    def _data_fault(self, conn: StreamConnection, rule: Any) -> bool:
        """Apply a data-event fault; True when the data must not be sent."""
        if rule.kind in ("disconnect", "drop"):
            conn.abort()
            return True
        if rule.kind == "malformed":
            conn.send_raw(b"\x93\xa1" if conn.fmt == "msgpack" else b'[{"T":')
            return True
        if rule.kind == "error":
            code = rule.code if rule.code is not None else 500
            conn.send_error(code, rule.message)
            if code in stream_errors.CLOSING:
                self.release(conn)
            return True
        return False

    # -- minute bars -----------------------------------------------------------------------
    async def _bar_loop(self) -> None:
        now = self.sandbox.now
        last = _floor_minute(now())
        while True:
            await asyncio.sleep(self.settings.bar_poll_s)
            current = _floor_minute(now())
            if current <= last:
                continue
            last = current
            try:
                self.emit_bars(current - _MINUTE)
            except Exception:
                log.exception("stream.bars_failed")

    def emit_bars(self, minute: datetime) -> None:
        """At the end of `minute` (its start): minute bars, and today's daily bar so far."""
        for family in ("stocks", "crypto"):
            entries: list[_Entry] = []
            for channel, make in (("bars", self.minute_bar), ("dailyBars", self.daily_bar)):
                for symbol in self._wanted(family, channel):
                    bar = make(symbol, minute)
                    if bar is not None:
                        entries.append((channel, symbol, (symbol, bar)))
            if entries:
                self.publish(family, entries)

    def _wanted(self, family: Family, channel: str) -> list[str]:
        """Symbols of `channel` some authenticated socket of the family subscribes to."""
        wanted: set[str] = set()
        for c in self.connections:
            if c.family == family and c.authenticated:
                wanted.update(c.subs.symbols(channel))
        if WILDCARD in wanted:
            return list(self._symbols[family])
        return sorted(s for s in wanted if self._family_of.get(s) == family)

    def daily_bar(self, symbol: str, minute: datetime) -> Bar | None:
        """Today's daily bar up to now, sent each minute while the market is open."""
        sandbox = self.sandbox
        inst = sandbox.market.universe.get(symbol)
        if inst is None or not sandbox.clock.is_open(inst.asset_class, minute):
            return None
        now = sandbox.now()
        crypto = inst.asset_class == "crypto"
        today = now.astimezone(UTC).date() if crypto else sandbox.clock.market_date(now)
        bars = sandbox.market.daily_bars(inst.symbol, today - timedelta(days=7), today)
        return bars[-1] if bars else None

    def minute_bar(self, symbol: str, minute: datetime) -> Bar | None:
        """The market's bar of that minute; synthesised from the price path when it has none."""
        sandbox = self.sandbox
        inst = sandbox.market.universe.get(symbol)
        if inst is None or not sandbox.clock.is_open(inst.asset_class, minute):
            return None
        end = minute + _MINUTE
        with contextlib.suppress(Exception):
            for bar in sandbox.market.minute_bars(inst.symbol, minute, end):
                if bar.t == minute:
                    return bar
        return sandbox.market.path_bar(inst.symbol, minute)


def _wire(channel: str, payload: Any, family: Family) -> Wire:
    if channel == "trades":
        return trade_wire(payload, family)
    if channel == "quotes":
        return quote_wire(payload, family)
    symbol, bar = payload
    return bar_wire(symbol, bar, "d" if channel == "dailyBars" else "b")


def _floor_minute(t: datetime) -> datetime:
    return t.replace(second=0, microsecond=0)


STREAM_HUB: Final = web.AppKey("stream_hub", StreamHub)


async def _handle(request: web.Request) -> web.StreamResponse:
    hub = request.app[STREAM_HUB]
    content_type = request.headers.get("Content-Type", "")
    fmt: WireFormat = "msgpack" if "msgpack" in content_type.lower() else "json"
    ws = web.WebSocketResponse(
        compress=False, max_msg_size=16 * 1024 * 1024, timeout=2.0, heartbeat=HEARTBEAT_S
    )
    await ws.prepare(request)
    conn = hub.new_connection(ws, request, fmt)
    try:
        await conn.run()
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("stream.connection_failed", conn=conn.id, path=conn.path)
    finally:
        await hub.remove(conn)
        log.info("stream.disconnected", conn=conn.id, path=conn.path, code=ws.close_code)
        if not ws.closed and not conn.aborted:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 1.0)
    return ws


def setup(app: web.Application, settings: StreamSettings | None = None) -> None:
    """Add the stream routes; the hub starts with the app and closes sockets on shutdown."""
    sandbox = app[SANDBOX]
    hub = StreamHub(sandbox, settings or StreamSettings.from_config(sandbox.config))
    app[STREAM_HUB] = hub
    for path in ROUTES:
        app.router.add_get(path, _handle)

    async def hub_ctx(app: web.Application) -> AsyncIterator[None]:
        await hub.start()
        yield
        await hub.close()

    async def on_shutdown(app: web.Application) -> None:
        await hub.shutdown()

    app.cleanup_ctx.append(hub_ctx)
    app.on_shutdown.append(on_shutdown)


__all__ = [
    "ROUTES",
    "STREAM_HUB",
    "StreamConnection",
    "StreamHub",
    "StreamSettings",
    "credentials_from_headers",
    "setup",
]
