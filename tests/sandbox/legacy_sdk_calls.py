"""Every market-data call of alpaca-trade-api 3.2.0, the older official Alpaca SDK, against one
sandbox; prints a JSON report. It runs in the SDK's own environment, not the project's:

    .venv-legacy-sdk/bin/python tests/sandbox/legacy_sdk_calls.py BASE_URL KEY SECRET

BASE_URL is the sandbox's `http://host:port`: the REST client's data host, its `AsyncRest`'s
`data_url` and its `Stream`'s `data_stream_url` (the SDK turns `http` into `ws` itself).

The SDK is used as old code uses it, through its classes `REST`, `AsyncRest` and `Stream`; the
script reaches inside them only to note what happened (a `requests` response hook on the REST
client's session; on each stream socket, handshake failures and the server's messages). `REST`
3.2.0 takes no data URL argument: it reads the data host from `APCA_API_DATA_URL` on every call,
so the script sets that variable. Its crypto stream dials `/v1beta2/crypto`, a path Alpaca
retired; the path served today is `/v1beta3/crypto/us`, which no argument reaches, so the second
crypto stream sets the endpoint the SDK keeps on its crypto socket (`_crypto_ws._endpoint`)
before running, the one-line change old code makes to follow Alpaca.

The report: `calls`, one entry per REST call (`ok`, `type`, `count`, sampled `records` in plain
JSON, the `requests` made with their status, and on failure the `error`, the request and the
sandbox's answer); `streams`, one entry per stream socket (the URL dialed, what each channel
received, connection failures and the server's error messages). The test judges the records; this
script only reports. It never exits non-zero for a failed call.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import alpaca_trade_api
import msgpack
import requests
from alpaca_trade_api.rest import REST, Sort, TimeFrame, TimeFrameUnit
from alpaca_trade_api.rest_async import AsyncRest
from alpaca_trade_api.stream import Stream

Json = dict[str, Any]

STOCKS = ["AAPL", "MSFT"]
PAIRS = ["BTC/USD", "ETH/USD"]
SAMPLE = 40
"""Records kept per call: evenly spread over the result, first and last included."""
STREAM_DEADLINE_S = 25.0
TODAY_CRYPTO_PATH = "/v1beta3/crypto/us"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# ----------------------------------------------------------------------------- records


def _num(value: Any) -> float | None:
    return None if value is None else float(value)


def _time(value: Any) -> str | None:
    """Any time the SDK hands out (string, pandas Timestamp, nanoseconds) as text."""
    if value is None:
        return None
    if isinstance(value, int):  # a stream's time: the SDK's nanoseconds since the epoch
        return (EPOCH + timedelta(microseconds=value // 1000)).isoformat()
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _raw(entity: Any) -> Mapping[str, Any]:
    """The answer object behind an SDK entity (`Entity._raw`)."""
    raw = getattr(entity, "_raw", entity)
    return raw if isinstance(raw, Mapping) else {}


def bar_record(raw: Mapping[str, Any], symbol: str | None = None) -> Json:
    """A bar in Alpaca's short names (`o h l c v t`) or the SDK's long ones (streams)."""

    def get(short: str, long: str) -> Any:
        return raw.get(short, raw.get(long))

    return {
        "kind": "bar",
        "symbol": symbol or raw.get("S") or raw.get("symbol"),
        "t": _time(get("t", "timestamp")),
        "o": _num(get("o", "open")),
        "h": _num(get("h", "high")),
        "l": _num(get("l", "low")),
        "c": _num(get("c", "close")),
        "v": _num(get("v", "volume")),
    }


def trade_record(raw: Mapping[str, Any], symbol: str | None = None) -> Json:
    return {
        "kind": "trade",
        "symbol": symbol or raw.get("S") or raw.get("symbol"),
        "t": _time(raw.get("t", raw.get("timestamp"))),
        "p": _num(raw.get("p", raw.get("price"))),
        "s": _num(raw.get("s", raw.get("size"))),
    }


def quote_record(raw: Mapping[str, Any], symbol: str | None = None) -> Json:
    return {
        "kind": "quote",
        "symbol": symbol or raw.get("S") or raw.get("symbol"),
        "t": _time(raw.get("t", raw.get("timestamp"))),
        "bp": _num(raw.get("bp", raw.get("bid_price"))),
        "ap": _num(raw.get("ap", raw.get("ask_price"))),
        "bs": _num(raw.get("bs", raw.get("bid_size"))),
        "as": _num(raw.get("as", raw.get("ask_size"))),
    }


def _levels(levels: Any) -> list[list[float | None]]:
    return [[_num(_raw(lv).get("p")), _num(_raw(lv).get("s"))] for lv in levels or []]


def orderbook_record(book: Any, symbol: str | None = None) -> Json:
    """An `OrderbookV2` (REST: `bids`/`asks`/`timestamp`) or a stream's (same names)."""
    raw = _raw(book)
    return {
        "kind": "orderbook",
        "symbol": symbol or raw.get("symbol") or raw.get("S"),
        "t": _time(raw.get("timestamp", raw.get("t"))),
        "bids": _levels(raw.get("bids", raw.get("b"))),
        "asks": _levels(raw.get("asks", raw.get("a"))),
    }


