"""Injected failures: a rule table the tests and demos fill over HTTP, applied to HTTP and streams.

A rule names a route pattern (fnmatch, e.g. `/v1/trading/accounts/*/positions`), an optional
method, and what goes wrong: `latency` (a delay), `status` (an Alpaca-style error status; 429
carries `Retry-After` and `X-RateLimit-*`), `drop` (the connection closes with no response),
`malformed` (a truncated JSON body), and for streams (rules with `on`) also `disconnect` and
`error` (an error frame with `code`). `count` limits how often a rule fires, `probability`
makes it flaky; both are deterministic for a seed.
"""

from __future__ import annotations

import asyncio
import fnmatch
import json
import math
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from .keys import SANDBOX

HTTP_KINDS = frozenset({"latency", "status", "drop", "malformed", "disconnect"})
STREAM_KINDS = frozenset({"latency", "drop", "malformed", "disconnect", "error"})
STREAM_EVENTS = frozenset({"connect", "auth", "subscribe", "data"})
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
RATE_LIMIT = 1000
"""Requests per minute reported in `X-RateLimit-Limit` (Alpaca's Standard market-data plan)."""
CONTROL_PREFIX = "/sandbox/"

_STATUS_MESSAGES = {
    400: "bad request",
    401: "request is not authorized",
    403: "forbidden",
    404: "not found",
    408: "request timeout",
    422: "unprocessable entity",
    429: "rate limit exceeded",
    500: "internal server error",
    502: "bad gateway",
    503: "service unavailable",
    504: "gateway timeout",
}


class FaultRuleError(ValueError):
    """A rule that cannot be applied; the control route answers 400 with its message."""


@dataclass(frozen=True)
class FaultRule:
    """One failure to inject. `count` is the number of firings left (None = until removed)."""

    route: str
    kind: str
    method: str | None = None
    status: int = 503
    latency_ms: int = 0
    probability: float = 1.0
    count: int | None = None
    code: int | None = None
    on: str | None = None
    message: str | None = None
    id: str = ""

    @property
    def is_stream(self) -> bool:
        """Stream rules name the stream event they act on; HTTP rules do not."""
        return self.on is not None

    @classmethod
    def from_json(cls, body: object) -> FaultRule:
        """Validate a JSON rule body; raises FaultRuleError with a readable reason."""
        if not isinstance(body, Mapping):
            raise FaultRuleError("rule must be a JSON object")
        known = {
            "route",
            "method",
            "kind",
            "status",
            "latency_ms",
            "probability",
            "count",
            "code",
            "on",
            "message",
            "id",
        }
        unknown = sorted(set(body) - known)
        if unknown:
            raise FaultRuleError(f"unknown field(s): {', '.join(map(str, unknown))}")
        route = body.get("route")
        if not isinstance(route, str) or not route.startswith(("/", "*")):
            raise FaultRuleError("route must be a path pattern starting with '/' (or '*')")
        on = _optional_str(body, "on")
        if on is not None and on not in STREAM_EVENTS:
            raise FaultRuleError(f"on must be one of {sorted(STREAM_EVENTS)}")
        kind = body.get("kind")
        kinds = STREAM_KINDS if on is not None else HTTP_KINDS
        if not isinstance(kind, str) or kind not in kinds:
            where = "stream" if on is not None else "HTTP"
            raise FaultRuleError(f"kind must be one of {sorted(kinds)} for {where} rules")
        method = _optional_str(body, "method")
        if method is not None:
            method = method.upper()
            if method not in METHODS:
                raise FaultRuleError(f"method must be one of {sorted(METHODS)}")
        status = _int(body, "status", 503)
        if not 400 <= status <= 599:
            raise FaultRuleError("status must be an HTTP error status (400-599)")
        latency_ms = _int(body, "latency_ms", 200 if kind == "latency" else 0)
        if not 0 <= latency_ms <= 120_000:
            raise FaultRuleError("latency_ms must be between 0 and 120000")
        probability = body.get("probability", 1.0)
        if (
            isinstance(probability, bool)
            or not isinstance(probability, int | float)
            or not math.isfinite(probability)
            or not 0.0 <= probability <= 1.0
        ):
            raise FaultRuleError("probability must be a number between 0 and 1")
        count = body.get("count")
        if count is not None and (
            isinstance(count, bool) or not isinstance(count, int) or count < 1
        ):
            raise FaultRuleError("count must be a positive integer or null")
        code = body.get("code")
        if code is not None and (isinstance(code, bool) or not isinstance(code, int)):
            raise FaultRuleError("code must be an integer")
        if kind == "error" and code is None:
            raise FaultRuleError("error rules need a code (e.g. 406)")
        return cls(
            route=route,
            kind=kind,
            method=method,
            status=status,
            latency_ms=latency_ms,
            probability=float(probability),
            count=count,
            code=code,
            on=on,
            message=_optional_str(body, "message"),
        )

    def to_json(self) -> dict[str, Any]:
        """The rule as the control route shows it."""
        return {
            "id": self.id,
            "route": self.route,
            "method": self.method,
            "kind": self.kind,
            "status": self.status,
            "latency_ms": self.latency_ms,
            "probability": self.probability,
            "count": self.count,
            "code": self.code,
            "on": self.on,
            "message": self.message,
        }


