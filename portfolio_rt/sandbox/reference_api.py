"""The Broker host's reference routes: /v1/assets, /v1/assets/{symbol_or_id}, /v1/clock and
/v1/calendar, in the shapes alpaca-py's `Asset`, `Clock` and `Calendar` models parse.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from aiohttp import web

from .data_params import (
    DataError,
    Route,
    bad_request,
    guarded,
    json_response,
    parse_time,
    unprocessable,
)
from .keys import SANDBOX

if TYPE_CHECKING:
    from .universe import Instrument
    from .world import Sandbox

NY = ZoneInfo("America/New_York")
ASSET_STATUSES = frozenset({"active", "inactive", "all"})
ASSET_CLASSES = frozenset({"us_equity", "us_option", "crypto"})
OPTIONABLE_KINDS = frozenset({"large_cap", "broad_etf", "sector_etf", "intl_etf", "bond_etf"})
T1_SETTLEMENT_FROM = date(2024, 5, 28)
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class LastPrice:
    """An asset's latest trade price and the close it is measured against."""

    price: Decimal
    close: Decimal


def asset_json(inst: Instrument, last: LastPrice | None = None) -> dict[str, Any]:
    """Alpaca's Asset; the class goes under the literal key "class" (alpaca-py's alias).

    With `last`: `last_price` and `last_close_pct_change` as decimal strings, the change in
    percent (Alpaca's example: last price "202.00", last close "200.00", change "1"; the
    Broker document does not list them, real responses carry them: alpaca-py's
    test_asset_routes.py).
    """
    crypto = inst.asset_class == "crypto"
    attributes: list[str] = []
    if not crypto and inst.kind in OPTIONABLE_KINDS:
        attributes.append("has_options")
    if not crypto and inst.fractionable:
        attributes.append("fractional_eh_enabled")
    shortable = not crypto and inst.kind != "small_cap"
    body: dict[str, Any] = {
        "id": str(inst.asset_id),
        "class": inst.asset_class,
        "exchange": inst.exchange,
        "symbol": inst.symbol,
        "name": inst.name,
        "status": "active",
        "tradable": True,
        "marginable": not crypto,
        "shortable": shortable,
        "easy_to_borrow": shortable,
        "fractionable": inst.fractionable,
        "maintenance_margin_requirement": 100 if crypto else 30,
        "margin_requirement_long": "100" if crypto else "30",
        "margin_requirement_short": "100",
        "attributes": attributes,
    }
    if crypto:
        body |= {
            "min_order_size": "0.0001",
            "min_trade_increment": "0.000000001",
            "price_increment": "0.01",
        }
    if last is not None:
        change = (last.price / last.close - 1) * 100 if last.close else Decimal(0)
        body["last_price"] = _decimal(last.price.quantize(_CENT))
        body["last_close_pct_change"] = _decimal(change.quantize(_CENT))
    return body


def _decimal(value: Decimal) -> str:
    return format(abs(value) if value == 0 else value, "f")


class LastPrices:
    """Latest trade prices against the previous session's close, for one request."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox
        clock = sandbox.clock
        calendar = clock.calendar
        previous = calendar.previous_trading_day(clock.market_date(sandbox.now()))
        session = calendar.session(previous)
        self._close_day = previous
        self._close_at = session[1] if session is not None else None

    def of(self, inst: Instrument) -> LastPrice | None:
        """None before the market's history (no close to compare with)."""
        sandbox = self._sandbox
        trade = sandbox.ticker.latest_trade(inst.symbol)
        if trade is None or self._close_at is None:
            return None
        market = sandbox.market
        try:
            if inst.asset_class == "crypto":  # as positions' `lastday_price`
                close = market.price_at(inst.symbol, self._close_at)
            else:
                close = market.close(inst.symbol, self._close_day)
        except KeyError:
            return None
        return LastPrice(trade.price, close)