def latest_bar_record(bar: Any, symbol: str | None = None) -> Json:
    """A `BarV2` read through the SDK's long names, as old code reads it."""
    return {
        "kind": "bar",
        "symbol": symbol or _raw(bar).get("S"),
        "t": _time(bar.timestamp),
        "o": _num(bar.open),
        "h": _num(bar.high),
        "l": _num(bar.low),
        "c": _num(bar.close),
        "v": _num(bar.volume),
    }


def latest_trade_record(trade: Any, symbol: str | None = None) -> Json:
    return {
        "kind": "trade",
        "symbol": symbol or _raw(trade).get("S"),
        "t": _time(trade.timestamp),
        "p": _num(trade.price),
        "s": _num(trade.size),
    }


def latest_quote_record(quote: Any, symbol: str | None = None) -> Json:
    return {
        "kind": "quote",
        "symbol": symbol or _raw(quote).get("S"),
        "t": _time(quote.timestamp),
        "bp": _num(quote.bid_price),
        "ap": _num(quote.ask_price),
        "bs": _num(quote.bid_size),
        "as": _num(quote.ask_size),
    }


def snapshot_record(snapshot: Any, symbol: str) -> Json:
    def part(value: Any, make: Callable[[Any, str], Json]) -> Json | None:
        return None if value is None else make(value, symbol)

    return {
        "kind": "snapshot",
        "symbol": symbol,
        "latest_trade": part(snapshot.latest_trade, latest_trade_record),
        "latest_quote": part(snapshot.latest_quote, latest_quote_record),
        "minute_bar": part(snapshot.minute_bar, latest_bar_record),
        "daily_bar": part(snapshot.daily_bar, latest_bar_record),
        "prev_daily_bar": part(snapshot.prev_daily_bar, latest_bar_record),
    }


def news_record(article: Any) -> Json:
    return {
        "kind": "news",
        "id": article.id,
        "headline": article.headline,
        "symbols": list(article.symbols or []),
        "created_at": _time(article.created_at),
        "source": _raw(article).get("source"),
    }


def frame_records(frame: Any, make: Callable[[Mapping[str, Any]], Json]) -> list[Json]:
    """Rows of an SDK DataFrame (`.df`, indexed by time) as records."""
    rows = []
    for t, row in frame.iterrows():
        values = {k: (None if v != v else v) for k, v in row.to_dict().items()}  # NaN -> None
        rows.append(make({**values, "timestamp": t}))
    return rows


BAR_COLUMNS = {"open": "o", "high": "h", "low": "l", "close": "c", "volume": "v"}
TRADE_COLUMNS = {"price": "p", "size": "s"}
QUOTE_COLUMNS = {"bid_price": "bp", "ask_price": "ap", "bid_size": "bs", "ask_size": "as"}


def _renamed(row: Mapping[str, Any], columns: Mapping[str, str]) -> dict[str, Any]:
    out = {columns.get(k, k): v for k, v in row.items()}
    out["t"] = row.get("timestamp")
    return out


def sample(records: list[Json]) -> list[Json]:
    if len(records) <= SAMPLE:
        return records
    step = (len(records) - 1) / (SAMPLE - 1)
    return [records[round(i * step)] for i in range(SAMPLE)]


# ----------------------------------------------------------------------------- REST calls


