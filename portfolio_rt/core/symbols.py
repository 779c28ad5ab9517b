"""What a symbol says about itself, as Alpaca writes symbols."""

from __future__ import annotations


def is_crypto(symbol: str) -> bool:
    """Alpaca's crypto symbols are pairs (`BTC/USD`); equities never contain a slash."""
    return "/" in symbol
