"""The caller's portfolio: summary, value history and positions.

The account is always the authenticated identity's; no route here takes an account id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from aiohttp import web
from alpaca.trading.models import Asset, PortfolioHistory, Position, TradeActivity

from ..analytics.classification import Classification, Classifier
from ..analytics.returns import (
    RiskStats,
    Unavailable,
    annualised,
    cumulative_twr,
    money_line,
    money_weighted,
    risk_stats,
    twr,
    years_between,
)
from ..broker.flows import cash_flows, today_flows, with_share_journals
from ..broker.gateway import BrokerGateway, decimal_of
from ..broker.history import history_query
from ..broker.read_cache import Fetched
from ..core.money import (
    ZERO,
    CashFlow,
    Fill,
    all_time_return,
    first_bought_at,
    money,
    net_flows,
    range_gain,
    today_return,
    weights_pct,
)
from ..core.periods import NEW_YORK, PERIODS_PER_YEAR
from ..state import RUNTIME, SETTINGS
from .identity import identify
from .params import HistoryParams, parse_query
from .view_cache import VIEWS, ViewCache, view_version

routes = web.RouteTableDef()

CLASSIFIER = web.AppKey("classifier", Classifier)


def _now() -> datetime:
    return datetime.now(UTC)


def _d(value: str | float | None) -> Decimal:
    return decimal_of(value) or ZERO


@routes.get("/api/portfolio/summary")
async def summary(request: web.Request) -> web.StreamResponse:
    identity = identify(request)
    key = ("summary", identity.account_id)
    version = view_version(request, identity.account_id)
    views = request.app[VIEWS]
    if (fresh := views.fresh(key, version)) is not None:
        return fresh
    gateway = request.app[RUNTIME].gateway
    account, (flows, flows_fetched), clock, profile, transfers = await asyncio.gather(
        gateway.trade_account(identity.account_id),
        cash_flows(gateway, identity.account_id),
        gateway.clock(),
        gateway.account(identity.account_id),
        gateway.transfers(identity.account_id),
    )
    created_at = _created_at(profile.value)
    since_opening = await _since_opening(gateway, identity.account_id, created_at)

    def build() -> dict[str, object]:
        trade = account.value
        equity, last_equity = _d(trade.equity), _d(trade.last_equity)
        now = _now()
        deposited = net_flows(flows)
        data = since_opening.value
        years = years_between(created_at, now)
        stamps, values, point_flows = (
            list(data.timestamp),
            [_d(v) for v in data.equity],
            _point_flows(data, flows),
        )
        _end_at_live_value(
            data.timeframe, stamps, values, point_flows, equity, deposited, clock.value.timestamp
        )
        time_weighted = twr(values, point_flows, opening=ZERO)
        mwr = money_weighted([(f.at, f.amount) for f in flows], equity, now)
        return {
            "equity": money(equity),
            "cash": money(_d(trade.cash)),
            "last_equity": money(last_equity),
            "today_return": today_return(
                equity, last_equity, today_flows(trade, transfers.value, flows, now)
            ).as_json(),
            "all_time_return": all_time_return(equity, deposited).as_json(),
            "net_deposits": money(deposited),
            **_labelled("twr_cumulative", time_weighted),
            **_labelled("twr_annual", annualised(time_weighted, years)),
            **_labelled("mwr_cumulative", mwr.cumulative),
            **_labelled("mwr_annual", mwr.annual),
            "market_open": bool(clock.value.is_open),
            "as_of": now,
            "stale": any(
                f.stale for f in (account, flows_fetched, clock, profile, since_opening, transfers)
            ),
        }

    inputs = (account, flows_fetched, clock, profile, since_opening, transfers)
    return views.render(key, build, inputs=inputs, version=version)


def _created_at(account: Any) -> datetime:
    return datetime.fromisoformat(str(account.created_at).replace("Z", "+00:00"))


async def _since_opening(
    gateway: BrokerGateway, account_id: UUID, created_at: datetime
) -> Fetched[PortfolioHistory]:
    """Daily points from the account's opening to now, with each day's external flows: the
    returns since you started, and what had come in before any shorter range."""
    query = history_query("MAX", account_created_at=created_at, crypto_only=False, now=_now())
    return await gateway.portfolio_history(account_id, query)


def _point_flows(data: PortfolioHistory, flows: list[CashFlow]) -> list[Decimal]:
    """Each point's external flows (deposits +, withdrawals −, journals of cash or shares)."""
    cash = [
        sum((_d(values[i]) for values in data.cashflow.values()), ZERO)
        for i in range(len(data.equity))
    ]
    return with_share_journals(data.timestamp, cash, flows)


