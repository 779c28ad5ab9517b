"""The reference portfolios the scores are calibrated on, and the tables docs/analytics.md shows.

Each reference asset has a volatility from the published long-run figures (see the docs) and
loadings on three factors (stocks, bonds, crypto); correlations are the loadings' products,
which keeps every correlation matrix valid. The tables are rendered from the code, and a test
checks that the docs contain exactly what `calibration_markdown()` renders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from portfolio_rt.analytics.analysis import analyse_with_model
from portfolio_rt.analytics.classification import Classifier
from portfolio_rt.analytics.covariance import RiskModel
from portfolio_rt.analytics.models import Holding, PortfolioAnalytics
from portfolio_rt.analytics.risk import CALIBRATION, EVENT_VOL, RiskInputs, concentration_excess

ACCOUNT = Decimal(10_000)


@dataclass(frozen=True)
class ReferenceAsset:
    """An asset's annualised volatility and its loadings on (stocks, bonds, crypto)."""

    alpaca_class: str
    vol: float
    loadings: tuple[float, float, float]


def _eq(vol: float, beta: float) -> ReferenceAsset:
    return ReferenceAsset("us_equity", vol, (beta, 0.0, 0.0))


def _coin(vol: float) -> ReferenceAsset:
    return ReferenceAsset("crypto", vol, (0.3, 0.0, 0.9))


ASSETS: dict[str, ReferenceAsset] = {
    "SGOV": ReferenceAsset("us_equity", 0.003, (0.0, 0.3, 0.0)),
    "BND": ReferenceAsset("us_equity", 0.05, (0.1, 0.9, 0.0)),
    "BNDX": ReferenceAsset("us_equity", 0.045, (0.1, 0.8, 0.0)),
    "VOO": _eq(0.16, 0.97),
    "VTI": _eq(0.165, 0.97),
    "VXUS": _eq(0.16, 0.85),
    "VT": _eq(0.155, 0.95),
    "AAPL": _eq(0.28, 0.7),
    "MSFT": _eq(0.26, 0.7),
    "NVDA": _eq(0.50, 0.6),
    "JPM": _eq(0.25, 0.6),
    "XOM": _eq(0.27, 0.4),
    "JNJ": _eq(0.17, 0.45),
    "PG": _eq(0.17, 0.45),
    "TSLA": _eq(0.60, 0.45),
    "BTC/USD": _coin(0.50),
    "ETH/USD": _coin(0.70),
    "SOL/USD": _coin(0.90),
    "XRP/USD": _coin(0.90),
    "DOGE/USD": _coin(0.95),
    "ADA/USD": _coin(0.90),
    "AVAX/USD": _coin(0.95),
    "LINK/USD": _coin(0.90),
    "LTC/USD": _coin(0.80),
    "DOT/USD": _coin(0.90),
}

Target = tuple[float, float] | None


@dataclass(frozen=True)
class ReferencePortfolio:
    """A named mix (weights of a $10,000 account; the rest is cash) and the issue's targets."""

    name: str
    weights: tuple[tuple[str, float], ...]
    risk_target: Target = None
    diversification_target: Target = None


_COINS = ("BTC/USD", "ETH/USD", "SOL/USD", "XRP/USD", "DOGE/USD", "ADA/USD", "AVAX/USD",
          "LINK/USD", "LTC/USD", "DOT/USD")  # fmt: skip

