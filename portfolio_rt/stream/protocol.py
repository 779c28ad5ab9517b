"""Alpaca's stream wire format as the reader needs it: encode actions, decode frames, errors."""

from __future__ import annotations

from typing import Any, Final, Literal

import msgpack
import orjson

from ..core.stream_errors import AUTH_FAILED, INSUFFICIENT_SUBSCRIPTION

Encoding = Literal["msgpack", "json"]

FATAL: Final = frozenset({AUTH_FAILED, INSUFFICIENT_SUBSCRIPTION})
"""Errors no reconnect can fix: stop and report (bad credentials, feed not in the plan)."""
CONTROL: Final = frozenset({"success", "error", "subscription"})

CHANNELS: Final = ("trades", "quotes")


class StreamError(Exception):
    """The stream answered with an error message (`code` as Alpaca documents it)."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(f"{code} {msg}")
        self.code = code
        self.msg = msg


def decode(data: bytes | str) -> list[dict[str, Any]]:
    """A frame in either format (binary frames are msgpack, text frames JSON)."""
    out = orjson.loads(data) if isinstance(data, str) else msgpack.unpackb(data)
    if isinstance(out, dict):
        return [out]
    if not isinstance(out, list):
        raise ValueError("stream frame is not an array")
    return out


def encode(action: dict[str, Any], encoding: Encoding) -> bytes:
    if encoding == "msgpack":
        return msgpack.packb(action)  # type: ignore[no-any-return, unused-ignore]
    return orjson.dumps(action)


def auth_action(key: str, secret: str) -> dict[str, Any]:
    return {"action": "auth", "key": key, "secret": secret}


def subscription_action(action: str, symbols: list[str]) -> dict[str, Any]:
    """Subscribe (or unsubscribe) trades and quotes of these symbols."""
    return {"action": action, **{channel: symbols for channel in CHANNELS}}


def control_of(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The control message of a frame (Alpaca sends them alone in a one-element array)."""
    if len(messages) == 1:
        first = messages[0]
        if isinstance(first, dict) and first.get("T") in CONTROL:
            return first
    return None


def raise_for_error(message: dict[str, Any]) -> None:
    if message.get("T") == "error":
        raise StreamError(int(message.get("code", 500)), str(message.get("msg", "")))
