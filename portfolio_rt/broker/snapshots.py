"""Latest prices from the market-data REST snapshots, for symbols the stream cannot carry."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ..core.symbols import is_crypto
from .http import AlpacaHttp

_CHUNK = 100
"""Symbols per snapshots call."""


def snapshot_prices(data: Any) -> dict[str, float]:
    """symbol → latest trade price (else the quote midpoint) from a snapshots answer."""
    if isinstance(data, Mapping) and isinstance(data.get("snapshots"), Mapping):
        data = data["snapshots"]
    out: dict[str, float] = {}
    if not isinstance(data, Mapping):
        return out
    for symbol, snap in data.items():
        if not isinstance(snap, Mapping):
            continue
        trade = snap.get("latestTrade") or {}
        quote = snap.get("latestQuote") or {}
        price = trade.get("p") if isinstance(trade, Mapping) else None
        if not price and isinstance(quote, Mapping) and quote.get("bp") and quote.get("ap"):
            price = (float(quote["bp"]) + float(quote["ap"])) / 2
        if price:
            out[str(symbol)] = float(price)
    return out


async def latest_prices(
    http: AlpacaHttp, symbols: Iterable[str], data_feed: str
) -> dict[str, float]:
    """Stocks from `/v2/stocks/snapshots` on `data_feed`, crypto from the US crypto feed."""
    wanted = list(symbols)
    stocks = sorted(s for s in wanted if not is_crypto(s))
    crypto = sorted(s for s in wanted if is_crypto(s))
    prices: dict[str, float] = {}
    for chunk in _chunks(stocks):
        params = {"symbols": ",".join(chunk), "feed": data_feed}
        prices.update(snapshot_prices(await http.get("data", "/v2/stocks/snapshots", params)))
    for chunk in _chunks(crypto):
        params = {"symbols": ",".join(chunk)}
        data = await http.get("data", "/v1beta3/crypto/us/snapshots", params)
        prices.update(snapshot_prices(data))
    return prices


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]
