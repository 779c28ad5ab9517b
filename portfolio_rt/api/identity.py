"""Who is calling: a bearer token or the session cookie, with a CSRF check for cookie writes;
from where (the client's address, the host it asked for); and each account's request budget."""

from __future__ import annotations

import functools
import ipaddress

from aiohttp import web

from ..auth.tokens import Identity
from ..core.errors import Forbidden, RateLimited, Unauthorized
from ..state import REQUEST_BUDGET, SETTINGS, TOKENS

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
IDENTITY = "identity"


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def identify(request: web.Request) -> Identity:
    """The caller's identity, or 401. Cookie-authenticated writes must come from our origin.
    Each identified request spends one unit of the account's budget (429 past it)."""
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
    wait = request.app[REQUEST_BUDGET].take(str(identity.account_id))
    if wait > 0:
        raise RateLimited(
            "Too many requests for this account just now; please slow down.", retry_after=wait
        )
    return identity


def client_address(request: web.Request) -> str:
    """The caller's IP address: the connection's peer, or behind a trusted proxy the address
    that proxy saw (the last X-Forwarded-For entry, the one the proxy itself added)."""
    if request.app[SETTINGS].server.trust_forwarded_headers:
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
        if forwarded:
            return forwarded[:64]
    return request.remote or "unknown"


@functools.lru_cache(maxsize=1024)
def host_allowed(host: str, allowed: tuple[str, ...]) -> bool:
    """Whether a Host header names this service: an IP address (a DNS-rebinding page never has
    one as its own host) or a name in `server.allowed_hosts` ("*.example.com" for
    subdomains, "*" for any). The port is ignored. Remembered per host: every request asks."""
    name = _host_name(host)
    if not name:
        return False
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    for pattern in allowed:
        pattern = pattern.lower().rstrip(".")
        if pattern == "*" or name == pattern:
            return True
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
    return False


def _host_name(host: str) -> str:
    """`Example.com:8080` → `example.com`; `[::1]:8080` → `::1`."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else ""
    return host.rsplit(":", 1)[0].rstrip(".") if host.count(":") <= 1 else host


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
