"""JSON responses: orjson, with money (`Decimal`) as decimal strings on the wire."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..core.jsonio import dumps


def json_response(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        body=dumps(data), status=status, content_type="application/json", headers=headers
    )
