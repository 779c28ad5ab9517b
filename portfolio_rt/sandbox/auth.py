"""Credential checks for the sandbox's HTTP routes, answering as Alpaca does.

Broker routes (`/v1/...`) take HTTP Basic only, as the Broker API does. Market-data routes
(`/v2/...`, `/v1beta3/...`, `/v1beta1/...`) and the sandbox control routes (`/sandbox/...`) take
Basic or the `APCA-API-KEY-ID`/`APCA-API-SECRET-KEY` headers. Crypto market data
(`/v1beta3/crypto/...`) is also served with no credentials at all, as Alpaca serves it (its
document gives those operations an empty `security`); credentials that are sent must still be
right. WebSocket upgrades pass through: the stream authenticates by message.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from aiohttp import web
from aiohttp.typedefs import Handler

from .keys import SANDBOX

STREAM_PATHS = frozenset(
    {"/v2/iex", "/v2/sip", "/v2/delayed_sip", "/v2/test", "/v1beta3/crypto/us"}
)
"""WebSocket endpoints; they authenticate with the `auth` message, not HTTP headers."""

KEYLESS_PREFIX = "/v1beta3/crypto/"
"""Crypto market data: answered without credentials (the stream path above excepted)."""

UNAUTHORIZED = {"code": 40110000, "message": "request is not authorized"}
FORBIDDEN = {"code": 40310000, "message": "forbidden"}

Credentials = tuple[str, str]


def basic_credentials(header: str | None) -> Credentials | None:
    """`(key, secret)` from an `Authorization: Basic …` header, or None when absent/garbled."""
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded.strip():
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    key, sep, secret = decoded.partition(":")
    if not sep:
        return None
    return key, secret


def header_credentials(request: web.Request) -> Credentials | None:
    """`(key, secret)` from the `APCA-API-KEY-ID`/`APCA-API-SECRET-KEY` headers, if both are set."""
    key = request.headers.get("APCA-API-KEY-ID")
    secret = request.headers.get("APCA-API-SECRET-KEY")
    if key is None or secret is None:
        return None
    return key, secret


def credentials_match(given: Credentials, expected: Credentials) -> bool:
    """Constant-time comparison of both parts."""
    key_ok = hmac.compare_digest(given[0].encode(), expected[0].encode())
    secret_ok = hmac.compare_digest(given[1].encode(), expected[1].encode())
    return key_ok and secret_ok


def route_family(path: str) -> str:
    """Which auth rules apply: "broker", "data", "sandbox", or "open" (stream, anything else)."""
    if path in STREAM_PATHS:
        return "open"
    if path == "/v1" or path.startswith("/v1/"):
        return "broker"
    if path.startswith(("/v2/", "/v1beta3/", "/v1beta1/")):
        return "data"
    if path == "/sandbox" or path.startswith("/sandbox/"):
        return "sandbox"
    return "open"


def keyless(path: str) -> bool:
    """Whether a data route also answers a request that carries no credentials."""
    return path.startswith(KEYLESS_PREFIX) and path not in STREAM_PATHS


def sends_credentials(request: web.Request) -> bool:
    """Whether the request carries any credential header, well-formed or not."""
    headers = request.headers
    return any(
        name in headers for name in ("Authorization", "APCA-API-KEY-ID", "APCA-API-SECRET-KEY")
    )


def _error(status: int, body: dict[str, object]) -> web.Response:
    return web.json_response(body, status=status)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Reject requests without the sandbox's key and secret, with Alpaca's 401/403 JSON."""
    family = route_family(request.path)
    if family == "open":
        return await handler(request)
    config = request.app[SANDBOX].config
    expected = (config.key, config.secret)
    given = basic_credentials(request.headers.get("Authorization"))
    if family == "broker":
        if given is None or not credentials_match(given, expected):
            return _error(401, UNAUTHORIZED)
        return await handler(request)
    if keyless(request.path) and not sends_credentials(request):
        return await handler(request)
    if given is None:
        given = header_credentials(request)
    if given is None:
        return _error(401, UNAUTHORIZED)
    if not credentials_match(given, expected):
        return _error(403, FORBIDDEN)
    return await handler(request)