class Recorder:
    """Every HTTP exchange of the REST client (a `requests` response hook), for the report."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def hook(self, response: Any, *args: Any, **kwargs: Any) -> None:
        line = f"{response.request.method} {response.request.path_url} -> {response.status_code}"
        if response.status_code >= 400:
            line += f" {response.text[:300]}"
        self.lines.append(line)

    def take(self) -> list[str]:
        lines, self.lines = self.lines, []
        return lines


def _error(exc: BaseException) -> Json:
    """What went wrong, with the request and the sandbox's answer when the SDK kept them."""
    out: Json = {"exception": type(exc).__name__, "message": str(exc)[:500]}
    http = getattr(exc, "_http_error", None) or exc  # APIError keeps requests' HTTPError
    response = getattr(http, "response", None)
    if response is not None and hasattr(response, "status_code"):
        out["status"] = response.status_code
        out["answer"] = response.text[:500]
        out["request"] = f"{response.request.method} {response.request.path_url}"
    return out


def call(
    report: list[Json],
    recorder: Recorder,
    name: str,
    label: str,
    fn: Callable[[], Any],
    records: Callable[[Any], list[Json]],
) -> None:
    """Run one SDK call; add its entry (records from the result, or the error) to `report`."""
    entry: Json = {"name": name, "label": label}
    try:
        result = fn()
        rows = records(result)
        entry.update(ok=True, type=type(result).__name__, count=len(rows), records=sample(rows))
    except Exception as exc:
        entry.update(ok=False, error=_error(exc))
    entry["requests"] = recorder.take()
    report.append(entry)


def each(mapping: Mapping[str, Any], make: Callable[[Any, str], Json]) -> list[Json]:
    """A symbol-keyed SDK answer (`LatestBarsV2`, `SnapshotsV2`, ...) as records."""
    return [make(value, symbol) for symbol, value in sorted(mapping.items()) if value is not None]


