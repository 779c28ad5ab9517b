"""The engine's inputs and results: holdings in, scores and exposures out."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from portfolio_rt.core.gics import GICS_SECTORS

METHODOLOGY_VERSION = "2026.11-1"

# Asset classes shown on the page, in display order.
US_STOCKS = "US stocks"
INTL_STOCKS = "International stocks"
BONDS = "Bonds"
CRYPTO = "Crypto"
COMMODITIES = "Commodities"
CASH = "Cash"
OTHER = "Other"
ASSET_CLASSES = (US_STOCKS, INTL_STOCKS, BONDS, CRYPTO, COMMODITIES, CASH, OTHER)

# The eleven GICS sectors, then the buckets for what has no GICS sector.
FIXED_INCOME = "Fixed income"
NON_GICS_SECTORS = (FIXED_INCOME, CRYPTO, COMMODITIES, CASH, OTHER)
SECTORS = GICS_SECTORS + NON_GICS_SECTORS


@dataclass(frozen=True)
class Holding:
    """One position: its symbol, Alpaca asset class (`us_equity`, `crypto`…) and market value."""

    symbol: str
    asset_class: str
    market_value: Decimal


@dataclass(frozen=True)
class Factor:
    """One reason behind a score, in words a newcomer understands."""

    name: str
    value: str
    explanation: str


@dataclass(frozen=True)
class Score:
    """A 1-10 score (one decimal) with its label, one-sentence summary and reasons."""

    score: float
    label: str
    summary: str
    factors: list[Factor] = field(default_factory=list)


@dataclass(frozen=True)
class Exposure:
    """One slice of a breakdown: its name, money and share of the account (0-100)."""

    name: str
    market_value: Decimal
    pct: float


@dataclass(frozen=True)
class Exposures:
    """Breakdowns by asset class and by sector; each sums to the account's value and to 100%."""

    asset_class: list[Exposure]
    sector: list[Exposure]


@dataclass(frozen=True)
class PortfolioAnalytics:
    """Everything the analytics card shows for one account."""

    risk: Score
    diversification: Score
    exposures: Exposures
    methodology_version: str = METHODOLOGY_VERSION