def _optional_str(body: Mapping[str, object], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FaultRuleError(f"{name} must be a string")
    return value


def _int(body: Mapping[str, object], name: str, default: int) -> int:
    value = body.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise FaultRuleError(f"{name} must be an integer")
    return value


class FaultTable:
    """The active rules, in insertion order; the first matching rule fires."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"{seed}:faults")
        self._ids = random.Random(f"{seed}:fault-ids")
        self._rules: dict[str, FaultRule] = {}
        self.rate = RateWindow(RATE_LIMIT)

    def add(self, rule: FaultRule | Mapping[str, object]) -> str:
        """Store a rule (a FaultRule or its JSON form) and return its id."""
        parsed = rule if isinstance(rule, FaultRule) else FaultRule.from_json(rule)
        rule_id = str(uuid.UUID(int=self._ids.getrandbits(128), version=4))
        self._rules[rule_id] = replace(parsed, id=rule_id)
        return rule_id

    def get(self, rule_id: str) -> FaultRule | None:
        """The rule with this id, with its remaining count."""
        return self._rules.get(rule_id)

    def remove(self, rule_id: str) -> bool:
        """Drop one rule; False when no rule has that id."""
        return self._rules.pop(rule_id, None) is not None

    def clear(self) -> None:
        """Drop every rule."""
        self._rules.clear()

    def rules(self) -> list[FaultRule]:
        """The active rules in the order they were added."""
        return list(self._rules.values())

    def match_http(self, method: str, path: str) -> FaultRule | None:
        """The HTTP rule that fires for this request, if any (spends one of its count)."""
        method = method.upper()
        for rule in list(self._rules.values()):
            if rule.is_stream or (rule.method is not None and rule.method != method):
                continue
            if fnmatch.fnmatchcase(path, rule.route) and self._fire(rule):
                return rule
        return None

    def match_stream(self, path: str, event: str) -> FaultRule | None:
        """The stream rule that fires for this event on this stream path, if any."""
        for rule in list(self._rules.values()):
            if rule.on != event:
                continue
            if fnmatch.fnmatchcase(path, rule.route) and self._fire(rule):
                return rule
        return None

    def _fire(self, rule: FaultRule) -> bool:
        if rule.probability < 1.0 and self._rng.random() >= rule.probability:
            return False
        if rule.count is not None:
            left = rule.count - 1
            if left <= 0:
                self._rules.pop(rule.id, None)
            else:
                self._rules[rule.id] = replace(rule, count=left)
        return True


class RateWindow:
    """A per-minute request counter that feeds the `X-RateLimit-*` headers (it never refuses)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._window = -1
        self._used = 0

    def hit(self, t: datetime) -> tuple[int, int, int]:
        """Count one request at `t`; returns (limit, remaining, reset epoch seconds)."""
        window = int(t.timestamp()) // 60
        if window != self._window:
            self._window, self._used = window, 0
        self._used += 1
        return self.limit, max(0, self.limit - self._used), (window + 1) * 60


def rate_limit_headers(limit: int, remaining: int, reset: int) -> dict[str, str]:
    """Alpaca's rate-limit headers."""
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset),
    }


