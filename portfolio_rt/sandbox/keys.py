"""Typed application keys of the sandbox app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from .world import Sandbox

SANDBOX: web.AppKey[Sandbox] = web.AppKey("sandbox")
