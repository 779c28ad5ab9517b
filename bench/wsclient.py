"""A WebSocket client for load tests: thousands per process, a few microseconds a message.

aiohttp's client spends tens of microseconds on each received message (a task wake-up, a
message object, UTF-8 decoding). With 10,000 sockets receiving one update each at the same
push, that alone would hold the last update back by a third of a second, and the benchmark
would measure its own clients. This one is an `asyncio.Protocol`: the RFC 6455 upgrade
(checking `Sec-WebSocket-Accept`), then frames cut in `data_received` and handed over as
bytes with the time they arrived. It answers pings and closes as a client must (masked), and
sends the text a handler returns (a client's own message, such as a subscribe).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import sys
import time
from collections.abc import Callable, Sequence

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_TEXT, _CLOSE, _PING, _PONG = 0x1, 0x8, 0x9, 0xA

OnText = Callable[[bytes, float], bytes | None]
"""Called with each text message's payload and the monotonic time its bytes arrived; what it
returns (if anything) is sent back as one text message."""


class HandshakeFailed(Exception):
    """The server did not switch protocols (the status line and headers are the message)."""


class FrameClient(asyncio.Protocol):
    """One client socket; `opened` resolves after the upgrade, `lost` when it closes."""

    def __init__(self, host: str, path: str, headers: Sequence[str], on_text: OnText) -> None:
        self._key = base64.b64encode(os.urandom(16))
        self._request = "\r\n".join(
            [
                f"GET {path} HTTP/1.1",
                f"Host: {host}",
                "Upgrade: websocket",
                "Connection: Upgrade",
                f"Sec-WebSocket-Key: {self._key.decode()}",
                "Sec-WebSocket-Version: 13",
                *headers,
                "",
                "",
            ]
        ).encode()
        self._on_text = on_text
        self._buffer = bytearray()
        self._upgraded = False
        self._transport: asyncio.Transport | None = None
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.lost: asyncio.Future[None] = loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionResetError("closed before the upgrade"))
        if not self.lost.done():
            self.lost.set_result(None)

    def data_received(self, data: bytes) -> None:
        arrived = time.monotonic()
        buffer = self._buffer
        buffer += data
        if not self._upgraded and not self._upgrade():
            return
        self._frames(arrived)

    def _upgrade(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self._buffer[:end])
        del self._buffer[: end + 4]
        accept = base64.b64encode(hashlib.sha1(self._key + _GUID).digest())  # noqa: S324 - RFC 6455
        lines = head.split(b"\r\n")
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(b":") for line in lines[1:])
        }
        if b" 101 " not in lines[0] or headers.get(b"sec-websocket-accept") != accept:
            self.opened.set_exception(HandshakeFailed(head.decode(errors="replace")))
            self.close()
            return False
        self._upgraded = True
        self.opened.set_result(None)
        return True

    def _frames(self, arrived: float) -> None:
        buffer = self._buffer
        size_all = len(buffer)
        at = 0
        while size_all - at >= 2:
            first, second = buffer[at], buffer[at + 1]
            if second & 0x80 or not first & 0x80:
                raise ValueError("a server frame must be unmasked and unfragmented here")
            size, head = second & 0x7F, 2
            if size == 126:
                if size_all - at < 4:
                    break
                size, head = int.from_bytes(buffer[at + 2 : at + 4], "big"), 4
            elif size == 127:
                if size_all - at < 10:
                    break
                size, head = int.from_bytes(buffer[at + 2 : at + 10], "big"), 10
            if size_all - at < head + size:
                break
            payload = bytes(buffer[at + head : at + head + size])
            at += head + size
            opcode = first & 0x0F
            if opcode == _TEXT:
                reply = self._on_text(payload, arrived)
                if reply is not None:
                    self._send(_TEXT, reply)
            elif opcode == _PING:
                self._send(_PONG, payload)
            elif opcode == _CLOSE:
                self._send(_CLOSE, payload[:2])
                self.close()
                break
        del buffer[:at]

    def _send(self, opcode: int, payload: bytes) -> None:
        """A client frame: always masked (RFC 6455 section 5.3)."""
        if self._transport is None or self._transport.is_closing():
            return
        size = len(payload)
        if size < 126:
            head = bytes((0x80 | opcode, 0x80 | size))
        elif size < 1 << 16:
            head = bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
        else:
            head = bytes((0x80 | opcode, 0x80 | 127)) + size.to_bytes(8, "big")
        mask = os.urandom(4)
        key = (mask * (size // 4 + 1))[:size]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(size, "big")
        self._transport.write(head + mask + masked)

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


async def connect(
    host: str, port: int, path: str, headers: Sequence[str], on_text: OnText
) -> FrameClient:
    """Open one socket and wait for its upgrade."""
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(
        lambda: FrameClient(f"{host}:{port}", path, headers, on_text), host, port
    )
    await client.opened
    return client


async def open_account_sockets(
    port: int,
    accounts: Sequence[str],
    headers_for: Callable[[str], Sequence[str]],
    on_text_for: Callable[[str], OnText],
    *,
    attempts: int = 5,
) -> list[FrameClient]:
    """One socket per account on `/ws/portfolio/{account}`, opened 100 at a time (a server's
    accept backlog is finite), each retried a few times; the ones that opened."""
    clients: list[FrameClient] = []

    async def open_one(account: str) -> None:
        error: Exception | None = None
        for _attempt in range(attempts):
            try:
                path = f"/ws/portfolio/{account}"
                on_text = on_text_for(account)
                clients.append(
                    await connect("127.0.0.1", port, path, headers_for(account), on_text)
                )
                return
            except (OSError, HandshakeFailed) as exc:
                error = exc
                await asyncio.sleep(0.5)
        print(f"{account}: cannot connect: {error!r:.200}", file=sys.stderr)

    tasks = []
    for n, account in enumerate(accounts, 1):
        tasks.append(asyncio.create_task(open_one(account)))
        if n % 100 == 0:
            await asyncio.sleep(0.02)
    await asyncio.gather(*tasks)
    return clients
