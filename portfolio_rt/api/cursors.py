"""Opaque page cursors: what the next page needs, base64url JSON, checked on the way in."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from ..core.errors import BadRequest


def encode_cursor(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(state)).rstrip(b"=").decode("ascii")


def decode_cursor(raw: str | None, kind: str) -> dict[str, Any] | None:
    """The state inside a cursor this service made for `kind`; a forged one is a 400."""
    if raw is None or raw == "":
        return None
    try:
        padded = raw + "=" * (-len(raw) % 4)
        state = orjson.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise BadRequest("The cursor is not valid; start again without it.") from None
    if not isinstance(state, dict) or state.get("k") != kind:
        raise BadRequest("The cursor is not valid; start again without it.")
    return state
