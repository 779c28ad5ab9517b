"""Log in (demo users) and out: a bearer token plus an HttpOnly, SameSite=Strict cookie."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..auth.tokens import ALL_SCOPES
from ..core.errors import BadRequest, Forbidden, RateLimited, Unauthorized
from ..state import RUNTIME, SETTINGS, THROTTLE, TOKENS
from .identity import origin_allowed, public_scheme
from .request_body import json_object
from .responses import json_response

routes = web.RouteTableDef()

_MAX_FIELD = 200


@routes.post("/api/auth/login")
async def login(request: web.Request) -> web.Response:
    origin = request.headers.get("Origin")
    if origin is not None and not origin_allowed(request, origin):
        raise Forbidden("Log in from this app's own page.")
    users = request.app[RUNTIME].users
    if users is None:
        raise Forbidden("Password login is not enabled here; sign in through your app.")
    body = await json_object(request)
    username = _text_field(body, "username")
    password = _text_field(body, "password")

    throttle = request.app[THROTTLE]
    keys = (f"user:{username.lower()}", f"addr:{request.remote or 'unknown'}")
    wait = throttle.retry_after_s(*keys)
    if wait > 0:
        raise RateLimited("Too many failed attempts; please wait and try again.", retry_after=wait)
    user = users.authenticate(username, password)
    if user is None:
        throttle.failed(*keys)
        raise Unauthorized("Wrong username or password.")
    throttle.succeeded(keys[0])

    settings = request.app[SETTINGS].auth
    token, expires_at = request.app[TOKENS].mint(
        account_id=user.account_id,
        subject=f"demo:{user.username}",
        scopes=ALL_SCOPES,
        ttl_s=settings.token_ttl_s,
    )
    response = json_response(
        {"token": token, "expires_at": expires_at, "account_id": user.account_id}
    )
    secure = settings.cookie_secure == "always" or (
        settings.cookie_secure == "auto" and public_scheme(request) == "https"
    )
    response.set_cookie(
        settings.cookie_name,
        token,
        max_age=settings.token_ttl_s,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=secure,
    )
    return response


@routes.post("/api/auth/logout")
async def logout(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS].auth
    tokens = request.app[TOKENS]
    shared = request.app[RUNTIME].revocations
    for token in (request.cookies.get(settings.cookie_name), _bearer(request)):
        revoked = tokens.revoke(token) if token else None
        if revoked is not None and shared is not None:
            await shared.share(*revoked)
    response = json_response({"logged_out": True})
    response.del_cookie(settings.cookie_name, path="/")
    return response


def _bearer(request: web.Request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _text_field(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"'{name}' is required.", details={"field": name})
    if len(value) > _MAX_FIELD:
        raise BadRequest(f"'{name}' is too long.", details={"field": name})
    return value.strip()
