"""Alpaca-compatible market-data WebSocket streams: /v2/iex, /v2/sip, /v2/delayed_sip, /v2/test
and /v1beta3/crypto/us (`stream_feeds`).

A `StreamHub` listens to the ticker and fans each batch out to the subscribed connections:
every message is encoded once per wire format, each connection gets its share appended to a
bounded queue synchronously, and one writer task per socket coalesces the queue into frames.
A client whose queue overflows is sent 407 and closed; nobody else waits for it. A clock task
sends what comes at set times (minute, updated and daily bars, LULD bands, session opens, the
test feed's prints); `stream_data` makes those messages and the snapshots a new subscription
gets (statuses, LULD bands, order books).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import itertools
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import structlog
from aiohttp import WSCloseCode, WSMsgType, web
from multidict import CIMultiDictProxy

from ..core import stream_errors
from .keys import SANDBOX
from .market import Quote, Trade
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
from .stream_data import LULD_SOURCES, Entry, StreamData
from .stream_feeds import ALWAYS_IN_PLAN, DELAYS, FEEDS, SOURCES, Source
from .stream_subscriptions import (
    WILDCARD,
    SubscriptionError,
    Subscriptions,
    parse_request,
)

if TYPE_CHECKING:
    from .world import Sandbox

log = structlog.get_logger(__name__)

ROUTES: Final[Mapping[str, tuple[Family, str]]] = {
    path: (feed.family, feed.name) for path, feed in FEEDS.items()
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
    feeds: frozenset[str] = frozenset({"iex", "sip", "delayed_sip", "test", "us"})
    """Feeds the sandbox's "plan" includes; others get 409 insufficient subscription (crypto
    and the test stream are in every plan)."""
    max_pending: int = 100_000
    """Messages queued for one socket before it is a slow client (407)."""
    max_frame_messages: int = 5_000
    slow_close_grace_s: float = 1.0
    bar_poll_s: float = 0.25
    """How often the clock task looks at the time (minute marks, half-minute marks)."""
    late_trade_share: float = 0.25
    """Share of (symbol, minute) bars whose last seconds' trades come late: their first bar is
    cut and an updated bar follows after the half-minute mark (`stream_bars`)."""
    updated_bar_delay_s: float = 30.0
    """Seconds after the minute mark that updated bars are sent (Alpaca: the half-minute)."""
    luld_poll_s: float = 15.0
    """Seconds between looks at the LULD reference prices."""
    test_tick_s: float = 1.0
    """Seconds between the test feed's FAKEPACA prints."""

    @classmethod
    def from_config(cls, config: object) -> StreamSettings:
        """Settings from optional `stream_*` fields of the sandbox config, else the defaults."""
        base = cls()
        names = {
            "stream_auth_timeout_s": "auth_timeout_s",
            "stream_symbol_limit": "symbol_limit",
            "stream_connection_limit": "connection_limit",
            "stream_max_pending": "max_pending",
            "stream_late_trade_share": "late_trade_share",
            "stream_test_tick_s": "test_tick_s",
        }
        changes: dict[str, Any] = {
            ours: getattr(config, theirs)
            for theirs, ours in names.items()
            if hasattr(config, theirs)
        }
        feeds = getattr(config, "stream_feeds", None)
        if feeds is not None:
            changes["feeds"] = frozenset(feeds) | ALWAYS_IN_PLAN
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
    source: Source
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
        if self.feed not in hub.settings.feeds and self.feed not in ALWAYS_IN_PLAN:
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
        if added:
            self.hub.on_subscribed(self, added)

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


