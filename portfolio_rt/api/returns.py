"""Realised gains (first in, first out) and dividend income, from the account's activities."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from aiohttp import web
from alpaca.trading.models import NonTradeActivity, TradeActivity

from ..analytics.returns import Dividend, Fill, income, realized_fifo
from ..broker.gateway import decimal_of
from ..core.money import ZERO, money
from ..core.periods import NEW_YORK
from ..state import RUNTIME
from .identity import identify
from .params import ACTIVITY_NAMES, RealizedParams, parse_query
from .view_cache import VIEWS, fresh_view

routes = web.RouteTableDef()


def _d(value: Any) -> Decimal:
    return decimal_of(value) or ZERO


@routes.get("/api/portfolio/realized")
async def realized(request: web.Request) -> web.Response:
    """Gains and losses on shares sold in a year, each sale matched to the oldest shares
    bought (FIFO), split short and long term (held more than a year). With no `year`, the
    latest year with a sale (this year when there is none); `years` lists every year with one."""
    identity = identify(request)
    asked = parse_query(request, RealizedParams).year  # a year to come has no sale yet
    this_year = datetime.now(NEW_YORK).year
    key = ("realized", identity.account_id, asked, this_year)
    hit, version = fresh_view(request, key, identity.account_id)
    if hit is not None:
        return hit
    fetched = await request.app[RUNTIME].gateway.all_activities(identity.account_id, ("FILL",))
    return request.app[VIEWS].render(
        key,
        lambda: _realized_json(fetched.value, asked, this_year, fetched.stale),
        inputs=(fetched,),
        version=version,
    )


def _realized_json(
    activities: list[Any], asked: int | None, this_year: int, stale: bool
) -> dict[str, Any]:
    fills = [
        Fill(a.transaction_time, a.symbol, str(a.side.value), _d(a.qty), _d(a.price))
        for a in activities
        if isinstance(a, TradeActivity)
    ]
    every_lot = realized_fifo(fills)
    years = sorted({lot.sold_at.astimezone(NEW_YORK).year for lot in every_lot}, reverse=True)
    year = asked if asked is not None else (years[0] if years else this_year)
    lots = [lot for lot in every_lot if lot.sold_at.astimezone(NEW_YORK).year == year]
    short = sum((lot.gain for lot in lots if not lot.long_term), ZERO)
    long_ = sum((lot.gain for lot in lots if lot.long_term), ZERO)
    return {
        "year": year,
        "years": years,
        "method": "FIFO",
        "lots": [
            {
                "symbol": lot.symbol,
                "qty": lot.qty,
                "bought_at": lot.bought_at,
                "sold_at": lot.sold_at,
                "proceeds": money(lot.proceeds),
                "cost": money(lot.cost),
                "gain": money(lot.gain),
                "term": "long" if lot.long_term else "short",
            }
            for lot in sorted(lots, key=lambda lot: lot.sold_at, reverse=True)
        ],
        "totals": {
            "proceeds": money(sum((lot.proceeds for lot in lots), ZERO)),
            "cost": money(sum((lot.cost for lot in lots), ZERO)),
            "gain": money(short + long_),
            "short_term_gain": money(short),
            "long_term_gain": money(long_),
        },
        "stale": stale,
    }


@routes.get("/api/portfolio/income")
async def dividend_income(request: web.Request) -> web.Response:
    """Dividends received by month and by holding, the last twelve months' total, and that
    total as a share of what the current holdings cost (yield on cost)."""
    identity = identify(request)
    today = datetime.now(NEW_YORK).date()
    key = ("income", identity.account_id, today)
    hit, version = fresh_view(request, key, identity.account_id)
    if hit is not None:
        return hit
    gateway = request.app[RUNTIME].gateway
    fetched, positions = await asyncio.gather(
        gateway.all_activities(identity.account_id, ACTIVITY_NAMES["dividend"]),
        gateway.positions(identity.account_id),
    )

    def build() -> dict[str, Any]:
        dividends = [
            Dividend(a.date, a.symbol or "", _d(a.net_amount))
            for a in fetched.value
            if isinstance(a, NonTradeActivity) and a.date is not None
        ]
        cost = sum((_d(p.cost_basis) for p in positions.value), ZERO)
        return _income_json(income(dividends, today, cost), fetched.stale or positions.stale)

    inputs = (fetched, positions)
    return request.app[VIEWS].render(key, build, inputs=inputs, version=version)


def _income_json(result: Any, stale: bool) -> dict[str, Any]:
    return {
        "by_month": [{"month": m, "amount": money(a)} for m, a in result.by_month],
        "by_holding": [{"symbol": s, "amount": money(a)} for s, a in result.by_holding],
        "trailing_12m": money(result.trailing_12m),
        "yield_on_cost_pct": None
        if result.yield_on_cost is None
        else round(result.yield_on_cost * 100, 2),
        "as_of": datetime.now(UTC),
        "stale": stale,
    }
