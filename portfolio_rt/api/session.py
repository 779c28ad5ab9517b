"""Log in (demo users) and out: a bearer token plus an HttpOnly, SameSite=Strict cookie.

A logout ends the session presented (cookie and bearer) on every instance and across
restarts; "log out everywhere" ends every session of the account issued so far. Both close
the live sockets of the sessions they end.
"""

from __future__ import annotations

import asyncio

import structlog
from aiohttp import web

from ..auth.revocations import SessionEnd
from ..auth.tokens import ALL_SCOPES, WRITE
from ..core.errors import Forbidden, RateLimited, Unauthorized
from ..state import LOGIN_GUARD, RUNTIME, SETTINGS, TOKENS
from .identity import (
    bearer_token,
    client_address,
    identify,
    origin_allowed,
    public_scheme,
    require_same_origin,
)
from .params import LoginBody, parse_body
from .responses import json_response

log = structlog.get_logger("portfolio_rt.auth")
routes = web.RouteTableDef()

_LOGGED_NAME = 64


@routes.post("/api/auth/login")
async def login(request: web.Request) -> web.Response:
    origin = request.headers.get("Origin")
    if origin is not None and not origin_allowed(request, origin):
        raise Forbidden("Log in from this app's own page.")
    logins = request.app[RUNTIME].users
    if logins is None:
        raise Forbidden("Password login is not enabled here; sign in through your app.")
    body = await parse_body(request, LoginBody)
    username, password = body.username, body.password

    guard = request.app[LOGIN_GUARD]
    address = client_address(request)
    who = {"user": username[:_LOGGED_NAME], "address": address}
    refusal = guard.refusal(username, address)
    if refusal is not None:
        log.warning("auth.login_throttled", reason=refusal.reason, **who)
        raise RateLimited(
            "Too many attempts; please wait and try again.", retry_after=refusal.retry_after_s
        )
    delay = guard.delay_s(username)
    if delay:
        log.warning("auth.login_slowed", delay_s=delay, **who)
        await asyncio.sleep(delay)
    user = await logins.authenticate(username, password)
    if user is None:
        failures = guard.failed(username, address)
        log.warning("auth.login_failed", failures=failures, **who)
        raise Unauthorized("Wrong username or password.")
    guard.succeeded(username, address)
    log.info("auth.logged_in", account=str(user.account_id), **who)

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
    """End the session(s) presented; succeeds (and clears the cookie) even with none valid."""
    settings = request.app[SETTINGS].auth
    cookie = request.cookies.get(settings.cookie_name)
    if cookie:
        require_same_origin(request)  # a cross-site page must not end the user's session
    tokens = request.app[TOKENS]
    ended = 0
    for token in {cookie, bearer_token(request)} - {None, ""}:
        end = tokens.revoke(str(token))
        if end is not None:
            ended += 1
            await _keep(request, end)
    log.info("auth.logged_out", sessions=ended, address=client_address(request))
    response = json_response({"logged_out": True, "sessions_ended": ended})
    response.del_cookie(settings.cookie_name, path="/")
    return response


@routes.post("/api/auth/logout-everywhere")
async def logout_everywhere(request: web.Request) -> web.Response:
    """End every session of the caller's account issued until now, this one included, on
    every device and instance."""
    identity = identify(request)
    identity.require(WRITE)
    end = request.app[TOKENS].end_everywhere(identity.account_id)
    await _keep(request, end)
    log.info("auth.logged_out_everywhere", account=str(identity.account_id))
    response = json_response({"logged_out": True, "everywhere": True})
    response.del_cookie(request.app[SETTINGS].auth.cookie_name, path="/")
    return response


async def _keep(request: web.Request, end: SessionEnd) -> None:
    """Make the end last: shared with every instance (Redis), or written to the
    revocations file; this instance already refuses the session either way."""
    store = request.app[RUNTIME].session_ends
    if store is not None:
        await store.record(end)
