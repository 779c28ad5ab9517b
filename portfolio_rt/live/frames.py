"""RFC 6455 text frames as a server writes them (unmasked, unfragmented, uncompressed).

The flusher writes an update straight to an idle socket's transport in one `write` call,
instead of waking that socket's writer task: at thousands of sockets a push interval, the
task switch cost more than the write. Every other message goes through aiohttp's writer,
which frames the same way (see `api/live.py`).
"""

from __future__ import annotations

import struct

OP_TEXT = 0x81
"""FIN bit and the text opcode."""

_LEN16 = struct.Struct("!BBH")
_LEN64 = struct.Struct("!BBQ")


def text_frame(payload: bytes) -> bytes:
    """One complete frame carrying `payload` (UTF-8 text) from server to client."""
    size = len(payload)
    if size < 126:
        return bytes((OP_TEXT, size)) + payload
    if size < 65536:
        return _LEN16.pack(OP_TEXT, 126, size) + payload
    return _LEN64.pack(OP_TEXT, 127, size) + payload
