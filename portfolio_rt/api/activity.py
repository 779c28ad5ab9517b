"""Orders and account activities, filtered and paged with opaque cursors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from aiohttp import web
from alpaca.broker.models import Order
from alpaca.trading.models import NonTradeActivity, TradeActivity

from ..broker.flows import activity_amount
from ..broker.gateway import ActivitiesQuery, OrdersQuery, decimal_of, enum_value
from ..core.errors import BadRequest
from ..state import RUNTIME
from .cursors import decode_cursor, encode_cursor
from .identity import identify
from .params import ACTIVITY_NAMES, ActivitiesParams, OrdersParams, parse_query
from .view_cache import VIEWS, fresh_view

routes = web.RouteTableDef()

_TYPE_OF_CODE = {code: name for name, codes in ACTIVITY_NAMES.items() for code in codes}
_ONE_MICROSECOND = timedelta(microseconds=1)


def order_json(order: Order) -> dict[str, Any]:
    return {
        "id": order.id,
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "asset_class": enum_value(order.asset_class),
        "side": enum_value(order.side),
        "type": enum_value(order.type or order.order_type),
        "time_in_force": enum_value(order.time_in_force),
        "status": enum_value(order.status),
        "qty": decimal_of(order.qty),
        "notional": decimal_of(order.notional),
        "filled_qty": decimal_of(order.filled_qty),
        "filled_avg_price": decimal_of(order.filled_avg_price),
        "limit_price": decimal_of(order.limit_price),
        "submitted_at": order.submitted_at,
        "filled_at": order.filled_at,
        "canceled_at": order.canceled_at,
    }


@routes.get("/api/portfolio/orders")
async def orders(request: web.Request) -> web.StreamResponse:
    """Orders newest first. The cursor remembers the last page's oldest submission time and
    the ids already returned at that instant, so ties are neither skipped nor repeated."""
    identity = identify(request)
    params = parse_query(request, OrdersParams)
    status, side, limit = params.status, params.side, params.limit
    after, until = params.after, params.until
    symbols = tuple(sorted(set(params.symbols.split(",")))) if params.symbols else ()
    cursor = decode_cursor(params.cursor, "orders")
    seen: set[str] = set()
    if cursor is not None:
        try:
            until = datetime.fromisoformat(cursor["t"]) + _ONE_MICROSECOND
            seen = {str(i) for i in cursor["ids"]}
        except (KeyError, TypeError, ValueError, OverflowError):
            raise BadRequest("The cursor is not valid; start again without it.") from None
    query = OrdersQuery(
        status=status,
        limit=min(500, limit + len(seen)),
        after=after,
        until=until,
        direction="desc",
        side=side,
        symbols=symbols,
    )
    key = ("orders", identity.account_id, query, frozenset(seen))
    hit, version = fresh_view(request, key, identity.account_id)
    if hit is not None:
        return hit
    fetched = await request.app[RUNTIME].gateway.orders(identity.account_id, query)

    def build() -> dict[str, Any]:
        page = [o for o in fetched.value if str(o.id) not in seen][:limit]
        next_cursor = None
        if len(page) == limit:
            last = page[-1].submitted_at
            tied = {str(o.id) for o in page if o.submitted_at == last}
            if cursor is not None and datetime.fromisoformat(cursor["t"]) == last:
                tied |= seen
            state = {"k": "orders", "t": last.isoformat(), "ids": sorted(tied)}
            next_cursor = encode_cursor(state)
        return {
            "orders": [order_json(o) for o in page],
            "next_cursor": next_cursor,
            "stale": fetched.stale,
        }

    return request.app[VIEWS].render(key, build, inputs=(fetched,), version=version)


def activity_json(activity: TradeActivity | NonTradeActivity) -> dict[str, Any]:
    code = enum_value(activity.activity_type) or ""
    base: dict[str, Any] = {
        "id": activity.id,
        "type": _TYPE_OF_CODE.get(code, "other"),
        "code": code,
    }
    if isinstance(activity, TradeActivity):
        qty, price = decimal_of(activity.qty), decimal_of(activity.price)
        side = enum_value(activity.side)
        gross = (qty or Decimal(0)) * (price or Decimal(0))
        return base | {
            "date": activity.transaction_time,
            "symbol": activity.symbol,
            "side": side,
            "qty": qty,
            "price": price,
            "amount": (-gross if side == "buy" else gross).quantize(Decimal("0.01")),
            "status": enum_value(activity.order_status),
            "description": f"{'Bought' if side == 'buy' else 'Sold'} {qty} {activity.symbol}",
        }
    day = activity.date
    return base | {
        "date": datetime.combine(day, datetime.min.time(), UTC) if isinstance(day, date) else day,
        "symbol": activity.symbol,
        "side": None,
        "qty": decimal_of(activity.qty),
        "price": decimal_of(activity.price),
        "amount": activity_amount(activity),
        "status": enum_value(activity.status) or "executed",
        "description": activity.description or "",
    }


@routes.get("/api/portfolio/activities")
async def activities(request: web.Request) -> web.StreamResponse:
    identity = identify(request)
    params = parse_query(request, ActivitiesParams)
    codes, limit = params.codes(), params.limit
    after, until = params.after, params.until
    cursor = decode_cursor(params.cursor, "activities")
    token = str(cursor["id"]) if cursor and "id" in cursor else None
    query = ActivitiesQuery(
        activity_types=codes,
        page_size=limit,
        page_token=token,
        direction="desc",
        after=after.date() if after else None,
        until=until.date() if until else None,
    )
    key = ("activities", identity.account_id, query)
    hit, version = fresh_view(request, key, identity.account_id)
    if hit is not None:
        return hit
    fetched = await request.app[RUNTIME].gateway.activities(identity.account_id, query)

    def build() -> dict[str, Any]:
        page = fetched.value
        last = page[-1].id if len(page) == limit else None
        return {
            "activities": [activity_json(a) for a in page],
            "next_cursor": encode_cursor({"k": "activities", "id": last}) if last else None,
            "stale": fetched.stale,
        }

    return request.app[VIEWS].render(key, build, inputs=(fetched,), version=version)
