"""Alpaca's historical ticks, crypto order books, news, auctions and code tables, served from the
sandbox's market so alpaca-py's `get_stock_trades`, `get_crypto_quotes`, `get_news` and the
rest parse them unchanged.

Trades and quotes come from `ticks.Tape`, so they agree with the bars `data_api` serves; order
books are `order_books.book_at` the latest quote, as the stream's are; articles come from
`news.NewsFeed`. Paged routes answer as the bars do (`paging.Window`): symbols sorted, `limit`
across symbols, `next_page_token` null on the last page; errors are Alpaca's JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .auctions import Auctions, DailyAuctions
from .data_api import check_crypto_loc, instrument, quote_json, trade_json
from .data_params import (
    Route,
    bad_request,
    check_asof,
    check_currency,
    check_feed,
    check_symbol,
    guarded,
    json_response,
    parse_bool,
    parse_limit,
    parse_range,
    parse_sort,
    parse_symbols,
)
from .keys import SANDBOX
from .news import decode_news_token, encode_news_token, feed_of
from .order_books import OrderBook, book_at
from .paging import Window
from .stock_codes import EXCHANGES, TAPES, TICK_TYPES, conditions
from .ticks import Tape
from .wire import rfc3339

if TYPE_CHECKING:
    from .market import Quote, Trade
    from .world import Sandbox

NEWS_LIMIT = 10
NEWS_MAX_LIMIT = 50


def _sandbox(request: web.Request) -> Sandbox:
    return request.app[SANDBOX]


# ------------------------------------------------------------------------ trades and quotes


def _ticks(
    request: web.Request, symbols: Sequence[str], asset_class: str, what: str
) -> tuple[dict[str, list[dict[str, Any]]], str | None]:
    """One page of trades or quotes for many symbols."""
    query = request.query
    sandbox = _sandbox(request)
    crypto = asset_class == "crypto"
    if not crypto:
        check_feed(query)
        check_asof(query)
        check_currency(query)
    page = Window.parse(query, sandbox.now())
    iex = (query.get("feed") or "").lower() == "iex"
    tape = Tape(sandbox.market, sandbox.now)
    read = tape.trades if what == "trades" else tape.quotes

    def fetch(
        symbol: str, lo: datetime, hi: datetime, need: int, _mark: datetime | None
    ) -> list[Trade] | list[Quote]:
        inst = instrument(sandbox, symbol, asset_class)
        if inst is None:
            return []
        return read(inst, lo, hi, desc=page.desc, need=need, iex=iex)

    if what == "trades":
        return page.page(symbols, fetch, lambda trade: trade_json(trade, crypto))
    return page.page(symbols, fetch, lambda quote: quote_json(quote, crypto))


def _stock_route(what: str) -> Route:
    async def handler(request: web.Request) -> web.StreamResponse:
        symbols = parse_symbols(request.query.get("symbols"))
        items, token = _ticks(request, symbols, "us_equity", what)
        return json_response({what: items, "next_page_token": token})

    handler.__name__ = f"stock_{what}"
    handler.__doc__ = f"GET /v2/stocks/{what}: paginated multi-symbol {what}."
    return handler


def _stock_single_route(what: str) -> Route:
    async def handler(request: web.Request) -> web.StreamResponse:
        symbol = check_symbol(request.match_info["symbol"])
        items, token = _ticks(request, [symbol], "us_equity", what)
        return json_response(
            {what: items.get(symbol, []), "symbol": symbol, "next_page_token": token}
        )

    handler.__name__ = f"stock_{what}_single"
    handler.__doc__ = f"GET /v2/stocks/{{symbol}}/{what}."
    return handler


def _crypto_route(what: str) -> Route:
    async def handler(request: web.Request) -> web.StreamResponse:
        check_crypto_loc(request)
        symbols = parse_symbols(request.query.get("symbols"))
        items, token = _ticks(request, symbols, "crypto", what)
        return json_response({what: items, "next_page_token": token})

    handler.__name__ = f"crypto_{what}"
    handler.__doc__ = f"GET /v1beta3/crypto/{{loc}}/{what}: fractional sizes."
    return handler


# ------------------------------------------------------------------------------ order books


def book_json(book: OrderBook) -> dict[str, Any]:
    """Alpaca's crypto order book: `t`, bids `b` best first, asks `a` best first."""
    return {
        "t": rfc3339(book.t, book.nanos),
        "b": [{"p": float(level.price), "s": float(level.size)} for level in book.bids],
        "a": [{"p": float(level.price), "s": float(level.size)} for level in book.asks],
    }


async def crypto_orderbooks(request: web.Request) -> web.Response:
    """GET /v1beta3/crypto/{loc}/latest/orderbooks: the book under each pair's latest quote."""
    check_crypto_loc(request)
    sandbox = _sandbox(request)
    out: dict[str, Any] = {}
    for symbol in parse_symbols(request.query.get("symbols")):
        inst = instrument(sandbox, symbol, "crypto")
        quote = None if inst is None else sandbox.ticker.latest_quote(inst.symbol)
        if inst is not None and quote is not None:
            out[inst.symbol] = book_json(book_at(inst.symbol, quote))
    return json_response({"orderbooks": out})


