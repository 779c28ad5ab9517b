"""Who is calling: a bearer token or the session cookie, with a CSRF check for cookie writes."""

from __future__ import annotations

from aiohttp import web

from ..auth.tokens import Identity
from ..core.errors import Forbidden, Unauthorized
from ..state import SETTINGS, TOKENS

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
IDENTITY = "identity"


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def identify(request: web.Request) -> Identity:
    """The caller's identity, or 401. Cookie-authenticated writes must come from our origin."""
    cached = request.get(IDENTITY)
    if isinstance(cached, Identity):
        return cached
    tokens = request.app[TOKENS]
    token = bearer_token(request)
    if token is not None:
        identity = tokens.verify(token, "bearer")
    else:
        cookie = request.cookies.get(request.app[SETTINGS].auth.cookie_name)
        if not cookie:
            raise Unauthorized("Log in, or send a bearer token.")
        identity = tokens.verify(cookie, "cookie")
        if request.method not in _SAFE_METHODS:
            require_same_origin(request)
    request[IDENTITY] = identity
    return identity


def public_scheme(request: web.Request) -> str:
    """http or https as the browser sees it: behind a trusted TLS proxy, from
    X-Forwarded-Proto (only when `server.trust_forwarded_headers` says the proxy sets it)."""
    if request.app[SETTINGS].server.trust_forwarded_headers:
        forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        if forwarded in ("http", "https"):
            return forwarded
    return request.scheme


def public_host(request: web.Request) -> str:
    if request.app[SETTINGS].server.trust_forwarded_headers:
        forwarded = request.headers.get("X-Forwarded-Host", "").split(",")[0].strip()
        if forwarded:
            return forwarded
    return request.host


def own_origin(request: web.Request) -> str:
    return f"{public_scheme(request)}://{public_host(request)}"


def origin_allowed(request: web.Request, origin: str) -> bool:
    allowed = request.app[SETTINGS].server.allowed_origins
    return origin == own_origin(request) or origin in allowed


def require_same_origin(request: web.Request) -> None:
    """CSRF defence for cookie sessions: a browser always sends Origin on cross-site writes."""
    origin = request.headers.get("Origin")
    if origin is not None:
        if not origin_allowed(request, origin):
            raise Forbidden("This request came from another site.")
        return
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in {"same-origin", "none"}:
        raise Forbidden("This request came from another site.")
