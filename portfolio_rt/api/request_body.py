"""Reading request bodies: JSON objects only, with clear 400/415 errors."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from ..core.errors import BadRequest, UnsupportedMediaType


async def json_object(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object; anything else is the caller's mistake, said plainly."""
    if request.content_type not in ("application/json", ""):
        raise UnsupportedMediaType("Send the body as application/json.")
    raw = await request.read()
    if not raw:
        raise BadRequest("The request body is empty; send a JSON object.")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRequest("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return body
