"""One asset's details, with the sector and industry Alpaca does not provide."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..analytics.classification import load_sp500_rows
from ..state import RUNTIME
from .identity import identify
from .params import AssetPath, parse_path
from .portfolio import CLASSIFIER, sector_label
from .view_cache import VIEWS, fresh_view

routes = web.RouteTableDef()
INDUSTRIES = web.AppKey("industries", dict)


@routes.get("/api/assets/{symbol_or_id}")
async def asset(request: web.Request) -> web.Response:
    identify(request)
    # Alpaca finds a crypto pair by its slashless name (BTCUSD for BTC/USD) in one segment.
    wanted = parse_path(request, AssetPath).symbol_or_id.upper().replace("/", "")
    key = ("asset", wanted)
    hit, version = fresh_view(request, key, wanted)  # the read cache keys it so
    if hit is not None:
        return hit
    fetched = await request.app[RUNTIME].gateway.asset(wanted)
    return request.app[VIEWS].render(
        key,
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
