"""Server-sent events read from a streaming HTTP body, as the SSE specification frames them:
`data:` lines (joined by newlines) make one message, a blank line ends it, lines starting with
`:` are comments (heartbeats), other fields (`id`, `event`, `retry`) are passed over."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import aiohttp

MAX_MESSAGE_BYTES = 1024 * 1024
"""A message larger than this is a broken stream, not an event."""


class SseError(Exception):
    """The stream broke the framing (a message without end, too large)."""


async def sse_messages(
    content: aiohttp.StreamReader, on_line: Callable[[], None] = lambda: None
) -> AsyncIterator[str]:
    """Each message's data, in order; `on_line` is told of every line (heartbeats included),
    so a reader can tell a quiet stream from a dead one. Ends with the body."""
    data: list[str] = []
    size = 0
    async for raw in content:
        on_line()
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if not line:
            if data:
                yield "\n".join(data)
            data, size = [], 0
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        if name != "data":
            continue
        value = value.removeprefix(" ")
        size += len(value)
        if size > MAX_MESSAGE_BYTES:
            raise SseError("an event larger than 1 MiB")
        data.append(value)
