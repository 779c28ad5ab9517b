"""Risk and diversification scores and exposures: pure functions, no I/O.

`analyse(holdings, cash, closes)` is the entry point; `AnalyticsCache` decides when a cached
result is still good. The method is described in docs/analytics.md.
"""

from __future__ import annotations

from portfolio_rt.analytics.analysis import analyse, analyse_with_model
from portfolio_rt.analytics.classification import Classification, Classifier
from portfolio_rt.analytics.covariance import RiskModel
from portfolio_rt.analytics.history import PriceHistory
from portfolio_rt.analytics.models import (
    METHODOLOGY_VERSION,
    Exposure,
    Exposures,
    Factor,
    Holding,
    PortfolioAnalytics,
    Score,
)
from portfolio_rt.analytics.result_cache import AnalyticsCache, holdings_fingerprint

__all__ = [
    "METHODOLOGY_VERSION",
    "AnalyticsCache",
    "Classification",
    "Classifier",
    "Exposure",
    "Exposures",
    "Factor",
    "Holding",
    "PortfolioAnalytics",
    "PriceHistory",
    "RiskModel",
    "Score",
    "analyse",
    "analyse_with_model",
    "holdings_fingerprint",
]