class StreamHub:
    """All stream connections of one sandbox, fed by its ticker and the stream's clock."""

    def __init__(self, sandbox: Sandbox, settings: StreamSettings) -> None:
        self.sandbox = sandbox
        self.settings = settings
        self.data = StreamData(sandbox)
        self.connections: set[StreamConnection] = set()
        self._slots: dict[tuple[str, str], set[StreamConnection]] = {}
        self._source_of: dict[str, Source] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._clock_task: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._encoder = Encoder()
        self.stats = {"messages": 0, "slow_clients": 0}
        """Data messages queued to sockets, and sockets closed as slow clients."""

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Index the universe, listen to the ticker and start the stream's clock."""
        self._source_of = {
            inst.symbol: "crypto" if inst.asset_class == "crypto" else "stocks"
            for inst in self.sandbox.market.universe
        }
        self.sandbox.ticker.add_listener(self.on_ticks)
        self._clock_task = asyncio.create_task(self._clock_loop(), name="stream-clock")

    async def close(self) -> None:
        """Stop listening and cancel every background task."""
        self.sandbox.ticker.remove_listener(self.on_ticks)
        tasks = [t for t in (self._clock_task, *self._tasks) if t is not None]
        self._clock_task = None
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
        feed = FEEDS[request.path]
        conn = StreamConnection(
            hub=self,
            ws=ws,
            request=request,
            path=request.path,
            family=feed.family,
            feed=feed.name,
            source=feed.source,
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
    def on_subscribed(self, conn: StreamConnection, added: Mapping[str, list[str]]) -> None:
        """What a subscription brings at once: fresh prints of new trade and quote symbols,
        and to this socket alone each new symbol's status, LULD band and order book."""
        source = conn.source
        expand = self._expander(source)
        fresh = expand(added.get("trades", ())) | expand(added.get("quotes", ()))
        if fresh:
            self._request_ticks(source, fresh)
        entries: list[Entry] = []
        if "statuses" in added:
            entries.extend(self.data.statuses(source, sorted(expand(added["statuses"]))))
        if "lulds" in added:
            entries.extend(self.data.bands(source, sorted(expand(added["lulds"]))))
        if "orderbooks" in added:
            entries.extend(self.data.book_snapshots(sorted(expand(added["orderbooks"]))))
        if entries:
            self.send_entries(conn, entries)

    def _expander(self, source: Source) -> Callable[[Iterable[str]], set[str]]:
        """A function turning requested symbols (maybe `"*"`) into the source's symbols."""
        src = self.data.sources[source]

        def expand(symbols: Iterable[str]) -> set[str]:
            wanted = set(symbols)
            if WILDCARD in wanted:
                return set(src.symbols)
            return {s for s in wanted if src.has(s)}

        return expand

    def _request_ticks(self, source: Source, symbols: set[str]) -> None:
        """A prompt trade and quote of newly subscribed symbols, so a client sees data at once."""
        if source in ("stocks", "crypto"):
            self.sandbox.ticker.request_ticks(symbols)
            return
        entries = self.data.ticks(source, sorted(symbols), self.data.now(source))
        if entries:
            self.publish(source, entries)

    def on_ticks(self, batch: Sequence[Trade | Quote]) -> None:
        """Ticker listener: fan a batch of trades and quotes out (synchronous, no awaits); the
        delayed feed gets the market's prints of 15 minutes before, and crypto quotes move the
        order books."""
        if not self.connections:
            return
        by_source: dict[Source, list[Entry]] = {}
        source_of = self._source_of
        for item in batch:
            source = source_of.get(item.symbol)
            if source is None:
                continue
            channel = "trades" if isinstance(item, Trade) else "quotes"
            by_source.setdefault(source, []).append((channel, item.symbol, item))
        for source, entries in by_source.items():
            self.publish(source, entries)
        if "stocks" in by_source:
            self._delayed_ticks(batch)
        if "crypto" in by_source:
            self._book_updates([e[2] for e in by_source["crypto"] if e[0] == "quotes"])

    def _delayed_ticks(self, batch: Sequence[Trade | Quote]) -> None:
        """The delayed feed's share of a live batch: the same symbols' prints 15 minutes back."""
        if not self._listening("delayed"):
            return
        trades = self._wanted_set("delayed", "trades")
        quotes = self._wanted_set("delayed", "quotes")
        if trades or quotes:
            every = WILDCARD in trades or WILDCARD in quotes
            entries = self.data.delayed(batch, trades, quotes, every)
            if entries:
                self.publish("delayed", entries)

    def _book_updates(self, quotes: Sequence[Quote]) -> None:
        """The order book changes the crypto quotes make (books nobody follows are dropped)."""
        entries = self.data.book_updates(quotes, set(self._wanted("crypto", "orderbooks")))
        if entries:
            self.publish("crypto", entries)

    def _listening(self, source: Source) -> bool:
        return any(c.source == source and c.authenticated for c in self.connections)

    def _wanted_set(self, source: Source, channel: str) -> set[str]:
        wanted: set[str] = set()
        for c in self.connections:
            if c.source == source and c.authenticated:
                wanted.update(c.subs.symbols(channel))
        return wanted

    def _wanted(self, source: Source, channel: str) -> list[str]:
        """Symbols of `channel` some authenticated socket of the source subscribes to."""
        wanted = self._wanted_set(source, channel)
        src = self.data.sources[source]
        if WILDCARD in wanted:
            return list(src.symbols)
        return sorted(s for s in wanted if src.has(s))

    def publish(self, source: Source, entries: Sequence[Entry]) -> None:
        """Encode each message once per format in use, then queue each socket's share."""
        conns = [
            c
            for c in self.connections
            if c.source == source and c.authenticated and not c.closed and not c.subs.is_empty()
        ]
        if not conns:
            return
        family = conns[0].family
        wires = [_wire(ch, payload, family) for ch, _, payload in entries]
        element = self._encoder.element
        encoded: dict[WireFormat, list[bytes]] = {
            fmt: [element(wire, fmt) for wire in wires] for fmt in {c.fmt for c in conns}
        }
        channels = {channel for channel, _, _ in entries}
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
            self._deliver(conn, selected)

    def send_entries(self, conn: StreamConnection, entries: Sequence[Entry]) -> None:
        """Queue messages for one socket only (the snapshots a subscription brings)."""
        element = self._encoder.element
        self._deliver(
            conn, [element(_wire(ch, payload, conn.family), conn.fmt) for ch, _, payload in entries]
        )

    def _deliver(self, conn: StreamConnection, blobs: list[bytes]) -> None:
        if not blobs:
            return
        rule = self.sandbox.faults.match_stream(conn.path, "data")
        if rule is not None and self._data_fault(conn, rule):
            return
        self.stats["messages"] += len(blobs)
        conn.send_data(blobs)

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

    # -- the clock -------------------------------------------------------------------------
    async def _clock_loop(self) -> None:
        """Minute marks (bars), half-minute marks (updated bars), session opens, LULD bands,
        the test feed's prints."""
        loop = asyncio.get_running_loop()
        now = self.sandbox.now
        last = _floor_minute(now())
        updated = last - _MINUTE
        was_open = {s: self.data.is_open(s, self.data.now(s)) for s in LULD_SOURCES}
        next_luld = next_test = loop.time()
        while True:
            await asyncio.sleep(self.settings.bar_poll_s)
            settings = self.settings
            try:
                t = now()
                current = _floor_minute(t)
                if current > last:
                    last = current
                    self.emit_bars(current - _MINUTE)
                if current - _MINUTE > updated and t - current >= timedelta(
                    seconds=settings.updated_bar_delay_s
                ):
                    updated = current - _MINUTE
                    self.emit_updated_bars(updated)
                for source in LULD_SOURCES:
                    is_open = self.data.is_open(source, self.data.now(source))
                    if is_open != was_open[source]:
                        was_open[source] = is_open
                        self.emit_session_change(source, is_open)
                if loop.time() >= next_luld:
                    next_luld = loop.time() + settings.luld_poll_s
                    self.emit_lulds()
                if loop.time() >= next_test:
                    next_test = loop.time() + settings.test_tick_s
                    self.emit_test_ticks()
            except Exception:
                log.exception("stream.clock_failed")

    def emit_bars(self, minute: datetime) -> None:
        """At the end of `minute` (its start): minute bars, and today's daily bar so far; the
        delayed feed's are those of 15 minutes before."""
        share = self.settings.late_trade_share
        for source in SOURCES:
            bars, days = self._wanted(source, "bars"), self._wanted(source, "dailyBars")
            if not bars and not days:
                continue
            entries = self.data.bars(source, minute - DELAYS[source], bars, days, share)
            if entries:
                self.publish(source, entries)

    def emit_updated_bars(self, minute: datetime) -> None:
        """After the half-minute mark following `minute`: its bars that late trades changed."""
        share = self.settings.late_trade_share
        for source in SOURCES:
            symbols = self._wanted(source, "updatedBars")
            if symbols:
                entries = self.data.updated_bars(source, minute - DELAYS[source], symbols, share)
                if entries:
                    self.publish(source, entries)

    def emit_session_change(self, source: Source, is_open: bool) -> None:
        """A session opened: statuses and opening LULD bands; it closed: bands end."""
        if not is_open:
            self.data.session_closed(source)
            return
        statuses, lulds = self._wanted(source, "statuses"), self._wanted(source, "lulds")
        entries = self.data.session_opened(source, statuses, lulds)
        if entries:
            self.publish(source, entries)

    def emit_lulds(self) -> None:
        """New LULD bands of the symbols whose reference price moved 1% or more."""
        for source in LULD_SOURCES:
            entries = self.data.moved_bands(source, self._wanted(source, "lulds"))
            if entries:
                self.publish(source, entries)

    def emit_test_ticks(self) -> None:
        """The test feed's print: a FAKEPACA trade and quote now, whatever the market hours."""
        symbols = set(self._wanted("test", "trades")) | set(self._wanted("test", "quotes"))
        if symbols:
            self.publish("test", self.data.ticks("test", sorted(symbols), self.data.now("test")))


_BAR_KINDS: Final = {"bars": "b", "updatedBars": "u", "dailyBars": "d"}


def _wire(channel: str, payload: Any, family: Family) -> Wire:
    if isinstance(payload, dict):
        return payload
    if channel == "trades":
        return trade_wire(payload, family)
    if channel == "quotes":
        return quote_wire(payload, family)
    symbol, bar = payload
    return bar_wire(symbol, bar, _BAR_KINDS[channel])


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
