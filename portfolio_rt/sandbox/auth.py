"""Credential checks for the sandbox's HTTP routes, answering as Alpaca does.

Broker routes (`/v1/...`) take HTTP Basic only, as the Broker API does. Market-data routes
(`/v2/...`, `/v1beta3/...`) and the sandbox control routes (`/sandbox/...`) take Basic or the
`APCA-API-KEY-ID`/`APCA-API-SECRET-KEY` headers. WebSocket upgrades pass through: the stream
authenticates by message.
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
    if given is None:
        given = header_credentials(request)
    if given is None:
        return _error(401, UNAUTHORIZED)
    if not credentials_match(given, expected):
        return _error(403, FORBIDDEN)
    return await handler(request)