def rest_calls(base_url: str, key: str, secret: str) -> list[Json]:
    os.environ["APCA_API_DATA_URL"] = base_url
    api = REST(key, secret, base_url=base_url, api_version="v2")
    recorder = Recorder()
    api._session.hooks["response"].append(recorder.hook)
    report: list[Json] = []

    now = datetime.now(UTC).replace(microsecond=0)

    def iso(delta: timedelta) -> str:
        return (now - delta).isoformat().replace("+00:00", "Z")

    month, week, day, hour, minutes = (
        iso(timedelta(days=30)),
        iso(timedelta(days=7)),
        iso(timedelta(days=1)),
        iso(timedelta(hours=1)),
        iso(timedelta(minutes=20)),
    )

    def bars(result: Any) -> list[Json]:  # BarsV2, read as old code reads it: `.df`
        return frame_records(result.df, lambda row: bar_record(_renamed(row, BAR_COLUMNS)))

    def trades(result: Any) -> list[Json]:
        return frame_records(result.df, lambda row: trade_record(_renamed(row, TRADE_COLUMNS)))

    def quotes(result: Any) -> list[Json]:
        return frame_records(result.df, lambda row: quote_record(_renamed(row, QUOTE_COLUMNS)))

    def listed(make: Callable[[Mapping[str, Any]], Json]) -> Callable[[Any], list[Json]]:
        return lambda items: [make(_raw(item)) for item in items]

    def run(name: str, label: str, fn: Callable[[], Any], rec: Callable[[Any], list[Json]]) -> None:
        call(report, recorder, name, label, fn, rec)

    # --- stocks, historical (grouped by symbol when a list is given; pages of 10,000)
    run(
        "get_bars",
        "AAPL,MSFT 1Min, limit 12000 (two pages)",
        lambda: api.get_bars(STOCKS, TimeFrame.Minute, month, minutes, limit=12_000),
        bars,
    )
    run(
        "get_bars",
        "AAPL 1Day, adjustment=all, feed=iex",
        lambda: api.get_bars(
            "AAPL", TimeFrame.Day, iso(timedelta(days=60)), day, adjustment="all", feed="iex"
        ),
        bars,
    )
    run(
        "get_bars_iter",
        "MSFT 15Min, sort=desc",
        lambda: list(
            api.get_bars_iter(
                "MSFT", TimeFrame(15, TimeFrameUnit.Minute), day, minutes, sort=Sort.Desc
            )
        ),
        listed(bar_record),
    )
    run(
        "get_trades",
        "AAPL last hour, limit 500",
        lambda: api.get_trades("AAPL", hour, minutes, limit=500),
        trades,
    )
    run(
        "get_trades_iter",
        "AAPL,MSFT last hour, limit 300",
        lambda: list(api.get_trades_iter(STOCKS, hour, minutes, limit=300)),
        listed(trade_record),
    )
    run(
        "get_quotes",
        "AAPL last hour, limit 500",
        lambda: api.get_quotes("AAPL", hour, minutes, limit=500),
        quotes,
    )
    run(
        "get_quotes_iter",
        "AAPL,MSFT last hour, limit 300",
        lambda: list(api.get_quotes_iter(STOCKS, hour, minutes, limit=300)),
        listed(quote_record),
    )

    # --- stocks, latest and snapshots
    run(
        "get_latest_bar",
        "AAPL",
        lambda: api.get_latest_bar("AAPL"),
        lambda b: [latest_bar_record(b, "AAPL")],
    )
    run(
        "get_latest_bars",
        "AAPL,MSFT",
        lambda: api.get_latest_bars(STOCKS),
        lambda m: each(m, latest_bar_record),
    )
    run(
        "get_latest_trade",
        "AAPL",
        lambda: api.get_latest_trade("AAPL"),
        lambda t: [latest_trade_record(t, "AAPL")],
    )
    run(
        "get_latest_trades",
        "AAPL,MSFT",
        lambda: api.get_latest_trades(STOCKS),
        lambda m: each(m, latest_trade_record),
    )
    run(
        "get_latest_quote",
        "AAPL, feed=iex",
        lambda: api.get_latest_quote("AAPL", feed="iex"),
        lambda q: [latest_quote_record(q, "AAPL")],
    )
    run(
        "get_latest_quotes",
        "AAPL,MSFT",
        lambda: api.get_latest_quotes(STOCKS),
        lambda m: each(m, latest_quote_record),
    )
    run(
        "get_snapshot",
        "AAPL",
        lambda: api.get_snapshot("AAPL"),
        lambda s: [snapshot_record(s, "AAPL")],
    )
    run(
        "get_snapshots",
        "AAPL,MSFT",
        lambda: api.get_snapshots(STOCKS),
        lambda m: each(m, snapshot_record),
    )

    # --- crypto (v1beta3, location us)
    run(
        "get_crypto_bars",
        "BTC/USD 1Hour, last week",
        lambda: api.get_crypto_bars("BTC/USD", TimeFrame.Hour, week, minutes),
        bars,
    )
    run(
        "get_crypto_bars_iter",
        "BTC/USD,ETH/USD 1Min, limit 200",
        lambda: list(api.get_crypto_bars_iter(PAIRS, TimeFrame.Minute, hour, minutes, limit=200)),
        listed(bar_record),
    )
    run(
        "get_crypto_trades",
        "BTC/USD last hour, limit 500",
        lambda: api.get_crypto_trades("BTC/USD", hour, minutes, limit=500),
        trades,
    )
    run(
        "get_crypto_trades_iter",
        "BTC/USD,ETH/USD last hour, limit 300",
        lambda: list(api.get_crypto_trades_iter(PAIRS, hour, minutes, limit=300)),
        listed(trade_record),
    )
    run(
        "get_crypto_quotes",
        "BTC/USD last hour, limit 500",
        lambda: api.get_crypto_quotes("BTC/USD", hour, minutes, limit=500),
        quotes,
    )
    run(
        "get_crypto_quotes_iter",
        "BTC/USD,ETH/USD last hour, limit 300",
        lambda: list(api.get_crypto_quotes_iter(PAIRS, hour, minutes, limit=300)),
        listed(quote_record),
    )
    run(
        "get_latest_crypto_bars",
        "BTC/USD,ETH/USD",
        lambda: api.get_latest_crypto_bars(PAIRS),
        lambda m: each(m, latest_bar_record),
    )
    run(
        "get_latest_crypto_trades",
        "BTC/USD,ETH/USD",
        lambda: api.get_latest_crypto_trades(PAIRS),
        lambda m: each(m, latest_trade_record),
    )
    run(
        "get_latest_crypto_quotes",
        "BTC/USD,ETH/USD",
        lambda: api.get_latest_crypto_quotes(PAIRS),
        lambda m: each(m, latest_quote_record),
    )
    run(
        "get_crypto_snapshot",
        "BTC/USD",
        lambda: api.get_crypto_snapshot("BTC/USD"),
        lambda m: each(m, snapshot_record),
    )
    run(
        "get_crypto_snapshots",
        "BTC/USD,ETH/USD",
        lambda: api.get_crypto_snapshots(PAIRS),
        lambda m: each(m, snapshot_record),
    )
    run(
        "get_latest_crypto_orderbook",
        "BTC/USD",
        lambda: api.get_latest_crypto_orderbook("BTC/USD"),
        lambda m: each(m, orderbook_record),
    )
    run(
        "get_latest_crypto_orderbooks",
        "BTC/USD,ETH/USD",
        lambda: api.get_latest_crypto_orderbooks(PAIRS),
        lambda m: each(m, orderbook_record),
    )

    # --- news (v1beta1; pages of 50; without `start`, Alpaca answers today's articles only)
    run(
        "get_news",
        "AAPL since a month, limit 5, include_content",
        lambda: api.get_news("AAPL", month, limit=5, include_content=True),
        lambda items: [news_record(n) for n in items],
    )
    run(
        "get_news_iter",
        "any symbol since a week, limit 60 (two pages)",
        lambda: list(api.get_news_iter(start=week, limit=60)),
        lambda items: [news_record(n) for n in items],
    )

    report.extend(async_rest_calls(base_url, key, secret, week, day, hour, minutes))
    return report


