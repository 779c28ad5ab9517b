"""The caller's portfolio: summary, value history and positions.

The account is always the authenticated identity's; no route here takes an account id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID

from aiohttp import web
from alpaca.trading.models import Asset, Position, TradeActivity

from ..analytics.classification import Classification, Classifier
from ..broker.gateway import BrokerGateway, decimal_of
from ..keys import RUNTIME
from ..periods import NEW_YORK, history_query, parse_period
from ..valuation import (
    ZERO,
    CashFlow,
    Fill,
    all_time_return,
    first_bought_at,
    money,
    net_flows,
    range_change,
    today_return,
    weights_pct,
)
from .identity import identify
from .responses import json_response
from .views import VIEWS, ViewCache, stamp_of

routes = web.RouteTableDef()

# External cash: deposits, withdrawals and cash journals in or out.
CASH_FLOW_TYPES = ("CSD", "CSW", "JNLC")
CLASSIFIER = web.AppKey("classifier", Classifier)


def _now() -> datetime:
    return datetime.now(UTC)


def _d(value: str | float | None) -> Decimal:
    return decimal_of(value) or ZERO


async def cash_flows(gateway: BrokerGateway, account_id: UUID) -> tuple[list[CashFlow], bool]:
    """Money moved in and out from outside: deposits positive, withdrawals negative."""
    fetched = await gateway.all_activities(account_id, CASH_FLOW_TYPES)
    flows = []
    for activity in fetched.value:
        amount = _d(getattr(activity, "net_amount", None))
        if getattr(activity, "status", None) == "canceled":
            continue
        day = getattr(activity, "date", None)
        at = datetime.combine(day, datetime.min.time(), NEW_YORK) if day else _now()
        flows.append(CashFlow(at=at.astimezone(UTC), amount=amount))
    return flows, fetched.stale


@routes.get("/api/portfolio/summary")
async def summary(request: web.Request) -> web.Response:
    identity = identify(request)
    gateway = request.app[RUNTIME].gateway
    account, (flows, flows_stale), clock = await asyncio.gather(
        gateway.trade_account(identity.account_id),
        cash_flows(gateway, identity.account_id),
        gateway.clock(),
    )
    trade = account.value
    equity, last_equity = _d(trade.equity), _d(trade.last_equity)
    now = _now()
    start_of_day = datetime.combine(now.astimezone(NEW_YORK).date(), datetime.min.time(), NEW_YORK)
    deposited = net_flows(flows)
    return json_response(
        {
            "equity": money(equity),
            "cash": money(_d(trade.cash)),
            "last_equity": money(last_equity),
            "today_return": today_return(
                equity, last_equity, net_flows(flows, since=start_of_day)
            ).as_json(),
            "all_time_return": all_time_return(equity, deposited).as_json(),
            "net_deposits": money(deposited),
            "market_open": bool(clock.value.is_open),
            "as_of": now,
            "stale": account.stale or flows_stale or clock.stale,
        }
    )


@routes.get("/api/portfolio/history")
async def history(request: web.Request) -> web.StreamResponse:
    identity = identify(request)
    period = parse_period(request.query.get("period"))
    gateway = request.app[RUNTIME].gateway
    account, positions = await asyncio.gather(
        gateway.account(identity.account_id), gateway.positions(identity.account_id)
    )
    crypto_only = bool(positions.value) and all(
        str(p.asset_class.value if hasattr(p.asset_class, "value") else p.asset_class) == "crypto"
        for p in positions.value
    )
    created_at = datetime.fromisoformat(account.value.created_at.replace("Z", "+00:00"))
    query = history_query(
        period, account_created_at=created_at, crypto_only=crypto_only, now=_now()
    )
    fetched = await gateway.portfolio_history(identity.account_id, query)

    def build() -> dict[str, object]:
        data = fetched.value
        equity = [_d(v) for v in data.equity]
        return {
            "period": period,
            "timeframe": data.timeframe,
            "base_value": money(_d(data.base_value)) if data.base_value is not None else None,
            "timestamp": list(data.timestamp),
            "equity": [money(v) for v in equity],
            "profit_loss": [money(_d(v)) for v in data.profit_loss],
            "profit_loss_pct": [
                round(v * 100, 4) if v is not None else None for v in data.profit_loss_pct
            ],
            "change": range_change(equity),
            "as_of": _now(),
            "stale": fetched.stale or account.stale or positions.stale,
        }

    key = ("history", identity.account_id, period)
    return request.app[VIEWS].render(key, stamp_of(account, positions, fetched), build)


@routes.get("/api/portfolio/positions")
async def positions(request: web.Request) -> web.StreamResponse:
    identity = identify(request)
    gateway = request.app[RUNTIME].gateway
    held, account, assets, fills = await asyncio.gather(
        gateway.positions(identity.account_id),
        gateway.trade_account(identity.account_id),
        gateway.assets(),
        gateway.all_activities(identity.account_id, ("FILL",)),
    )
    classifier = request.app[CLASSIFIER]

    def build() -> dict[str, object]:
        opened = first_bought_at(
            Fill(at=a.transaction_time, symbol=a.symbol, side=str(a.side.value), qty=_d(a.qty))
            for a in fills.value
            if isinstance(a, TradeActivity)
        )
        values = [_d(p.market_value) for p in held.value]
        weights = weights_pct(values)
        rows = [
            _position_row(p, weight, assets.value, opened, classifier)
            for p, weight in zip(held.value, weights, strict=True)
        ]
        rows.sort(key=lambda r: Decimal(str(r["market_value"])), reverse=True)
        return {
            "positions": rows,
            "total_market_value": money(sum(values, ZERO)),
            "cash": money(_d(account.value.cash)),
            "as_of": _now(),
            "stale": held.stale or account.stale or assets.stale or fills.stale,
        }

    key = ("positions", identity.account_id)
    return request.app[VIEWS].render(key, stamp_of(held, account, assets, fills), build)


def _position_row(
    p: Position,
    weight: float,
    assets: Mapping[str, Asset],
    opened: dict[str, datetime],
    classifier: Classifier,
) -> dict[str, object]:
    asset_class = str(p.asset_class.value if hasattr(p.asset_class, "value") else p.asset_class)
    asset = assets.get(p.symbol)
    classification = classifier.classify(p.symbol, asset_class)
    return {
        "symbol": p.symbol,
        "name": getattr(asset, "name", None) or classification.name or p.symbol,
        "asset_class": asset_class,
        "sector": sector_label(classification),
        "qty": _d(p.qty),
        "avg_entry_price": _d(p.avg_entry_price),
        "current_price": _d(p.current_price),
        "market_value": money(_d(p.market_value)),
        "cost_basis": money(_d(p.cost_basis)),
        "unrealized_pl": money(_d(p.unrealized_pl)),
        "unrealized_plpc": round(float(_d(p.unrealized_plpc)) * 100, 2),
        "change_today": round(float(_d(p.change_today)) * 100, 2),
        "weight_pct": weight,
        "first_bought_at": opened.get(p.symbol),
    }


def sector_label(c: Classification) -> str:
    """One sector for a table row: a stock's GICS sector, a sector fund's sector, or
    "Diversified" for a fund that spreads across several."""
    if len(c.sectors) == 1:
        return c.sectors[0][0]
    return "Diversified" if c.kind == "fund" else "Other"


def setup(app: web.Application) -> None:
    app[CLASSIFIER] = Classifier.default()
    app[VIEWS] = ViewCache()
    app.add_routes(routes)
