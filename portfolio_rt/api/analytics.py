"""Risk and diversification scores and exposures for the caller's portfolio.

The engine is pure and CPU-bound (a covariance over a year of daily returns), so it runs in
a worker thread; results are reused until the holdings change, a held price moves enough to
matter, or an hour passes.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web

from ..analytics import (
    AnalyticsCache,
    Holding,
    PortfolioAnalytics,
    PriceHistory,
    Score,
    analyse,
    holdings_fingerprint,
)
from ..analytics.classification import Classifier
from ..broker.gateway import decimal_of
from ..core.money import money
from ..core.periods import NEW_YORK
from ..core.symbols import is_crypto
from ..state import RUNTIME
from .identity import identify
from .portfolio import CLASSIFIER
from .view_cache import VIEWS, fresh_view

routes = web.RouteTableDef()
ANALYTICS_CACHE = web.AppKey("analytics_cache", AnalyticsCache)


def score_json(score: Score) -> dict[str, Any]:
    return {
        "score": score.score,
        "label": score.label,
        "summary": score.summary,
        "factors": [
            {"name": f.name, "value": f.value, "explanation": f.explanation} for f in score.factors
        ],
    }


def analytics_json(result: PortfolioAnalytics, as_of: datetime) -> dict[str, Any]:
    def slices(items: Any) -> list[dict[str, Any]]:
        return [{"name": e.name, "market_value": e.market_value, "pct": e.pct} for e in items]

    return {
        "risk": score_json(result.risk),
        "diversification": score_json(result.diversification),
        "exposures": {
            "asset_class": slices(result.exposures.asset_class),
            "sector": slices(result.exposures.sector),
        },
        "methodology_version": result.methodology_version,
        "as_of": as_of,
    }


def holding_shares(holdings: list[Holding], classifier: Classifier) -> list[dict[str, Any]]:
    """How each holding splits over the breakdowns' buckets, so a page can weigh them again
    at live prices (`exposures.breakdown` with the same classification)."""

    def shares(parts: Any) -> list[dict[str, Any]]:
        return [{"name": name, "share": share} for name, share in parts]

    out = []
    for h in holdings:
        c = classifier.classify(h.symbol, h.asset_class)
        split = {"asset_class": shares(c.asset_classes), "sector": shares(c.sectors)}
        out.append({"symbol": h.symbol} | split)
    return out


@routes.get("/api/portfolio/analytics")
async def analytics(request: web.Request) -> web.Response:
    identity = identify(request)
    view_key = ("analytics", identity.account_id)
    hit, version = fresh_view(request, view_key, identity.account_id)
    if hit is not None:
        return hit
    runtime = request.app[RUNTIME]
    gateway = runtime.gateway
    positions, account = await asyncio.gather(
        gateway.positions(identity.account_id), gateway.trade_account(identity.account_id)
    )
    cash = decimal_of(account.value.cash) or Decimal(0)
    held = positions.value
    holdings = [
        Holding(p.symbol, str(p.asset_class.value), decimal_of(p.market_value) or Decimal(0))
        for p in held
    ]
    prices = {p.symbol: decimal_of(p.current_price) or Decimal(0) for p in held}
    today = datetime.now(NEW_YORK).date()
    fingerprint = holdings_fingerprint(
        [(p.symbol, decimal_of(p.qty) or Decimal(0)) for p in held], cash, today.isoformat()
    )
    cache = request.app[ANALYTICS_CACHE]
    key = str(identity.account_id)
    result = cache.get(key, fingerprint, prices)
    classifier: Classifier = request.app[CLASSIFIER]
    if result is None:
        closes = await gateway.daily_closes.closes(prices, today) if prices else {}

        def compute() -> PortfolioAnalytics:
            # Aligning a year of closes per holding and scoring them: both off the event loop.
            history = PriceHistory.from_dated(closes, is_crypto=is_crypto)
            return analyse(holdings, cash, history, classifier)

        result = await asyncio.to_thread(compute)
        cache.put(key, fingerprint, prices, result)
    computed = result

    def build() -> dict[str, Any]:
        body = analytics_json(computed, datetime.now(UTC))
        body["exposures"]["holdings"] = holding_shares(holdings, classifier)
        body["exposures"]["cash"] = money(max(cash, Decimal(0)))
        body["stale"] = positions.stale or account.stale
        return body

    inputs = (positions, account)
    # The same inputs on the same day: the same result.
    return request.app[VIEWS].render(view_key, build, inputs=inputs, version=version, also=(today,))


def setup(app: web.Application) -> None:
    app[ANALYTICS_CACHE] = AnalyticsCache(time.monotonic)
    app.add_routes(routes)
