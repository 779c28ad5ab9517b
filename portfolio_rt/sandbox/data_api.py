"""Alpaca's market-data REST (stocks v2, crypto v1beta3), served from the sandbox's market so
alpaca-py's data clients work unchanged; `setup` also registers the Broker host's reference
routes (assets, clock, calendar).

Bars come from `bars.BarSource`; latest trades and quotes come from the live ticker so they agree
with the stream. Prices are JSON numbers on this wire (as Alpaca sends them); symbols without data
are left out of the maps, never `null`. Times are Alpaca's (`wire.rfc3339`): nanoseconds on stock
trades and on quotes, microseconds on crypto trades, none on bars; sizes and volumes are whole for
stocks and fractional for crypto. Historical trades and quotes, order books and news are in
`history_data_api`, written with this module's `trade_json` and `quote_json`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import reference_api
from .bars import AggBar, BarLike, BarSource
from .data_params import (
    DataError,
    Route,
    TimeFrame,
    check_adjustment,
    check_asof,
    check_currency,
    check_feed,
    check_symbol,
    guarded,
    json_response,
    parse_symbols,
)
from .keys import SANDBOX
from .paging import Window
from .wire import rfc3339, volume

if TYPE_CHECKING:
    from .market import Quote, Trade
    from .universe import Instrument
    from .world import Sandbox

CRYPTO_LOCS = frozenset({"us", "us-1", "us-2", "eu-1", "bs-1"})
"""The locations market-data-api.json lists; the sandbox has one crypto market for all."""


# ------------------------------------------------------------------------------- wire shapes


def bar_json(bar: BarLike) -> dict[str, Any]:
    return {
        "t": rfc3339(bar.t),
        "o": float(bar.o),
        "h": float(bar.h),
        "l": float(bar.l),
        "c": float(bar.c),
        "v": volume(bar.v),
        "n": int(bar.n),
        "vw": float(bar.vw),
    }


def _whole(size: Decimal) -> int:
    return max(1, int(size.to_integral_value()))


def trade_json(trade: Trade, crypto: bool) -> dict[str, Any]:
    if crypto:
        return {
            "t": rfc3339(trade.t, trade.nanos),
            "p": float(trade.price),
            "s": float(trade.size),
            "i": int(trade.id),
            "tks": "B" if trade.id % 2 == 0 else "S",
        }
    return {
        "t": rfc3339(trade.t, trade.nanos),
        "x": trade.exchange,
        "p": float(trade.price),
        "s": _whole(trade.size),
        "i": int(trade.id),
        "c": list(trade.conditions),
        "z": trade.tape,
    }


def quote_json(quote: Quote, crypto: bool) -> dict[str, Any]:
    if crypto:
        return {
            "t": rfc3339(quote.t, quote.nanos),
            "bp": float(quote.bid),
            "bs": float(quote.bid_size),
            "ap": float(quote.ask),
            "as": float(quote.ask_size),
        }
    return {
        "t": rfc3339(quote.t, quote.nanos),
        "bx": quote.bid_exchange,
        "bp": float(quote.bid),
        "bs": _whole(quote.bid_size),
        "ax": quote.ask_exchange,
        "ap": float(quote.ask),
        "as": _whole(quote.ask_size),
        "c": list(quote.conditions),
        "z": quote.tape,
    }


# ------------------------------------------------------------------------------- requests


def _sandbox(request: web.Request) -> Sandbox:
    return request.app[SANDBOX]


def instrument(sandbox: Sandbox, symbol: str, asset_class: str) -> Instrument | None:
    """The instrument of that class for a symbol, or None (crypto pairs on a stock route too)."""
    inst = sandbox.market.universe.get(symbol)
    if inst is None or inst.asset_class != asset_class or inst.symbol.upper() != symbol.upper():
        return None
    return inst


def _page(
    sandbox: Sandbox,
    symbols: Sequence[str],
    asset_class: str,
    request: web.Request,
) -> tuple[dict[str, list[dict[str, Any]]], str | None]:
    """One page of bars for many symbols: limit counts across symbols, symbols in sorted order."""
    query = request.query
    tf = TimeFrame.parse(query.get("timeframe"))
    check_adjustment(query)
    if asset_class == "us_equity":
        check_feed(query)
        check_asof(query)
        check_currency(query)
    page = Window.parse(request.query, _sandbox(request).now())
    source = BarSource(sandbox)

    def fetch(
        symbol: str, lo: datetime, hi: datetime, need: int, mark: datetime | None
    ) -> list[AggBar]:
        inst = instrument(sandbox, symbol, asset_class)
        if inst is None:
            return []
        return source.page(inst, tf, lo, hi, desc=page.desc, need=need, after=mark)

    return page.page(symbols, fetch, bar_json)


def check_crypto_loc(request: web.Request) -> None:
    loc = request.match_info.get("loc", "us")
    if loc not in CRYPTO_LOCS:
        raise DataError(404, f"unknown crypto location: {loc}", code=40410000)


# ----------------------------------------------------------------------------- stock routes


async def stock_bars(request: web.Request) -> web.Response:
    """GET /v2/stocks/bars: paginated multi-symbol bars."""
    sandbox = _sandbox(request)
    symbols = parse_symbols(request.query.get("symbols"))
    bars, token = _page(sandbox, symbols, "us_equity", request)
    return json_response({"bars": bars, "next_page_token": token})


async def stock_bars_single(request: web.Request) -> web.Response:
    """GET /v2/stocks/{symbol}/bars."""
    sandbox = _sandbox(request)
    symbol = check_symbol(request.match_info["symbol"])
    bars, token = _page(sandbox, [symbol], "us_equity", request)
    return json_response({"bars": bars.get(symbol, []), "symbol": symbol, "next_page_token": token})


def _latest(
    request: web.Request,
    symbols: Sequence[str],
    asset_class: str,
    what: str,
) -> dict[str, Any]:
    sandbox = _sandbox(request)
    crypto = asset_class == "crypto"
    source = BarSource(sandbox)
    out: dict[str, Any] = {}
    for symbol in symbols:
        inst = instrument(sandbox, symbol, asset_class)
        if inst is None:
            continue
        if what == "trades":
            trade = sandbox.ticker.latest_trade(inst.symbol)
            if trade is not None:
                out[inst.symbol] = trade_json(trade, crypto)
        elif what == "quotes":
            quote = sandbox.ticker.latest_quote(inst.symbol)
            if quote is not None:
                out[inst.symbol] = quote_json(quote, crypto)
        elif what == "bars":
            bar = source.latest_minute(inst)
            if bar is not None:
                out[inst.symbol] = bar_json(bar)
        else:
            snapshot = _snapshot(sandbox, source, inst)
            if snapshot:
                out[inst.symbol] = snapshot
    return out


def _snapshot(sandbox: Sandbox, source: BarSource, inst: Instrument) -> dict[str, Any]:
    crypto = inst.asset_class == "crypto"
    body: dict[str, Any] = {}
    trade = sandbox.ticker.latest_trade(inst.symbol)
    if trade is not None:
        body["latestTrade"] = trade_json(trade, crypto)
    quote = sandbox.ticker.latest_quote(inst.symbol)
    if quote is not None:
        body["latestQuote"] = quote_json(quote, crypto)
    minute = source.latest_minute(inst)
    if minute is not None:
        body["minuteBar"] = bar_json(minute)
    daily, previous = source.daily_pair(inst)
    if daily is not None:
        body["dailyBar"] = bar_json(daily)
    if previous is not None:
        body["prevDailyBar"] = bar_json(previous)
    return body


def _latest_route(what: str, key: str) -> Route:
    async def handler(request: web.Request) -> web.StreamResponse:
        check_feed(request.query)
        check_currency(request.query)
        symbols = parse_symbols(request.query.get("symbols"))
        return json_response({key: _latest(request, symbols, "us_equity", what)})

    handler.__name__ = f"stock_latest_{what}"
    return handler


def _latest_single_route(what: str, key: str) -> Route:
    async def handler(request: web.Request) -> web.StreamResponse:
        check_feed(request.query)
        check_currency(request.query)
        symbol = check_symbol(request.match_info["symbol"])
        found = _latest(request, [symbol], "us_equity", what)
        if symbol not in found:
            raise DataError(404, f"no {key} found for {symbol}", code=40410000)
        return json_response({"symbol": symbol, key: found[symbol]})

    handler.__name__ = f"stock_latest_{what}_single"
    return handler


async def stock_snapshots(request: web.Request) -> web.Response:
    """GET /v2/stocks/snapshots: a top-level symbol map, no wrapper key."""
    check_feed(request.query)
    check_currency(request.query)
    symbols = parse_symbols(request.query.get("symbols"))
    return json_response(_latest(request, symbols, "us_equity", "snapshots"))


async def stock_snapshot_single(request: web.Request) -> web.Response:
    """GET /v2/stocks/{symbol}/snapshot."""
    check_feed(request.query)
    check_currency(request.query)
    symbol = check_symbol(request.match_info["symbol"])
    found = _latest(request, [symbol], "us_equity", "snapshots")
    if symbol not in found:
        raise DataError(404, f"no snapshot found for {symbol}", code=40410000)
    return json_response({"symbol": symbol, **found[symbol]})


# ---------------------------------------------------------------------------- crypto routes


async def crypto_bars(request: web.Request) -> web.Response:
    """GET /v1beta3/crypto/{loc}/bars."""
    check_crypto_loc(request)
    symbols = parse_symbols(request.query.get("symbols"))
    bars, token = _page(_sandbox(request), symbols, "crypto", request)
    return json_response({"bars": bars, "next_page_token": token})


def _crypto_latest_route(what: str) -> Route:
    async def handler(request: web.Request) -> web.StreamResponse:
        check_crypto_loc(request)
        symbols = parse_symbols(request.query.get("symbols"))
        return json_response({what: _latest(request, symbols, "crypto", what)})

    handler.__name__ = f"crypto_latest_{what}"
    return handler


# ------------------------------------------------------------------------------------ setup


def setup(app: web.Application) -> None:
    """Register the market-data routes, then the Broker host's assets, clock and calendar."""
    get = app.router.add_get

    def add(path: str, handler: Route) -> None:
        get(path, guarded(handler), allow_head=False)

    add("/v2/stocks/bars", stock_bars)
    add("/v2/stocks/bars/latest", _latest_route("bars", "bars"))
    add("/v2/stocks/quotes/latest", _latest_route("quotes", "quotes"))
    add("/v2/stocks/trades/latest", _latest_route("trades", "trades"))
    add("/v2/stocks/snapshots", stock_snapshots)
    add("/v2/stocks/{symbol}/bars", stock_bars_single)
    add("/v2/stocks/{symbol}/bars/latest", _latest_single_route("bars", "bar"))
    add("/v2/stocks/{symbol}/quotes/latest", _latest_single_route("quotes", "quote"))
    add("/v2/stocks/{symbol}/trades/latest", _latest_single_route("trades", "trade"))
    add("/v2/stocks/{symbol}/snapshot", stock_snapshot_single)
    add("/v1beta3/crypto/{loc}/bars", crypto_bars)
    add("/v1beta3/crypto/{loc}/latest/bars", _crypto_latest_route("bars"))
    add("/v1beta3/crypto/{loc}/latest/quotes", _crypto_latest_route("quotes"))
    add("/v1beta3/crypto/{loc}/latest/trades", _crypto_latest_route("trades"))
    add("/v1beta3/crypto/{loc}/snapshots", _crypto_latest_route("snapshots"))
    reference_api.setup(app)
