"""One market-data websocket (stocks feed or crypto), kept connected and subscribed.

The connection's life: connect (msgpack asked with `Content-Type: application/msgpack`),
`connected`, auth, subscribe to trades and quotes of the wanted symbols, then read frames and
hand each decoded data frame to `sink` in one synchronous call (the price path).

- Subscriptions follow `want(symbols)` by diff (subscribe the new, unsubscribe the gone).
- Reconnects with jittered exponential backoff, reset only after a successful subscribe.
- A connection with no data for `silence_timeout_s` while its market is open is presumed dead.
- 402 (auth failed) and 409 (feed not in plan) stop the reader: `state` says why (/ready).
- 406 (connection limit) waits `connection_limit_delay_s` and retries.
- 405 (symbol limit) keeps the symbols with the most holders on the stream (the cap is found
  by bisection) and leaves the rest in `overflow`, for the snapshot poller.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable
from typing import Any, Literal

import structlog
from aiohttp import ClientError, ClientSession, ClientWebSocketResponse, WSMsgType

from ..config import StreamSettings
from ..core import stream_errors
from ..core.backoff import Backoff
from ..core.tasks import BackgroundTask
from . import protocol
from .market_hours import MarketHours
from .protocol import Encoding, StreamError

log = structlog.get_logger("portfolio_rt.stream")

Family = Literal["stocks", "crypto"]
ReaderState = Literal["idle", "connecting", "live", "reconnecting", "auth_failed", "stopped"]
Sink = Callable[[list[dict[str, Any]]], None]


class StreamReader(BackgroundTask):
    """Keeps one stream connection subscribed to `wanted` and feeds `sink`."""

    def __init__(
        self,
        *,
        family: Family,
        url: str,
        key: str,
        secret: str,
        session: ClientSession,
        settings: StreamSettings,
        sink: Sink,
        market: MarketHours,
        rank: Callable[[str], int] | None = None,
        on_state: Callable[[StreamReader], None] | None = None,
    ) -> None:
        super().__init__()
        self.name = f"stream-{family}"
        self.family = family
        self.url = url
        self._key = key
        self._secret = secret
        self._session = session
        self.settings = settings
        self.encoding: Encoding = "msgpack" if settings.encoding == "msgpack" else "json"
        self.sink = sink
        self.market = market
        self._rank = rank or (lambda _symbol: 0)
        self._on_state = on_state
        self.state: ReaderState = "idle"
        self.last_error: int | None = None
        self.wanted: set[str] = set()
        self.subscribed: set[str] = set()
        self.overflow: set[str] = set()
        self.reconnects = 0
        self._requested: set[str] = set()
        self._cap_ok = 0
        self._cap_bad: int | None = None
        self._changed = asyncio.Event()
        self._backoff = Backoff(settings.reconnect_base_delay_s, settings.reconnect_max_delay_s)

    # -- what to subscribe -----------------------------------------------------------------
    def want(self, symbols: set[str]) -> None:
        """The symbols the stream should carry (held by someone); applied by diff."""
        if symbols != self.wanted:
            self.wanted = set(symbols)
            self._changed.set()

    @property
    def cap(self) -> int | None:
        """Most symbols the plan allows, as far as 405s have told us (None: no limit seen)."""
        if self._cap_bad is None:
            return None
        if self._cap_bad - self._cap_ok <= 1:
            return self._cap_ok
        return (self._cap_ok + self._cap_bad) // 2

    def _target(self) -> set[str]:
        cap = self.cap
        if cap is None or len(self.wanted) <= cap:
            target = set(self.wanted)
        else:
            ranked = sorted(self.wanted, key=lambda s: (-self._rank(s), s))
            target = set(ranked[:cap])
        self.overflow = self.wanted - target
        return target

    # -- lifecycle -------------------------------------------------------------------------
    async def close(self) -> None:
        await super().close()
        self._set_state("stopped")

    def _set_state(self, state: ReaderState) -> None:
        if state != self.state:
            self.state = state
            if self._on_state is not None:
                self._on_state(self)

    async def _run(self) -> None:
        while True:
            while not self.wanted:
                self._set_state("idle")
                await self._changed.wait()
                self._changed.clear()
            delay: float | None = None
            try:
                await self._connection()
                reason = "closed"
            except StreamError as exc:
                self.last_error = exc.code
                if exc.code in protocol.FATAL:
                    log.error("stream.stopped", family=self.family, code=exc.code, msg=exc.msg)
                    self._set_state("auth_failed")
                    return
                reason = f"error {exc.code}"
                if exc.code == stream_errors.CONNECTION_LIMIT:
                    delay = self.settings.connection_limit_delay_s * random.uniform(1.0, 1.5)  # noqa: S311
            except (ClientError, ConnectionError, TimeoutError, ValueError) as exc:
                reason = type(exc).__name__
            self.reconnects += 1
            backoff = self._backoff.next()
            if delay is None:
                delay = backoff
            self._set_state("reconnecting")
            log.warning(
                "stream.reconnecting",
                family=self.family,
                attempt=self._backoff.attempt,
                delay_s=round(delay, 2),
                reason=reason,
            )
            await asyncio.sleep(delay)

    # -- one connection --------------------------------------------------------------------
    async def _connection(self) -> None:
        if self.state != "reconnecting":
            self._set_state("connecting")
        headers = {"Content-Type": "application/msgpack"} if self.encoding == "msgpack" else {}
        step = self.settings.handshake_timeout_s
        async with asyncio.timeout(step):
            ws = await self._session.ws_connect(
                self.url, headers=headers, heartbeat=20.0, max_msg_size=0, autoclose=True
            )
        try:
            await self._expect(ws, "connected", step)
            await self._send(ws, protocol.auth_action(self._key, self._secret))
            await self._expect(ws, "authenticated", step)
            self.subscribed = set()
            self._requested = set()
            self._changed.clear()
            await self._send_diff(ws)
            await self._await_subscription(ws, step)
            attempts = self._backoff.attempt
            self._backoff.reset()
            self._set_state("live")
            log.info(
                "stream.connected" if attempts == 0 else "stream.reconnected",
                family=self.family,
                attempt=attempts,
                symbols=len(self.subscribed),
                overflow=len(self.overflow),
            )
            await self._live(ws)
        finally:
            self.subscribed = set()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await ws.close()

    async def _live(self, ws: ClientWebSocketResponse) -> None:
        """Read frames and apply subscription changes until the connection ends."""
        reader = asyncio.create_task(self._read_loop(ws), name=f"{self.name}-read")
        updater = asyncio.create_task(self._update_loop(ws), name=f"{self.name}-subs")
        try:
            done, _ = await asyncio.wait({reader, updater}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (reader, updater):
                task.cancel()
            for task in (reader, updater):
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for task in done:
            error = task.exception()
            if error is not None:
                raise error

    async def _send(self, ws: ClientWebSocketResponse, action: dict[str, Any]) -> None:
        data = protocol.encode(action, self.encoding)
        if self.encoding == "msgpack":
            await ws.send_bytes(data)
        else:
            await ws.send_str(data.decode())

    async def _frame(self, ws: ClientWebSocketResponse, wait_s: float) -> list[dict[str, Any]]:
        msg = await ws.receive(timeout=wait_s)
        if msg.type in (WSMsgType.BINARY, WSMsgType.TEXT):
            return protocol.decode(msg.data)
        raise ConnectionError(f"stream closed ({msg.type.name}, {ws.close_code})")

    async def _expect(self, ws: ClientWebSocketResponse, success: str, wait_s: float) -> None:
        """Read control frames until `success` arrives; an error frame raises StreamError."""
        while True:
            for message in await self._frame(ws, wait_s):
                protocol.raise_for_error(message)
                if message.get("T") == "success" and message.get("msg") == success:
                    return

    async def _await_subscription(self, ws: ClientWebSocketResponse, wait_s: float) -> None:
        """Handle frames until the first subscription confirmation (data may come first)."""
        if not self._requested and not self.subscribed:
            return
        while True:
            messages = await self._frame(ws, wait_s)
            control = protocol.control_of(messages)
            if control is None:
                self.sink(messages)
                continue
            if self._control(control) == "subscription":
                return
            if self._changed.is_set():  # a 405 lowered the cap: try again
                self._changed.clear()
                await self._send_diff(ws)

    async def _send_diff(self, ws: ClientWebSocketResponse) -> None:
        target = self._target()
        add = sorted(target - self._requested)
        remove = sorted(self._requested - target)
        if remove:
            await self._send(ws, protocol.subscription_action("unsubscribe", remove))
        if add:
            await self._send(ws, protocol.subscription_action("subscribe", add))
        self._requested = target
        if add or remove:
            log.info(
                "stream.subscriptions",
                family=self.family,
                added=len(add),
                removed=len(remove),
                overflow=len(self.overflow),
            )

    async def _update_loop(self, ws: ClientWebSocketResponse) -> None:
        while True:
            await self._changed.wait()
            self._changed.clear()
            await self._send_diff(ws)

    def _control(self, message: dict[str, Any]) -> str:
        kind = str(message.get("T"))
        if kind == "subscription":
            self.subscribed = set(message.get("trades") or ())
            self._cap_ok = max(self._cap_ok, len(self.subscribed))
            cap = self.cap
            if cap is not None and self.overflow and cap > len(self._requested):
                self._changed.set()  # the limit is not known exactly yet: probe higher
        elif kind == "error":
            code = int(message.get("code", 500))
            if code == stream_errors.SYMBOL_LIMIT:
                tried = len(self._requested)
                self._cap_bad = tried if self._cap_bad is None else min(self._cap_bad, tried)
                self._requested = set(self.subscribed)
                log.warning("stream.symbol_limit", family=self.family, tried=tried, cap=self.cap)
                self._changed.set()
            else:
                protocol.raise_for_error(message)
        return kind

    def handle_frame(self, data: bytes | str) -> None:
        """One frame off the socket: data goes to the sink in one call, control to `_control`.

        This and `PriceMap.apply` are the whole per-tick cost.
        """
        messages = protocol.decode(data)
        control = protocol.control_of(messages)
        if control is None:
            self.sink(messages)
        else:
            self._control(control)

    async def _read_loop(self, ws: ClientWebSocketResponse) -> None:
        handle = self.handle_frame
        silence = self.settings.silence_timeout_s
        binary, text = WSMsgType.BINARY, WSMsgType.TEXT
        while True:
            try:
                msg = await ws.receive(timeout=silence)
            except TimeoutError:
                if self.market.is_open(self.family) and self.subscribed:
                    log.warning("stream.silent", family=self.family, silent_s=silence)
                    return
                continue
            if msg.type is binary or msg.type is text:
                handle(msg.data)
            else:
                log.info("stream.closed", family=self.family, code=ws.close_code)
                return

    # -- readiness -------------------------------------------------------------------------
    def readiness(self) -> dict[str, object]:
        return {
            "state": self.state,
            "symbols": len(self.subscribed),
            "overflow": len(self.overflow),
            "reconnects": self.reconnects,
            "last_error": self.last_error,
        }