def async_rest_calls(
    base_url: str, key: str, secret: str, week: str, day: str, hour: str, minutes: str
) -> list[Json]:
    """`AsyncRest` (aiohttp): stock bars, trades and quotes as DataFrames, latest trade/quote.

    It turns every answer into a DataFrame without looking at the status, so an error answer
    reads as an empty result; an empty one is then fetched once more with `requests` to put the
    sandbox's answer in the report.
    """
    client = AsyncRest(key_id=key, secret_key=secret, data_url=base_url)
    report: list[Json] = []

    async def one(
        name: str, label: str, url: str, fn: Awaitable[Any], rec: Callable[[Any], list[Json]]
    ) -> None:
        entry: Json = {"name": name, "label": label, "requests": [f"GET {url}"]}
        try:
            result = await fn
            rows = [] if result is None else rec(result)
            entry.update(ok=True, type=type(result).__name__, count=len(rows), records=sample(rows))
            if not rows:
                entry["probe"] = _probe(url, key, secret)
        except Exception as exc:
            entry.update(ok=False, error=_error(exc), probe=_probe(url, key, secret))
        report.append(entry)

    def frame(make: Callable[[Mapping[str, Any]], Json], columns: Mapping[str, str]) -> Any:
        return lambda pair: frame_records(pair[1], lambda row: make(_renamed(row, columns)))

    async def main() -> None:
        hist = f"{base_url}/v2/stocks/AAPL"
        await one(
            "AsyncRest.get_bars_async",
            "AAPL 1Hour, last week",
            f"{hist}/bars",
            client.get_bars_async("AAPL", week, minutes, TimeFrame.Hour.value),
            frame(bar_record, BAR_COLUMNS),
        )
        await one(
            "AsyncRest.get_trades_async",
            "AAPL last hour, limit 200",
            f"{hist}/trades",
            client.get_trades_async("AAPL", hour, minutes, limit=200),
            frame(trade_record, TRADE_COLUMNS),
        )
        await one(
            "AsyncRest.get_quotes_async",
            "AAPL last hour, limit 200",
            f"{hist}/quotes",
            client.get_quotes_async("AAPL", hour, minutes, limit=200),
            frame(quote_record, QUOTE_COLUMNS),
        )
        await one(
            "AsyncRest.get_latest_trade_async",
            "AAPL",
            f"{hist}/trades/latest",
            client.get_latest_trade_async("AAPL"),
            lambda pair: [latest_trade_record(pair[1], pair[0])],
        )
        await one(
            "AsyncRest.get_latest_quote_async",
            "AAPL",
            f"{hist}/quotes/latest",
            client.get_latest_quote_async("AAPL"),
            lambda pair: [latest_quote_record(pair[1], pair[0])],
        )

    asyncio.run(main())
    return report


