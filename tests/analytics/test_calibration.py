"""The scores land where the issue's reference portfolios say, and the docs show the same table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from portfolio_rt.analytics import PriceHistory, analyse
from portfolio_rt.analytics.calibration import (
    ASSETS,
    REFERENCE_PORTFOLIOS,
    ReferencePortfolio,
    analyse_reference,
    calibration_markdown,
    reference_holdings,
    reference_model,
)
from portfolio_rt.analytics.risk import volatility_to_score
from tests.analytics.synthetic import closes_with

DOCS = Path(__file__).resolve().parents[2] / "docs" / "analytics.md"
TARGETED = [p for p in REFERENCE_PORTFOLIOS if p.risk_target or p.diversification_target]


def _within(score: float, target: tuple[float, float]) -> bool:
    return target[0] <= score <= target[1]


@pytest.mark.parametrize("portfolio", TARGETED, ids=lambda p: p.name)
def test_reference_portfolio_scores_meet_the_issue_targets(portfolio: ReferencePortfolio) -> None:
    result = analyse_reference(portfolio)
    if portfolio.risk_target:
        assert _within(result.risk.score, portfolio.risk_target), result.risk
    if portfolio.diversification_target:
        assert _within(result.diversification.score, portfolio.diversification_target), (
            result.diversification
        )


@pytest.mark.parametrize("portfolio", TARGETED, ids=lambda p: p.name)
def test_reference_portfolios_estimated_from_a_year_of_closes_meet_the_targets(
    portfolio: ReferencePortfolio,
) -> None:
    """The whole pipeline: synthetic closes with the reference statistics, estimated back."""
    holdings, cash = reference_holdings(portfolio)
    symbols = [h.symbol for h in holdings]
    model = reference_model(symbols)
    all_crypto = bool(symbols) and all(ASSETS[s].alpaca_class == "crypto" for s in symbols)
    ppy = 365.0 if all_crypto else 252.0
    closes = closes_with(
        {s: ASSETS[s].vol for s in symbols},
        model.corr,
        seed=11,
        days=int(ppy),
        periods_per_year=ppy,
    )
    result = analyse(holdings, cash, PriceHistory.from_aligned(closes))
    if portfolio.risk_target:
        assert _within(result.risk.score, portfolio.risk_target), result.risk
    if portfolio.diversification_target:
        assert _within(result.diversification.score, portfolio.diversification_target), (
            result.diversification
        )


def test_volatility_scale_passes_through_every_calibration_point() -> None:
    assert volatility_to_score(0.0) == 1.0
    assert volatility_to_score(0.16) == pytest.approx(6.0)
    assert volatility_to_score(0.28) == pytest.approx(7.5)
    assert volatility_to_score(3.0) == 10.0


def test_volatility_scale_is_increasing() -> None:
    vols = [0.001 * 1.05**k for k in range(120)]
    scores = [volatility_to_score(v) for v in vols]
    assert scores == sorted(scores)


def test_adding_cash_to_an_sp500_fund_lowers_its_risk_but_not_its_diversification() -> None:
    full = next(p for p in REFERENCE_PORTFOLIOS if p.name == "S&P 500 fund (VOO)")
    half = next(p for p in REFERENCE_PORTFOLIOS if p.name == "S&P 500 fund with 50% cash")
    assert analyse_reference(half).risk.score < analyse_reference(full).risk.score
    assert (
        analyse_reference(half).diversification.score
        == analyse_reference(full).diversification.score
    )


def test_docs_show_the_calibration_tables_the_code_computes() -> None:
    text = DOCS.read_text(encoding="utf-8")
    found = re.search(
        r"<!-- calibration-tables:start -->\n(.*?)<!-- calibration-tables:end -->", text, re.S
    )
    assert found, "docs/analytics.md lost its calibration-table markers"
    assert found.group(1).strip() == calibration_markdown().strip(), (
        "docs/analytics.md is out of date: paste in calibration_markdown() "
        "(python -m portfolio_rt.analytics.calibration)"
    )