def _day(stamp: int) -> date:
    return datetime.fromtimestamp(stamp, NEW_YORK).date()


def _labelled(name: str, value: float | Unavailable) -> dict[str, object]:
    """`<name>_pct` in percent, or null with `<name>_reason` saying why."""
    if isinstance(value, Unavailable):
        return {f"{name}_pct": None, f"{name}_reason": value.reason}
    return {f"{name}_pct": _pct(value, 2), f"{name}_reason": None}


@routes.get("/api/portfolio/history")
async def history(request: web.Request) -> web.StreamResponse:
    identity = identify(request)
    period = parse_query(request, HistoryParams).period
    key = ("history", identity.account_id, period)
    version = view_version(request, identity.account_id)
    views = request.app[VIEWS]
    if (fresh := views.fresh(key, version)) is not None:
        return fresh
    gateway = request.app[RUNTIME].gateway
    account, positions, trade, (flows, flows_fetched), clock = await asyncio.gather(
        gateway.account(identity.account_id),
        gateway.positions(identity.account_id),
        gateway.trade_account(identity.account_id),
        cash_flows(gateway, identity.account_id),
        gateway.clock(),
    )
    crypto_only = bool(positions.value) and all(
        str(p.asset_class.value) == "crypto" for p in positions.value
    )
    created_at = _created_at(account.value)
    query = history_query(
        period, account_created_at=created_at, crypto_only=crypto_only, now=_now()
    )
    fetched, since_opening = await asyncio.gather(
        gateway.portfolio_history(identity.account_id, query),
        _since_opening(gateway, identity.account_id, created_at),
    )
    benchmark_symbol = request.app[SETTINGS].returns.benchmark_symbol
    closes = await gateway.benchmark_closes(
        benchmark_symbol, fetched.value.timeframe, fetched.value.timestamp, _now()
    )

    def build() -> dict[str, object]:
        data = fetched.value
        equity = [_d(v) for v in data.equity]
        point_flows = _point_flows(data, flows)
        stamps = list(data.timestamp)
        opening, before = _range_start(stamps, created_at, since_opening.value, flows)
        if period == "1D" and opening is None:
            # A day is measured from the close before it, as Today's return is.
            opening = _d(data.base_value) if data.base_value else _d(trade.value.last_equity)
        _end_at_live_value(
            data.timeframe, stamps, equity, point_flows, _d(trade.value.equity),
            net_flows(flows) - before, clock.value.timestamp,
        )  # fmt: skip
        line = money_line(equity, point_flows, opening=opening, before=before)
        twr_series = cumulative_twr(equity, point_flows, opening=opening)
        per_year = PERIODS_PER_YEAR.get(data.timeframe, 252.0)
        stats = risk_stats(equity, point_flows, per_year, opening=opening)
        return {
            "period": period,
            "timeframe": data.timeframe,
            "base_value": money(_d(data.base_value)) if data.base_value is not None else None,
            "timestamp": stamps,
            "equity": [money(v) for v in equity],
            "profit_loss": [money(g) for g in line.gains],
            "profit_loss_pct": [
                _pct(float(g / base)) if base > 0 else None
                for g, base in zip(line.gains, line.invested, strict=True)
            ],
            "net_deposits": [money(v) for v in line.deposits],
            "twr_pct": [_pct(v) for v in twr_series],
            "benchmark": _benchmark(benchmark_symbol, stamps, closes),
            "change": range_gain(line.gains[-1], line.invested[-1])
            if equity
            else range_gain(ZERO, ZERO),
            "stats": _stats_json(stats, twr_series, stamps),
            "reason": _empty_reason(equity),
            "as_of": _now(),
            "stale": any(
                f.stale for f in (fetched, account, positions, since_opening, trade, flows_fetched)
            ),
        }

    inputs = (account, positions, fetched, since_opening, trade, flows_fetched, clock)
    return views.render(key, build, inputs=inputs, version=version, also=(len(closes),))


def _pct(fraction: float | None, places: int = 4) -> float | None:
    return None if fraction is None else round(fraction * 100, places)


