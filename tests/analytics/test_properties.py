"""Properties the scores keep for any portfolio (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from portfolio_rt.analytics import Holding, PriceHistory, RiskModel, analyse, analyse_with_model
from tests.analytics.synthetic import closes_with, one_factor_corr

# A pool mixing every kind the classifier knows, plus symbols it does not.
POOL: dict[str, tuple[str, float, float]] = {
    # symbol: (Alpaca class, volatility, market loading)
    "AAPL": ("us_equity", 0.28, 0.7),
    "MSFT": ("us_equity", 0.26, 0.7),
    "NVDA": ("us_equity", 0.50, 0.6),
    "JPM": ("us_equity", 0.25, 0.6),
    "XOM": ("us_equity", 0.27, 0.4),
    "TSLA": ("us_equity", 0.60, 0.45),
    "GME": ("us_equity", 0.90, 0.3),
    "TSM": ("us_equity", 0.35, 0.6),
    "VOO": ("us_equity", 0.16, 0.97),
    "SPY": ("us_equity", 0.16, 0.97),
    "QQQ": ("us_equity", 0.22, 0.9),
    "VXUS": ("us_equity", 0.16, 0.85),
    "XLE": ("us_equity", 0.27, 0.6),
    "BND": ("us_equity", 0.05, 0.1),
    "GLD": ("us_equity", 0.15, 0.1),
    "AOR": ("us_equity", 0.10, 0.8),
    "BTC/USD": ("crypto", 0.50, 0.3),
    "ETH/USD": ("crypto", 0.70, 0.3),
    "ZZZQ": ("us_equity", 0.40, 0.5),
    "NEWCOIN/USD": ("crypto", 1.00, 0.2),
}
SYMBOLS = list(POOL)
CLOSES = closes_with(
    {s: POOL[s][1] for s in SYMBOLS}, one_factor_corr([POOL[s][2] for s in SYMBOLS]), seed=5
)
# Two symbols with a short history: the class fallback must behave too.
CLOSES["ZZZQ"] = CLOSES["ZZZQ"][-30:]
HISTORY = PriceHistory.from_aligned(CLOSES)

money = st.decimals(min_value=Decimal("1.00"), max_value=Decimal("100000"), places=2)
cash_amounts = st.decimals(min_value=Decimal(0), max_value=Decimal("50000"), places=2)


@st.composite
def portfolios(draw: st.DrawFn) -> list[Holding]:
    symbols = draw(st.lists(st.sampled_from(SYMBOLS), min_size=0, max_size=8, unique=True))
    return [Holding(s, POOL[s][0], draw(money)) for s in symbols]


@settings(max_examples=150, deadline=None)
@given(portfolios(), cash_amounts)
def test_scores_are_within_1_and_10_and_deterministic(
    holdings: list[Holding], cash: Decimal
) -> None:
    first = analyse(holdings, cash, HISTORY)
    second = analyse(list(holdings), cash, HISTORY)
    assert first == second
    for score in (first.risk, first.diversification):
        assert 1.0 <= score.score <= 10.0
        assert score.score == round(score.score, 1)
        assert score.label
        assert score.summary.endswith(".")


@settings(max_examples=150, deadline=None)
@given(portfolios(), cash_amounts, money)
def test_adding_cash_never_raises_risk(
    holdings: list[Holding], cash: Decimal, added: Decimal
) -> None:
    before = analyse(holdings, cash, HISTORY).risk.score
    after = analyse(holdings, cash + added, HISTORY).risk.score
    assert after <= before


@settings(max_examples=150, deadline=None)
@given(portfolios(), cash_amounts)
def test_exposures_sum_to_the_account_and_to_100_percent(
    holdings: list[Holding], cash: Decimal
) -> None:
    exposures = analyse(holdings, cash, HISTORY).exposures
    total = sum((h.market_value for h in holdings), Decimal(0)) + cash
    for breakdown in (exposures.asset_class, exposures.sector):
        if total == 0:
            assert breakdown == []
            continue
        assert sum(e.market_value for e in breakdown) == total
        assert abs(sum(e.pct for e in breakdown) - 100.0) < 1e-9
        assert all(e.pct >= 0 and e.market_value >= 0 for e in breakdown)
        assert len({e.name for e in breakdown}) == len(breakdown)


# Single companies of one sector (Information Technology), for the exact-model properties.
TECH = ["AAPL", "MSFT", "NVDA", "AVGO", "ORCL", "CSCO", "ADBE", "CRM", "AMD", "INTC", "QCOM",
        "TXN", "IBM", "ACN", "INTU", "AMAT"]  # fmt: skip


def _tech_holdings(weights: list[float]) -> list[Holding]:
    return [
        Holding(TECH[i], "us_equity", Decimal(str(round(w * 10_000, 2))))
        for i, w in enumerate(weights)
    ]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(min_value=0.01, max_value=1.0), min_size=2, max_size=10),
    st.floats(min_value=0.05, max_value=0.9),
    st.floats(min_value=0.0, max_value=0.95),
    st.floats(min_value=0.01, max_value=1.0),
    st.data(),
)
def test_moving_weight_into_the_largest_holding_never_raises_diversification(
    raw: list[float], vol: float, rho: float, fraction: float, data: st.DataObject
) -> None:
    """Holdings that differ only by weight: single companies of one sector and asset class with
    one volatility and one pairwise correlation. (Across sectors the property cannot hold for
    any sector-aware score: moving money out of a crowded sector into a lone holding elsewhere
    does spread it over sectors. docs/analytics.md discusses this.)"""
    total = sum(raw)
    weights = [r / total for r in raw]
    largest = int(np.argmax(weights))
    donor = data.draw(st.sampled_from([i for i in range(len(weights)) if i != largest]))
    moved = weights[donor] * fraction
    after = list(weights)
    after[donor] -= moved
    after[largest] += moved
    corr = np.full((len(weights), len(weights)), rho)
    np.fill_diagonal(corr, 1.0)
    model = RiskModel.exact([vol] * len(weights), corr)
    before_score = analyse_with_model(_tech_holdings(weights), Decimal(0), model)
    after_holdings = _tech_holdings(after)
    keep = [i for i, h in enumerate(after_holdings) if h.market_value != 0]
    after_score = analyse_with_model(
        [after_holdings[i] for i in keep], Decimal(0), model.subset(keep)
    )
    assert after_score.diversification.score <= before_score.diversification.score


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(min_value=0.01, max_value=1.0), min_size=1, max_size=8),
    st.lists(st.floats(min_value=0.05, max_value=0.9), min_size=8, max_size=8),
    st.lists(st.floats(min_value=0.0, max_value=0.9), min_size=8, max_size=8),
    st.floats(min_value=0.05, max_value=0.95),
    st.data(),
)
def test_splitting_a_holding_into_uncorrelated_ones_never_lowers_diversification(
    raw: list[float],
    vols: list[float],
    loadings: list[float],
    share: float,
    data: st.DataObject,
) -> None:
    """A company is split into two of the same sector, uncorrelated with each other and each
    keeping the original's volatility and correlations with the other holdings."""
    n = len(raw)
    total = sum(raw)
    weights = [r / total for r in raw]
    corr = one_factor_corr(loadings[:n])
    split = data.draw(st.integers(min_value=0, max_value=n - 1))
    before = analyse_with_model(
        _tech_holdings(weights), Decimal(0), RiskModel.exact(vols[:n], corr)
    )

    new_weights = [*weights, weights[split] * (1 - share)]
    new_weights[split] = weights[split] * share
    new_corr = np.eye(n + 1)
    new_corr[:n, :n] = corr
    new_corr[n, :n] = new_corr[:n, n] = corr[split]
    new_corr[n, split] = new_corr[split, n] = 0.0
    assume(np.linalg.eigvalsh(new_corr).min() >= -1e-12)
    new_vols = [*vols[:n], vols[split]]
    after = analyse_with_model(
        _tech_holdings(new_weights), Decimal(0), RiskModel.exact(new_vols, new_corr)
    )
    assert after.diversification.score >= before.diversification.score