# ------------------------------------------------------------------------------------ news


async def news(request: web.Request) -> web.Response:
    """GET /v1beta1/news: newest first by default, 10 a page (at most 50)."""
    query = request.query
    sandbox = _sandbox(request)
    limit = parse_limit(query.get("limit"), default=NEWS_LIMIT, maximum=NEWS_MAX_LIMIT)
    sort = query.get("sort")
    desc = parse_sort(sort) if sort else True
    start, end = parse_range(query, sandbox.now())
    include_content = parse_bool(query.get("include_content"), "include_content")
    with_content = parse_bool(query.get("exclude_contentless"), "exclude_contentless")
    token = query.get("page_token")
    after = decode_news_token(token) if token else None
    wanted = None
    if query.get("symbols"):
        universe = sandbox.market.universe
        found = (universe.get(s) for s in parse_symbols(query.get("symbols")))
        wanted = frozenset(inst.symbol for inst in found if inst is not None)
    feed = feed_of(sandbox.market)
    chosen = []
    for article in feed.articles(
        start, end, desc=desc, symbols=wanted, with_content=with_content, after=after
    ):
        chosen.append(article)
        if len(chosen) > limit:
            break
    more = len(chosen) > limit
    chosen = chosen[:limit]
    body = [feed.render(sandbox.market, a, include_content) for a in chosen]
    next_token = encode_news_token(chosen[-1]) if more else None
    return json_response({"news": body, "next_page_token": next_token})


# -------------------------------------------------------------------------------- auctions


def _auctions(
    request: web.Request, symbols: Sequence[str]
) -> tuple[dict[str, list[dict[str, Any]]], str | None]:
    query = request.query
    feed = query.get("feed")
    if feed and feed.lower() != "sip":
        raise bad_request(f"invalid feed: {feed} (auctions are on sip only)")
    check_asof(query)
    check_currency(query)
    sandbox = _sandbox(request)
    page = Window.parse(query, sandbox.now())
    auctions = Auctions(sandbox.market, sandbox.calendar, sandbox.now)

    def fetch(
        symbol: str, _lo: datetime, _hi: datetime, need: int, mark: datetime | None
    ) -> list[DailyAuctions]:
        inst = instrument(sandbox, symbol, "us_equity")
        if inst is None:
            return []
        return auctions.days(inst, page.start, page.end, desc=page.desc, need=need, after=mark)

    return page.page(symbols, fetch, DailyAuctions.to_json)


async def stock_auctions(request: web.Request) -> web.Response:
    """GET /v2/stocks/auctions: each session's opening and closing auctions."""
    symbols = parse_symbols(request.query.get("symbols"))
    items, token = _auctions(request, symbols)
    return json_response({"auctions": items, "next_page_token": token})


async def stock_auctions_single(request: web.Request) -> web.Response:
    """GET /v2/stocks/{symbol}/auctions."""
    symbol = check_symbol(request.match_info["symbol"])
    items, token = _auctions(request, [symbol])
    return json_response(
        {"auctions": items.get(symbol, []), "symbol": symbol, "next_page_token": token}
    )


# ------------------------------------------------------------------------------ code tables


async def stock_exchanges(request: web.Request) -> web.Response:
    """GET /v2/stocks/meta/exchanges: exchange code -> name."""
    return json_response(dict(EXCHANGES))


async def stock_conditions(request: web.Request) -> web.Response:
    """GET /v2/stocks/meta/conditions/{ticktype}?tape=A|B|C: condition code -> name."""
    tick_type = request.match_info["ticktype"].lower()
    if tick_type not in TICK_TYPES:
        raise bad_request(f"invalid ticktype: {request.match_info['ticktype']}")
    tape = (request.query.get("tape") or "").upper()
    if not tape:
        raise bad_request("tape is required")
    if tape not in TAPES:
        raise bad_request(f"invalid tape: {request.query.get('tape')}")
    return json_response(dict(conditions(tick_type, tape)))


# ------------------------------------------------------------------------------------ setup


def setup(app: web.Application) -> None:
    """Register the historical tick, order book, news, auction and code-table routes."""

    def add(path: str, handler: Route) -> None:
        app.router.add_get(path, guarded(handler), allow_head=False)

    add("/v2/stocks/trades", _stock_route("trades"))
    add("/v2/stocks/quotes", _stock_route("quotes"))
    add("/v2/stocks/auctions", stock_auctions)
    add("/v2/stocks/meta/exchanges", stock_exchanges)
    add("/v2/stocks/meta/conditions/{ticktype}", stock_conditions)
    add("/v2/stocks/{symbol}/trades", _stock_single_route("trades"))
    add("/v2/stocks/{symbol}/quotes", _stock_single_route("quotes"))
    add("/v2/stocks/{symbol}/auctions", stock_auctions_single)
    add("/v1beta3/crypto/{loc}/trades", _crypto_route("trades"))
    add("/v1beta3/crypto/{loc}/quotes", _crypto_route("quotes"))
    add("/v1beta3/crypto/{loc}/latest/orderbooks", crypto_orderbooks)
    add("/v1beta1/news", news)