def _range_start(
    stamps: list[int],
    created_at: datetime,
    since_opening: PortfolioHistory,
    flows: list[CashFlow],
) -> tuple[Decimal | None, Decimal]:
    """Where a range's money starts: (the value before its first point, 0 when the range
    begins at the account's opening, else None; the net deposits made before the range),
    from the broker's own daily flows since the opening, so that a flow that came later,
    however recent, moves no earlier point."""
    if not stamps or _day(stamps[0]) <= created_at.astimezone(NEW_YORK).date():
        return ZERO, ZERO
    first = _day(stamps[0])
    daily = _point_flows(since_opening, flows)
    before = sum(
        (f for stamp, f in zip(since_opening.timestamp, daily, strict=True) if _day(stamp) < first),
        ZERO,
    )
    return None, before


def _end_at_live_value(
    timeframe: str,
    stamps: list[int],
    equity: list[Decimal],
    flows: list[Decimal],
    equity_now: Decimal,
    flowed_in_range: Decimal,
    now: datetime,
) -> None:
    """End a range at the live value, so the chart ends where Total value is: a daily
    range's point for today is today so far and takes the live value; otherwise a point at
    now is added. Money that came in after the last point (`flowed_in_range`, all the
    range's flows by the activities, minus those the history has) is that point's flow.
    `now` is the broker's clock, the one its history's timestamps are on."""
    if not stamps or int(now.timestamp()) <= stamps[-1] or equity_now <= 0:
        return
    moved = flowed_in_range - sum(flows, ZERO)
    if timeframe == "1D" and _day(stamps[-1]) == now.astimezone(NEW_YORK).date():
        equity[-1] = equity_now
        flows[-1] += moved
        return
    stamps.append(int(now.timestamp()))
    equity.append(equity_now)
    flows.append(moved)


def _empty_reason(equity: list[Decimal]) -> str | None:
    """Why a range has no line to draw, in words the page can show; None when it has one."""
    if not equity:
        return "This account has no history for this range yet."
    if all(v == 0 for v in equity):
        return "The chart starts once money has reached your account."
    if len(equity) < 2:
        return "The chart needs a second day of history."
    return None


def _benchmark(
    symbol: str, stamps: list[int], closes: list[tuple[int, float]]
) -> dict[str, object]:
    """The benchmark's cumulative return at each point, from its price at the first point
    (the latest close at or before each point's time)."""
    if not closes:
        return {"symbol": symbol, "return_pct": None, "reason": f"No prices for {symbol}."}
    ordered = sorted(closes)
    out: list[float | None] = []
    k, last = 0, None
    for stamp in stamps:
        while k < len(ordered) and ordered[k][0] <= stamp:
            last = ordered[k][1]
            k += 1
        out.append(last)
    first = next((v for v in out if v), None)
    if first is None:
        return {"symbol": symbol, "return_pct": None, "reason": f"No prices for {symbol}."}
    return {
        "symbol": symbol,
        "return_pct": [None if v is None else round((v / first - 1) * 100, 4) for v in out],
        "reason": None,
    }


def _stats_json(
    stats: RiskStats, twr_series: list[float | None], stamps: list[int]
) -> dict[str, object]:
    def when(index: int | None) -> datetime | None:
        return None if index is None else datetime.fromtimestamp(stamps[index], UTC)

    return {
        "twr_pct": _pct(twr_series[-1] if twr_series else None, 2),
        "volatility_pct": _pct(stats.volatility, 2),
        "max_drawdown": {
            "pct": _pct(stats.max_drawdown, 2),
            "from": when(stats.drawdown_start),
            "to": when(stats.drawdown_end),
        },
        "return_per_risk": None
        if stats.return_per_risk is None
        else round(stats.return_per_risk, 2),
    }


@routes.get("/api/portfolio/positions")
async def positions(request: web.Request) -> web.StreamResponse:
    identity = identify(request)
    key = ("positions", identity.account_id)
    version = view_version(request, identity.account_id)
    views = request.app[VIEWS]
    if (fresh := views.fresh(key, version)) is not None:
        return fresh
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
            Fill(a.transaction_time, a.symbol, str(a.side.value), _d(a.qty), _d(a.price))
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

    inputs = (held, account, assets, fills)
    return views.render(key, build, inputs=inputs, version=version)


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
        "today_pl": money(_d(p.unrealized_intraday_pl)),
        "today_plpc": round(float(_d(p.unrealized_intraday_plpc)) * 100, 2),
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
