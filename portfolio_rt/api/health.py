"""Liveness: the process is up and its event loop answers."""

from __future__ import annotations

from aiohttp import web

from .. import __version__
from ..core.errors import ServiceError
from ..state import RUNTIME, SETTINGS
from .responses import json_response

routes = web.RouteTableDef()


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    return json_response({"status": "ok", "version": __version__})


@routes.get("/ready")
async def ready(request: web.Request) -> web.Response:
    """Readiness: Alpaca answers (through the circuit breaker) and Redis, when configured.
    The broker events' state is reported too, but never makes the instance unready: without
    them it polls, as before they existed."""
    runtime = request.app[RUNTIME]
    checks: dict[str, dict[str, object]] = {}
    gateway = runtime.gateway_
    if gateway is None:
        checks["broker"] = {"ok": False, "reason": "starting"}
    else:
        try:
            await gateway.clock()
            checks["broker"] = {"ok": True, "circuit": gateway.circuit.value}
        except ServiceError as exc:
            checks["broker"] = {
                "ok": False,
                "circuit": gateway.circuit.value,
                "reason": exc.code,
            }
    engine = runtime.realtime
    checks["stream"] = (
        engine.stream_readiness() if engine is not None else {"ok": False, "reason": "starting"}
    )
    if engine is not None:
        checks["events"] = engine.events_readiness()
    if not request.app[SETTINGS].redis.url:
        checks["redis"] = {"ok": True, "configured": False}
    elif engine is not None and engine.bus is not None:
        up = await engine.bus.ping()
        checks["redis"] = {"ok": up, "configured": True}
        if not up:
            checks["redis"]["reason"] = "unreachable"
    else:
        checks["redis"] = {"ok": False, "configured": True, "reason": "starting"}
    ok = all(bool(c["ok"]) for c in checks.values())
    return json_response(
        {"status": "ready" if ok else "not_ready", "checks": checks}, status=200 if ok else 503
    )
