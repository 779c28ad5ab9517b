"""Alpaca's market-data stream error codes, as its documentation lists them: one table for the
service's stream reader and the sandbox's stream server."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

INVALID_SYNTAX: Final = 400
NOT_AUTHENTICATED: Final = 401
AUTH_FAILED: Final = 402
ALREADY_AUTHENTICATED: Final = 403
AUTH_TIMEOUT: Final = 404
SYMBOL_LIMIT: Final = 405
CONNECTION_LIMIT: Final = 406
SLOW_CLIENT: Final = 407
V2_NOT_ENABLED: Final = 408
INSUFFICIENT_SUBSCRIPTION: Final = 409
INVALID_SUBSCRIBE_ACTION: Final = 410
INSUFFICIENT_SCOPE: Final = 411
INTERNAL_ERROR: Final = 500

MESSAGES: Final[Mapping[int, str]] = {
    INVALID_SYNTAX: "invalid syntax",
    NOT_AUTHENTICATED: "not authenticated",
    AUTH_FAILED: "auth failed",
    ALREADY_AUTHENTICATED: "already authenticated",
    AUTH_TIMEOUT: "auth timeout",
    SYMBOL_LIMIT: "symbol limit exceeded",
    CONNECTION_LIMIT: "connection limit exceeded",
    SLOW_CLIENT: "slow client",
    V2_NOT_ENABLED: "v2 not enabled",
    INSUFFICIENT_SUBSCRIPTION: "insufficient subscription",
    INVALID_SUBSCRIBE_ACTION: "invalid subscribe action for this feed",
    INSUFFICIENT_SCOPE: "insufficient scope",
    INTERNAL_ERROR: "internal error",
}
CLOSING: Final = frozenset(
    {AUTH_FAILED, AUTH_TIMEOUT, CONNECTION_LIMIT, SLOW_CLIENT, INSUFFICIENT_SUBSCRIPTION}
)
"""Errors after which Alpaca closes the connection."""