def _probe(url: str, key: str, secret: str) -> str:
    headers = {"APCA-API-KEY-ID": key, "APCA-API-SECRET-KEY": secret}
    try:
        response = requests.get(url, headers=headers, timeout=10, allow_redirects=False)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return f"GET {response.request.path_url} -> {response.status_code} {response.text[:300]}"


# ----------------------------------------------------------------------------- streams


class Probe:
    """One socket of the SDK (`DataStream` or `CryptoDataStream`) and what it got.

    Its `_start_ws` and `_dispatch` are wrapped to note handshake failures, the server's
    `subscription` and `error` messages, and exceptions the SDK would only log; the SDK's own
    code still does all the work.
    """

    def __init__(self, name: str, socket: Any, channels: Mapping[str, Callable[[Any], Json]]):
        self.name = name
        self.socket = socket
        self.makers = dict(channels)
        self.received: dict[str, list[Json]] = {c: [] for c in channels}
        self.connect_errors: list[str] = []
        self.server_messages: list[Json] = []
        self.dispatch_errors: list[str] = []
        self.connected = False
        start, dispatch = socket._start_ws, socket._dispatch

        async def start_ws() -> None:
            try:
                await start()
            except Exception as exc:
                self.connect_errors.append(f"{type(exc).__name__}: {exc}")
                raise
            self.connected = True

        async def dispatch_(msg: Any) -> None:
            if isinstance(msg, Mapping) and msg.get("T") in ("subscription", "error", "success"):
                self.server_messages.append(_plain(msg))
            try:
                await dispatch(msg)
            except Exception as exc:
                self.dispatch_errors.append(f"{type(exc).__name__}: {exc} in {_plain(msg)}")
                raise

        socket._start_ws = start_ws
        socket._dispatch = dispatch_

    def handler(self, channel: str) -> Callable[[Any], Awaitable[None]]:
        async def handle(item: Any) -> None:
            if len(self.received[channel]) < SAMPLE:
                try:
                    self.received[channel].append(self.makers[channel](item))
                except Exception as exc:
                    self.dispatch_errors.append(f"{channel}: {type(exc).__name__}: {exc}")

        return handle

    @property
    def done(self) -> bool:
        return all(self.received.values()) or bool(self.connect_errors)

    def report(self) -> Json:
        return {
            "name": self.name,
            "url": self.socket._endpoint,
            "connected": self.connected,
            "channels": {
                c: {"count": len(items), "records": items[:5]} for c, items in self.received.items()
            },
            "connect_errors": self.connect_errors[:3],
            "server_messages": self.server_messages[:10],
            "dispatch_errors": self.dispatch_errors[:5],
        }


