"""`analyse`: holdings, cash and daily closes in; risk, diversification and exposures out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import numpy as np

from portfolio_rt.analytics.classification import Classification, Classifier
from portfolio_rt.analytics.covariance import RiskModel, estimate
from portfolio_rt.analytics.diversification import DiversificationInputs, diversification_score
from portfolio_rt.analytics.exposures import breakdown
from portfolio_rt.analytics.history import PriceHistory, history_key
from portfolio_rt.analytics.models import Exposures, Holding, PortfolioAnalytics
from portfolio_rt.analytics.risk import RiskInputs, risk_score


def analyse(
    holdings: Sequence[Holding],
    cash: Decimal,
    closes: PriceHistory | Mapping[str, Sequence[float]] | None = None,
    classifier: Classifier | None = None,
) -> PortfolioAnalytics:
    """Scores and exposures of one account. Pure: no I/O, same inputs give the same result.

    `closes` is a `PriceHistory` (preferred: built once a day with `PriceHistory.from_dated`)
    or a mapping of symbol to daily closes on one calendar, oldest first, all ending on the
    same day. Holdings with no or too little history use their class's fallback volatility.
    """
    classifier = classifier or Classifier.default()
    history = (
        closes if isinstance(closes, PriceHistory) else PriceHistory.from_aligned(closes or {})
    )
    held = _merge(holdings)
    classes = [classifier.classify(h.symbol, h.asset_class) for h in held]
    model = estimate([h.symbol for h in held], classes, history)
    return _score(held, classes, cash, model, classifier)


def analyse_with_model(
    holdings: Sequence[Holding],
    cash: Decimal,
    model: RiskModel,
    classifier: Classifier | None = None,
) -> PortfolioAnalytics:
    """`analyse` with the risk model given (one row per holding, in order) instead of estimated:
    for the calibration table, what-ifs and tests with exact volatilities and correlations."""
    classifier = classifier or Classifier.default()
    if len({history_key(h.symbol) for h in holdings}) != len(holdings):
        raise ValueError("holdings must have distinct symbols")
    if model.vols.shape != (len(holdings),):
        raise ValueError("the model must have one volatility per holding")
    held = [h for h in holdings if h.market_value != 0]
    keep = [i for i, h in enumerate(holdings) if h.market_value != 0]
    if len(keep) != len(holdings):
        model = model.subset(keep)
    classes = [classifier.classify(h.symbol, h.asset_class) for h in held]
    return _score(held, classes, cash, model, classifier)


def _score(
    held: Sequence[Holding],
    classes: Sequence[Classification],
    cash: Decimal,
    model: RiskModel,
    classifier: Classifier,
) -> PortfolioAnalytics:
    symbols = [h.symbol for h in held]
    values = [h.market_value for h in held]
    by_class, class_amounts = breakdown(classes, values, cash, by_sector=False)
    by_sector, sector_amounts = breakdown(classes, values, cash, by_sector=True)
    exposures = Exposures(by_class, by_sector)

    net = sum(values, Decimal(0)) + cash
    gross = sum((abs(v) for v in values), Decimal(0))
    base = net if net > 0 else gross + max(cash, Decimal(0))
    mv = np.array([float(v) for v in values], dtype=np.float64)
    weights = mv / float(base) if base > 0 else np.zeros(len(values))
    cash_weight = float(cash / base) if base > 0 and cash > 0 else 0.0
    fallbacks = [(s, float(model.vols[i])) for i, s in enumerate(symbols) if not model.estimated[i]]
    risk = risk_score(
        RiskInputs(symbols, weights, [c.issuer for c in classes], fallbacks, cash_weight, base),
        model,
    )
    invested = np.abs(mv) / float(gross) if gross > 0 else np.zeros(len(values))
    diversification = diversification_score(
        DiversificationInputs(
            symbols, classes, invested, class_amounts, sector_amounts, cash_only=cash > 0
        ),
        model,
        classifier,
    )
    return PortfolioAnalytics(risk, diversification, exposures)


def _merge(holdings: Sequence[Holding]) -> list[Holding]:
    """One holding per symbol (rows of the same symbol are added), zero values dropped."""
    merged: dict[str, Holding] = {}
    for h in holdings:
        key = history_key(h.symbol)
        if key in merged:
            prev = merged[key]
            merged[key] = Holding(prev.symbol, prev.asset_class, prev.market_value + h.market_value)
        else:
            merged[key] = h
    return [h for h in merged.values() if h.market_value != 0]