def malformed(body: bytes) -> bytes:
    """A truncated copy of a JSON body that no JSON parser accepts."""
    cut = body[: len(body) // 2]
    try:
        json.loads(cut)
    except ValueError:
        return cut
    return b'{"' + cut


def _drop(request: web.Request) -> web.Response:
    """Close the connection without answering; the client sees a disconnect."""
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response(status=500)  # never written: aiohttp ignores writes to a closed socket


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Apply the first matching HTTP rule and add `X-RateLimit-*` to every answer."""
    sandbox = request.app[SANDBOX]
    table = sandbox.faults
    limit, remaining, reset = table.rate.hit(sandbox.now())
    headers = rate_limit_headers(limit, remaining, reset)
    control = request.path.startswith(CONTROL_PREFIX)
    rule = None if control else table.match_http(request.method, request.path)
    if rule is not None:
        if rule.latency_ms:
            # Read the body first: a slow broker has the request; only its answer is late
            # (a client that gives up meanwhile must not stop the work).
            await request.read()
            await asyncio.sleep(rule.latency_ms / 1000)
        if rule.kind in ("drop", "disconnect"):
            return _drop(request)
        if rule.kind == "status":
            code = rule.code if rule.code is not None else rule.status * 100000
            message = rule.message or _STATUS_MESSAGES.get(rule.status, "error")
            if rule.status == 429:
                headers = rate_limit_headers(limit, 0, reset)
                headers["Retry-After"] = str(max(1, reset - int(sandbox.now().timestamp())))
            return web.json_response(
                {"code": code, "message": message}, status=rule.status, headers=headers
            )
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.update(headers)
        raise
    if not response.prepared:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
    if rule is not None and rule.kind == "malformed" and isinstance(response, web.Response):
        body = response.body
        raw = body if isinstance(body, bytes) else b""
        truncated = web.Response(
            body=malformed(raw),
            status=response.status,
            headers={k: v for k, v in response.headers.items() if k.lower() != "content-length"},
        )
        return truncated
    return response


async def _add_rule(request: web.Request) -> web.Response:
    try:
        body = await request.json()
    except ValueError:
        return web.json_response({"code": 40010000, "message": "body must be JSON"}, status=400)
    table = request.app[SANDBOX].faults
    try:
        rule_id = table.add(FaultRule.from_json(body))
    except FaultRuleError as exc:
        return web.json_response({"code": 40010000, "message": str(exc)}, status=400)
    rule = table.get(rule_id)
    assert rule is not None
    return web.json_response(rule.to_json(), status=201)


async def _list_rules(request: web.Request) -> web.Response:
    return web.json_response([r.to_json() for r in request.app[SANDBOX].faults.rules()])


async def _clear_rules(request: web.Request) -> web.Response:
    request.app[SANDBOX].faults.clear()
    return web.Response(status=204)


async def _remove_rule(request: web.Request) -> web.Response:
    if not request.app[SANDBOX].faults.remove(request.match_info["rule_id"]):
        return web.json_response({"code": 40410000, "message": "fault rule not found"}, status=404)
    return web.Response(status=204)


def setup(app: web.Application) -> None:
    """Register the fault control routes under /sandbox/faults."""
    app.router.add_post("/sandbox/faults", _add_rule)
    app.router.add_get("/sandbox/faults", _list_rules, allow_head=False)
    app.router.add_delete("/sandbox/faults", _clear_rules)
    app.router.add_delete("/sandbox/faults/{rule_id}", _remove_rule)
