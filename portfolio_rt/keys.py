"""Typed application keys: handlers read `request.app[KEY]`, never a global."""

from __future__ import annotations

from aiohttp import ClientSession, web

from .broker.endpoints import AlpacaEndpoints
from .config import Settings
from .sandbox.app import RunningSandbox

SETTINGS = web.AppKey("settings", Settings)
ENDPOINTS = web.AppKey("endpoints", AlpacaEndpoints)
HTTP_SESSION = web.AppKey("http_session", ClientSession)
EMBEDDED_SANDBOX = web.AppKey("embedded_sandbox", RunningSandbox)
