"""Liveness: the process is up and its event loop answers."""

from __future__ import annotations

from aiohttp import web

from .. import __version__
from .responses import json_response

routes = web.RouteTableDef()


@routes.get("/health")
async def health(request: web.Request) -> web.Response:
    return json_response({"status": "ok", "version": __version__})