async def list_assets(request: web.Request) -> web.Response:
    """GET /v1/assets: status (default all), asset_class (default us_equity), attributes."""
    query = request.query
    status = (query.get("status") or "all").lower()
    if status not in ASSET_STATUSES:
        raise unprocessable(f"invalid status: {status}")
    asset_class = (query.get("asset_class") or "us_equity").lower()
    if asset_class not in ASSET_CLASSES:
        raise unprocessable(f"invalid asset_class: {asset_class}")
    exchange = (query.get("exchange") or "").upper()
    wanted = {a.strip() for a in (query.get("attributes") or "").split(",") if a.strip()}
    out: list[dict[str, Any]] = []
    if status != "inactive":
        sandbox = request.app[SANDBOX]
        prices = LastPrices(sandbox)
        for inst in sandbox.market.universe:
            if inst.asset_class != asset_class or (exchange and inst.exchange != exchange):
                continue
            asset = asset_json(inst, prices.of(inst))
            if wanted and not wanted.intersection(asset["attributes"]):
                continue
            out.append(asset)
    out.sort(key=lambda a: (a["class"], a["exchange"], a["symbol"]))
    return json_response(out)


async def get_asset(request: web.Request) -> web.Response:
    """GET /v1/assets/{symbol_or_asset_id}; `BTCUSD` also finds `BTC/USD`."""
    key = request.match_info["symbol_or_asset_id"]
    sandbox = request.app[SANDBOX]
    universe = sandbox.market.universe
    inst = universe.get(key)
    if inst is None and "/" not in key and key.upper().endswith("USD") and len(key) > 3:
        candidate = universe.get(f"{key[:-3]}/USD")
        inst = candidate if candidate is not None and candidate.asset_class == "crypto" else None
    if inst is None:
        raise DataError(404, f"asset not found for {key}", code=40410000)
    return json_response(asset_json(inst, LastPrices(sandbox).of(inst)))


def _ny_iso(t: datetime) -> str:
    return t.astimezone(NY).isoformat()


async def get_clock(request: web.Request) -> web.Response:
    """GET /v1/clock (and /v2/clock): equity market state in New York time, as Alpaca sends it."""
    sandbox = request.app[SANDBOX]
    now = sandbox.now()
    is_open, next_open, next_close = sandbox.clock.clock(now)
    return json_response(
        {
            "timestamp": _ny_iso(now),
            "is_open": is_open,
            "next_open": _ny_iso(next_open),
            "next_close": _ny_iso(next_close),
        }
    )


def _calendar_date(text: str, name: str) -> date:
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return parse_time(text, name).astimezone(NY).date()
    except ValueError as exc:
        raise bad_request(f"invalid {name}: {text}") from exc


def settlement_date(sandbox: Sandbox, d: date) -> date:
    """T+1 from 2024-05-28 (SEC rule 15c6-1 change), T+2 before."""
    calendar = sandbox.calendar
    settled = calendar.next_trading_day(d)
    if d < T1_SETTLEMENT_FROM:
        settled = calendar.next_trading_day(settled)
    return settled


async def get_calendar(request: web.Request) -> web.Response:
    """GET /v1/calendar: trading days with "HH:MM" New York open/close."""
    sandbox = request.app[SANDBOX]
    query = request.query
    today = sandbox.now().astimezone(NY).date()
    start_text, end_text = query.get("start"), query.get("end")
    start = _calendar_date(start_text, "start") if start_text else sandbox.market.history_start
    end = _calendar_date(end_text, "end") if end_text else date(today.year + 1, 12, 31)
    date_type = (query.get("date_type") or "trading").lower()
    if date_type not in ("trading", "settlement"):
        raise bad_request(f"invalid date_type: {date_type}")
    if end < start:
        return json_response([])
    calendar = sandbox.calendar
    lookback = timedelta(days=10) if date_type == "settlement" else timedelta(0)
    out: list[dict[str, Any]] = []
    for d in calendar.trading_days(start - lookback, end):
        session = calendar.session(d)
        if session is None:
            continue
        settles = settlement_date(sandbox, d)
        if date_type == "settlement" and not start <= settles <= end:
            continue
        out.append(
            {
                "date": d.isoformat(),
                "open": session[0].astimezone(NY).strftime("%H:%M"),
                "close": session[1].astimezone(NY).strftime("%H:%M"),
                "session_open": "0400",
                "session_close": "2000",
                "settlement_date": settles.isoformat(),
            }
        )
    return json_response(out)


def setup(app: web.Application) -> None:
    """Register the assets, clock and calendar routes (Broker host, HTTP Basic)."""

    def add(path: str, handler: Route) -> None:
        app.router.add_get(path, guarded(handler), allow_head=False)

    add("/v1/assets", list_assets)
    add("/v1/assets/{symbol_or_asset_id:.+}", get_asset)  # `BTC/USD` spans two segments
    add("/v1/clock", get_clock)
    add("/v2/clock", get_clock)
    add("/v1/calendar", get_calendar)