REFERENCE_PORTFOLIOS: tuple[ReferencePortfolio, ...] = (
    ReferencePortfolio("Cash only", (), (1.0, 1.0)),
    ReferencePortfolio("T-bill fund (SGOV)", (("SGOV", 1.0),), (1.0, 1.5)),
    ReferencePortfolio("Aggregate bonds (BND)", (("BND", 1.0),), (2.0, 3.0)),
    ReferencePortfolio("40/60 stocks/bonds (VTI, BND)", (("VTI", 0.4), ("BND", 0.6))),
    ReferencePortfolio("60/40 stocks/bonds (VTI, BND)", (("VTI", 0.6), ("BND", 0.4)), (4.0, 5.0)),
    ReferencePortfolio("S&P 500 fund (VOO)", (("VOO", 1.0),), (5.5, 6.5), (6.0, 7.0)),
    ReferencePortfolio("Total US market (VTI)", (("VTI", 1.0),)),
    ReferencePortfolio("One large cap (AAPL)", (("AAPL", 1.0),), (7.0, 8.0), (1.0, 1.4)),
    ReferencePortfolio("One large cap (MSFT)", (("MSFT", 1.0),), (7.0, 8.0), (1.0, 1.4)),
    ReferencePortfolio("Speculative stock (TSLA)", (("TSLA", 1.0),), (9.0, 10.0), (1.0, 1.4)),
    ReferencePortfolio("Bitcoin", (("BTC/USD", 1.0),), (9.0, 10.0), (1.0, 1.4)),
    ReferencePortfolio("Three tech stocks (AAPL, MSFT, NVDA)",
                       (("AAPL", 1 / 3), ("MSFT", 1 / 3), ("NVDA", 1 / 3)), None, (2.0, 3.0)),
    ReferencePortfolio("Five stocks, five sectors",
                       (("AAPL", 0.2), ("JPM", 0.2), ("XOM", 0.2), ("JNJ", 0.2), ("PG", 0.2))),
    ReferencePortfolio("40% AAPL + 60% VOO", (("AAPL", 0.4), ("VOO", 0.6))),
    ReferencePortfolio("30% bitcoin + 70% VOO", (("BTC/USD", 0.3), ("VOO", 0.7))),
    ReferencePortfolio("Ten crypto coins", tuple((c, 0.1) for c in _COINS), (9.0, 10.0),
                       (1.0, 3.0)),
    ReferencePortfolio("Global stocks and bonds (VT 60, BND 40)", (("VT", 0.6), ("BND", 0.4)),
                       (4.0, 5.0), (9.0, 10.0)),
    ReferencePortfolio("Global four-fund (VTI, VXUS, BND, BNDX)",
                       (("VTI", 0.36), ("VXUS", 0.24), ("BND", 0.28), ("BNDX", 0.12)), None,
                       (9.0, 10.0)),
    ReferencePortfolio("S&P 500 fund with 50% cash", (("VOO", 0.5),)),
)  # fmt: skip


def reference_model(symbols: list[str]) -> RiskModel:
    """The exact risk model of reference assets `symbols`."""
    vols = [ASSETS[s].vol for s in symbols]
    loadings = np.array([ASSETS[s].loadings for s in symbols], dtype=np.float64).reshape(-1, 3)
    corr = loadings @ loadings.T
    np.fill_diagonal(corr, 1.0)
    return RiskModel.exact(vols, corr)


def reference_holdings(portfolio: ReferencePortfolio) -> tuple[list[Holding], Decimal]:
    """The portfolio's holdings and cash in a $10,000 account."""
    holdings = [
        Holding(s, ASSETS[s].alpaca_class, (ACCOUNT * Decimal(str(w))).quantize(Decimal("0.01")))
        for s, w in portfolio.weights
    ]
    cash = ACCOUNT - sum((h.market_value for h in holdings), Decimal(0))
    return holdings, cash


def analyse_reference(portfolio: ReferencePortfolio) -> PortfolioAnalytics:
    """The engine's result for a reference portfolio, with its exact risk model."""
    holdings, cash = reference_holdings(portfolio)
    model = reference_model([h.symbol for h in holdings])
    return analyse_with_model(holdings, cash, model)


def _issuer(holding: Holding) -> str | None:
    return Classifier.default().classify(holding.symbol, holding.asset_class).issuer


def calibration_markdown() -> str:
    """The two tables docs/analytics.md shows: the volatility scale and the reference results."""
    lines = [
        "| Annualised volatility | Risk score |",
        "|---|---|",
        *(f"| {vol * 100:.1f}% | {score:.1f} |" for vol, score in CALIBRATION),
        "",
        "| Reference portfolio | Volatility | With add-on | Risk | Risk label "
        "| Diversification | Diversification label |",
        "|---|---|---|---|---|---|---|",
    ]
    for portfolio in REFERENCE_PORTFOLIOS:
        result = analyse_reference(portfolio)
        holdings, _ = reference_holdings(portfolio)
        model = reference_model([h.symbol for h in holdings])
        w = np.array([float(h.market_value / ACCOUNT) for h in holdings])
        var = float(w @ model.covariance @ w) if holdings else 0.0
        excess = concentration_excess(
            RiskInputs([h.symbol for h in holdings], w, [_issuer(h) for h in holdings], [], 0.0,
                       ACCOUNT)
        )[0]  # fmt: skip
        adjusted = math.sqrt(var + EVENT_VOL**2 * excess)
        lines.append(
            f"| {portfolio.name} | {math.sqrt(var) * 100:.1f}% | {adjusted * 100:.1f}% "
            f"| {result.risk.score:.1f} "
            f"| {result.risk.label} | {result.diversification.score:.1f} "
            f"| {result.diversification.label} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(calibration_markdown(), end="")
