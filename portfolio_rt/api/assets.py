"""One asset's details, with the sector and industry Alpaca does not provide."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from ..analytics.classification import load_sp500_rows
from ..core.errors import BadRequest
from ..state import RUNTIME
from .identity import identify
from .portfolio import CLASSIFIER, sector_label
from .view_cache import VIEWS, fresh_view, stamp_of

routes = web.RouteTableDef()
INDUSTRIES = web.AppKey("industries", dict)
# A ticker (AAPL, BRK.B, BF-B) or an asset id (a UUID): nothing else reaches the broker's
# path (`..` used to match and walked up to `/v1/` with the service's credentials).
_SYMBOL_OR_ID = re.compile(
    r"[A-Za-z0-9]{1,15}(?:[.\-][A-Za-z0-9]{1,5})?"
    r"|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


@routes.get("/api/assets/{symbol_or_id}")
async def asset(request: web.Request) -> web.Response:
    identify(request)
    raw = request.match_info["symbol_or_id"]
    if not _SYMBOL_OR_ID.fullmatch(raw):
        raise BadRequest(
            "Give a ticker symbol (e.g. AAPL) or an asset id.", details={"field": "symbol_or_id"}
        )
    key = ("asset", raw.upper())
    hit, version = fresh_view(request, key, raw.upper())  # the read cache keys it so
    if hit is not None:
        return hit
    fetched = await request.app[RUNTIME].gateway.asset(raw)
    return request.app[VIEWS].render(
        key,
        stamp_of(fetched),
        lambda: _asset_json(request, fetched.value, fetched.stale),
        inputs=(fetched,),
        version=version,
    )


def _asset_json(request: web.Request, a: Any, stale: bool) -> dict[str, Any]:
    asset_class = str(getattr(a.asset_class, "value", a.asset_class))
    classification = request.app[CLASSIFIER].classify(a.symbol, asset_class)
    return {
        "id": a.id,
        "symbol": a.symbol,
        "name": a.name,
        "class": asset_class,
        "exchange": str(getattr(a.exchange, "value", a.exchange)),
        "tradable": a.tradable,
        "fractionable": a.fractionable,
        "sector": sector_label(classification),
        "industry": request.app[INDUSTRIES].get(a.symbol),
        "stale": stale,
    }


def setup(app: web.Application) -> None:
    """GICS sub-industry by symbol, from the shipped S&P 500 table (Alpaca has none)."""
    app[INDUSTRIES] = {
        row["Symbol"].replace("-", "."): row["GICS Sub-Industry"] for row in load_sp500_rows()
    }
    app.add_routes(routes)
