"""What each symbol is: asset class, sector mix, issuer or look-through index, fallback volatility.

The table is the S&P 500 constituents file shipped in `portfolio_rt/data` (GICS sectors; source
and licence in that folder's README) plus the project's hand-made reference table
(`portfolio_rt/data/analytics_reference.toml`, loaded by `reference.py`). A symbol found in
neither goes to "Other" (asset class and sector), except that Alpaca's `crypto` class is trusted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from portfolio_rt.analytics import reference
from portfolio_rt.analytics.models import (
    BONDS,
    CRYPTO,
    FIXED_INCOME,
    INTL_STOCKS,
    OTHER,
    US_STOCKS,
)
from portfolio_rt.core.gics import GICS_SECTORS

Weights = tuple[tuple[str, float], ...]

_QUOTES = ("USD", "USDT", "USDC")


@dataclass(frozen=True)
class Classification:
    """How the engine sees one symbol.

    Exactly one of `issuer` (a single company, coin or commodity) and `index` (a diversified
    fund, looked through with `reference.INDEXES`) is set.
    """

    symbol: str
    name: str
    kind: str  # "stock", "fund", "crypto" or "unknown"
    asset_classes: Weights
    sectors: Weights
    issuer: str | None
    index: str | None
    proxy_vol: float

    @property
    def known(self) -> bool:
        return self.kind != "unknown"


def crypto_base(symbol: str) -> str | None:
    """`BTC/USD`, `BTCUSD`, `BTC-USD` -> `BTC`; None when the symbol is not a crypto pair."""
    s = symbol.strip().upper().replace("-", "/")
    if "/" in s:
        base, _, quote = s.partition("/")
        return base if quote in _QUOTES else None
    for quote in _QUOTES:
        if s.endswith(quote) and s[: -len(quote)] in reference.COINS:
            return s[: -len(quote)]
    return None


class Classifier:
    """Looks symbols up in the S&P 500 table and the project's own table."""

    def __init__(self, sp500_rows: list[Mapping[str, str]]) -> None:
        self._stocks: dict[str, tuple[str, str, str]] = {}
        for row in sp500_rows:
            symbol = _stock_key(row["Symbol"])
            cik = row.get("CIK", "").strip()
            self._stocks[symbol] = (
                row["Security"].strip(),
                row["GICS Sector"].strip(),
                f"cik:{cik}" if cik else f"sym:{symbol}",
            )
        self._cache: dict[tuple[str, str], Classification] = {}

    @classmethod
    def default(cls) -> Classifier:
        """The classifier built from the shipped tables (built once per process)."""
        return _default_classifier()

    def classify(self, symbol: str, alpaca_class: str = "us_equity") -> Classification:
        """The classification of `symbol`; unknown symbols come back with kind "unknown"."""
        key = (symbol, alpaca_class)
        found = self._cache.get(key)
        if found is None:
            found = self._classify(symbol, alpaca_class)
            self._cache[key] = found
        return found

    def issuer_of(self, symbol: str) -> str:
        """The issuer key of a stock or coin named in a fund's top holdings."""
        c = self.classify(symbol)
        return c.issuer or f"sym:{_stock_key(symbol)}"

    def _classify(self, symbol: str, alpaca_class: str) -> Classification:
        coin = crypto_base(symbol)
        if coin is not None or alpaca_class == "crypto":
            base = coin or symbol.strip().upper().split("/")[0]
            name, vol = reference.COINS.get(base, (base, reference.UNKNOWN_COIN_VOL))
            return Classification(
                symbol, name, "crypto", ((CRYPTO, 1.0),), ((CRYPTO, 1.0),), f"coin:{base}", None,
                vol,
            )  # fmt: skip
        key = _stock_key(symbol)
        stock = self._stocks.get(key)
        if stock is not None:
            name, sector, issuer = stock
            sectors: Weights = ((sector if sector in GICS_SECTORS else OTHER, 1.0),)
            return Classification(
                symbol, name, "stock", ((US_STOCKS, 1.0),), sectors, issuer, None,
                reference.LARGE_CAP_VOL,
            )  # fmt: skip
        fund = reference.FUNDS.get(key)
        if fund is not None:
            profile = reference.SECTOR_PROFILES.get(fund.sectors)
            if fund.sectors == "allocation":
                stocks = sum(w for c, w in fund.classes if c != BONDS)
                world = reference.SECTOR_PROFILES["world"]
                sectors = (
                    *((s, w * stocks) for s, w in world),
                    (FIXED_INCOME, 1.0 - stocks),
                )
            elif profile is not None:
                sectors = profile
            else:
                sectors = ((fund.sectors, 1.0),)
            return Classification(
                symbol, fund.name, "fund", fund.classes, sectors, fund.issuer, fund.index,
                fund.proxy_vol,
            )  # fmt: skip
        other = reference.OTHER_STOCKS.get(key)
        if other is not None:
            name, sector, intl, speculative = other
            vol = reference.SPECULATIVE_VOL if speculative else reference.OTHER_STOCK_VOL
            return Classification(
                symbol, name, "stock", ((INTL_STOCKS if intl else US_STOCKS, 1.0),),
                ((sector, 1.0),), f"sym:{key}", None, vol,
            )  # fmt: skip
        return Classification(
            symbol, symbol, "unknown", ((OTHER, 1.0),), ((OTHER, 1.0),), f"sym:{key}", None,
            reference.UNKNOWN_VOL,
        )  # fmt: skip


def _stock_key(symbol: str) -> str:
    """`brk-b`, `BRK/B`, `BRK.B` -> `BRK.B`."""
    return symbol.strip().upper().replace("-", ".").replace("/", ".")


def load_sp500_rows() -> list[dict[str, str]]:
    """Rows of the shipped S&P 500 constituents table."""
    text = (
        resources.files("portfolio_rt")
        .joinpath("data", "sp500_constituents.csv")
        .read_text(encoding="utf-8")
    )
    return list(csv.DictReader(io.StringIO(text)))


@lru_cache(maxsize=1)
def _default_classifier() -> Classifier:
    return Classifier(list(load_sp500_rows()))