def _plain(value: Any) -> Any:
    """A decoded stream message as JSON (msgpack Timestamps as text)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, msgpack.Timestamp):
        return value.to_datetime().isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _entity(make: Callable[[Mapping[str, Any]], Json]) -> Callable[[Any], Json]:
    """A stream item: the SDK's entity (long names, `t` in nanoseconds) read from its fields."""

    def read(item: Any) -> Json:
        raw = dict(_raw(item))
        if isinstance(raw.get("timestamp"), int):  # the SDK's nanoseconds since the epoch
            raw["timestamp"] = (
                EPOCH + timedelta(microseconds=raw["timestamp"] // 1000)
            ).isoformat()
        return make(raw)

    return read


def _status(item: Any) -> Json:
    # StatusV2/LULDV2 are built from already renamed fields, so their own attribute names do
    # not resolve (`status.status_code` raises AttributeError): read the fields.
    return {"kind": "status", **_plain(_entity(lambda raw: dict(raw))(item))}


def _luld(item: Any) -> Json:
    return {"kind": "luld", **_plain(_entity(lambda raw: dict(raw))(item))}


STOCK_CHANNELS: dict[str, tuple[str, Callable[[Any], Json]]] = {
    # channel: (Stream.subscribe_* method, record maker)
    "trades": ("subscribe_trades", _entity(trade_record)),
    "quotes": ("subscribe_quotes", _entity(quote_record)),
    "bars": ("subscribe_bars", _entity(bar_record)),
    "updatedBars": ("subscribe_updated_bars", _entity(bar_record)),
    "dailyBars": ("subscribe_daily_bars", _entity(bar_record)),
    "statuses": ("subscribe_statuses", _status),
    "lulds": ("subscribe_lulds", _luld),
}
CRYPTO_CHANNELS: dict[str, tuple[str, Callable[[Any], Json]]] = {
    "trades": ("subscribe_crypto_trades", _entity(trade_record)),
    "quotes": ("subscribe_crypto_quotes", _entity(quote_record)),
    "bars": ("subscribe_crypto_bars", _entity(bar_record)),
    "updatedBars": ("subscribe_crypto_updated_bars", _entity(bar_record)),
    "dailyBars": ("subscribe_crypto_daily_bars", _entity(bar_record)),
    "orderbooks": ("subscribe_crypto_orderbooks", orderbook_record),
}


def _subscribe(
    name: str,
    stream: Any,
    socket: Any,
    channels: Mapping[str, tuple[str, Callable[[Any], Json]]],
    symbols: Iterable[str],
) -> Probe:
    probe = Probe(name, socket, {c: make for c, (_, make) in channels.items()})
    for channel, (method, _) in channels.items():
        getattr(stream, method)(probe.handler(channel), *symbols)
    return probe


async def stream_calls(base_url: str, key: str, secret: str) -> tuple[list[Json], str]:
    """Stocks on each feed and crypto on both paths, all at once; each until every channel
    has data, its handshake failed, or the deadline."""
    streams: list[Any] = []
    probes: list[Probe] = []

    def stream(feed: str = "iex") -> Any:
        made = Stream(key, secret, base_url=base_url, data_stream_url=base_url, data_feed=feed)
        streams.append(made)
        return made

    main = stream("iex")
    probes.append(_subscribe("stocks iex", main, main._data_ws, STOCK_CHANNELS, STOCKS))
    basic = {c: STOCK_CHANNELS[c] for c in ("trades", "quotes", "bars")}
    for feed, symbols in (("sip", STOCKS), ("delayed_sip", STOCKS), ("test", ["FAKEPACA"])):
        other = stream(feed)
        probes.append(_subscribe(f"stocks {feed}", other, other._data_ws, basic, symbols))

    retired = stream()
    default_crypto_url = str(retired._crypto_ws._endpoint)
    probes.append(
        _subscribe("crypto, SDK default path", retired, retired._crypto_ws, CRYPTO_CHANNELS, PAIRS)
    )
    today = stream()
    today._crypto_ws._endpoint = base_url.replace("http", "ws", 1) + TODAY_CRYPTO_PATH
    probes.append(
        _subscribe(f"crypto, {TODAY_CRYPTO_PATH}", today, today._crypto_ws, CRYPTO_CHANNELS, PAIRS)
    )

    runs = [asyncio.ensure_future(s._run_forever()) for s in streams]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STREAM_DEADLINE_S
    stopped: set[int] = set()
    while len(stopped) < len(streams) and loop.time() < deadline:
        for i, (s, probe) in enumerate(zip(streams, probes, strict=True)):
            if i not in stopped and probe.done:
                await s.stop_ws()
                stopped.add(i)
        await asyncio.sleep(0.1)
    for s in streams:
        await s.stop_ws()
    # a socket notices stop_ws between two frames, or after its 5 s receive timeout
    await asyncio.wait_for(asyncio.gather(*runs, return_exceptions=True), 15)
    return [p.report() for p in probes], default_crypto_url


# ----------------------------------------------------------------------------- main


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    base_url, key, secret = argv
    base_url = base_url.rstrip("/")
    calls = rest_calls(base_url, key, secret)
    streams, default_crypto_url = asyncio.run(stream_calls(base_url, key, secret))
    report = {
        "sdk": alpaca_trade_api.__version__,
        "msgpack": ".".join(map(str, msgpack.version)),
        "msgpack_c_extension": msgpack.Packer.__module__ != "msgpack.fallback",
        "crypto_stream_default_url": default_crypto_url,
        "rest_methods": sorted(m for m in vars(REST) if not m.startswith("_")),
        "calls": calls,
        "streams": streams,
    }
    print(json.dumps(report, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
