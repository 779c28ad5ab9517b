"""Request ids, one access-log line per request, JSON errors for every failure, and the
allowed-hosts check."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from ..core.errors import BadRequest, ServiceError, raised_at
from ..ops.metrics import METRICS, route_template
from ..state import SETTINGS
from .identity import host_allowed, public_host
from .responses import json_response

log = structlog.get_logger("portfolio_rt.http")

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID = "request_id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
}


# On every response (the dashboard's pages add their Content-Security-Policy and others).
BASELINE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def request_id_of(request: web.Request) -> str:
    return str(request.get(REQUEST_ID, ""))


def error_response(
    request: web.Request,
    status: int,
    code: str,
    message: str,
    *,
    details: dict[str, object] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """The one error body: `{"error": {"code", "message", "request_id"[, "details"]}}`."""
    error: dict[str, object] = {
        "code": code,
        "message": message,
        "request_id": request_id_of(request),
    }
    if details:
        error["details"] = details
    return json_response({"error": error}, status=status, headers=headers)


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give the request an id (the caller's if well-formed), log it once, map errors to JSON."""
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    request[REQUEST_ID] = request_id
    structlog.contextvars.bind_contextvars(request_id=request_id)
    started = time.perf_counter()
    status = 500
    try:
        response = await _handle(request, handler)
        status = response.status
        if not response.prepared:
            response.headers[REQUEST_ID_HEADER] = request_id
            for name, value in BASELINE_HEADERS.items():
                response.headers.setdefault(name, value)
            if request.path.startswith("/api/"):
                # Account data: never kept by a browser's or a proxy's cache.
                response.headers.setdefault("Cache-Control", "no-store")
        return response
    except web.HTTPException as exc:  # a redirect, passed through as it is
        status = exc.status
        raise
    finally:
        elapsed = time.perf_counter() - started
        metrics = request.config_dict.get(METRICS)
        if metrics is not None:
            metrics.observe_request(route_template(request), request.method, status, elapsed)
        log.info(
            "http.request",
            method=request.method,
            path=request.path,
            status=status,
            duration_ms=round(elapsed * 1000, 2),
        )
        structlog.contextvars.unbind_contextvars("request_id")


async def _handle(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ServiceError as exc:
        headers = {}
        if exc.retry_after is not None:
            headers["Retry-After"] = str(max(1, round(exc.retry_after)))
        return error_response(
            request, exc.status, exc.code, exc.message, details=exc.details, headers=headers
        )
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _STATUS_CODES.get(exc.status, "http_error")
        message = (
            exc.reason if exc.text is None or exc.text.startswith(str(exc.status)) else exc.text
        )
        headers = {k: v for k, v in exc.headers.items() if k.lower() in {"allow", "retry-after"}}
        return error_response(request, exc.status, code, message, headers=headers)
    except Exception as exc:
        # The type and where it was raised, not the traceback: log lines (and responses) never
        # carry stack traces, which can hold request data.
        log.error(
            "http.unhandled_error",
            method=request.method,
            path=request.path,
            error=type(exc).__name__,
            at=raised_at(exc),
        )
        return error_response(request, 500, "internal_error", "Something went wrong on our side.")


_ANY_HOST_PATHS = frozenset({"/health", "/ready"})
"""Probes from orchestrators, which address the instance by whatever name or address."""


@web.middleware
async def allowed_host(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer only for the host names in `server.allowed_hosts` (and IP addresses): a page
    whose name an attacker re-pointed at this instance (DNS rebinding) gets nothing."""
    if request.path not in _ANY_HOST_PATHS:
        allowed = request.app[SETTINGS].server.allowed_hosts
        if not host_allowed(public_host(request), allowed):
            log.warning("http.unknown_host", path=request.path)
            raise BadRequest(
                "This service does not answer for that host name; add it to server.allowed_hosts.",
                details={"header": "Host"},
            )
    return await handler(request)
