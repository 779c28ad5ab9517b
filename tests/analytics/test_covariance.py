"""The risk model: shrinkage, volatility estimates, short histories and calendars."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from portfolio_rt.analytics import Classifier, PriceHistory
from portfolio_rt.analytics.covariance import estimate, ledoit_wolf_constant_correlation
from tests.analytics.synthetic import closes_with, one_factor_corr


def _direct_ledoit_wolf(x: np.ndarray) -> tuple[np.ndarray, float]:
    """The 2004 paper's formulas written out pair by pair, as a reference."""
    t, n = x.shape
    s = x.T @ x / t
    d = np.sqrt(np.diag(s))
    rbar = (np.sum(s / np.outer(d, d)) - n) / (n * (n - 1))
    f = rbar * np.outer(d, d)
    np.fill_diagonal(f, np.diag(s))
    y = x * x
    pi = y.T @ y / t - s * s
    theta = (y * x).T @ x / t - np.diag(s)[:, None] * s
    off = (d[None, :] / d[:, None]) * theta
    np.fill_diagonal(off, 0.0)
    rho = np.trace(pi) + rbar * off.sum()
    gamma = np.sum((f - s) ** 2)
    delta = min(max((pi.sum() - rho) / gamma / t, 0.0), 1.0)
    return delta * f + (1 - delta) * s, delta


@pytest.mark.parametrize(("days", "assets"), [(30, 5), (100, 40), (252, 10), (60, 120)])
def test_shrinkage_matches_the_papers_formulas(days: int, assets: int) -> None:
    rng = np.random.default_rng(days + assets)
    x = 0.5 * rng.standard_normal((days, 1)) + rng.standard_normal((days, assets)) * rng.uniform(
        0.5, 2.0, assets
    )
    x -= x.mean(axis=0)
    shrunk, delta = ledoit_wolf_constant_correlation(x)
    expected, expected_delta = _direct_ledoit_wolf(x)
    assert delta == pytest.approx(expected_delta, abs=1e-12)
    np.testing.assert_allclose(shrunk, expected, atol=1e-12)


def test_shrinkage_is_stronger_when_history_is_short() -> None:
    rng = np.random.default_rng(3)
    loadings = rng.uniform(0.3, 0.8, 30)
    corr = one_factor_corr(list(loadings))
    chol = np.linalg.cholesky(corr)

    def intensity(days: int) -> float:
        x = rng.standard_normal((days, 30)) @ chol.T
        return ledoit_wolf_constant_correlation(x - x.mean(axis=0))[1]

    assert intensity(40) > intensity(1000)


def test_volatilities_and_correlations_are_recovered_from_a_year_of_closes() -> None:
    vols = {"AAPL": 0.28, "BND": 0.05, "VOO": 0.16}
    corr = one_factor_corr([0.7, 0.1, 0.97])
    history = PriceHistory.from_aligned(closes_with(vols, corr, seed=2))
    classifier = Classifier.default()
    symbols = list(vols)
    model = estimate(symbols, [classifier.classify(s) for s in symbols], history)
    np.testing.assert_allclose(model.vols, list(vols.values()), rtol=1e-9)
    assert model.estimated.all()
    # Three assets and a year of data: the estimate stays close to the sample.
    np.testing.assert_allclose(model.corr, corr, atol=0.05)


def test_a_symbol_with_under_60_days_uses_its_class_fallback() -> None:
    closes = closes_with({"AAPL": 0.28, "ZZZQ": 0.9}, seed=4)
    closes["ZZZQ"] = closes["ZZZQ"][-40:]
    history = PriceHistory.from_aligned(closes)
    classifier = Classifier.default()
    model = estimate(
        ["AAPL", "ZZZQ"], [classifier.classify("AAPL"), classifier.classify("ZZZQ")], history
    )
    assert model.estimated.tolist() == [True, False]
    assert model.vols[1] == classifier.classify("ZZZQ").proxy_vol
    assert model.corr[0, 1] == pytest.approx(0.5)


def test_a_symbol_without_any_history_uses_its_class_fallback() -> None:
    classifier = Classifier.default()
    model = estimate(
        ["BND", "BTC/USD"],
        [classifier.classify("BND"), classifier.classify("BTC/USD", "crypto")],
        PriceHistory.empty(),
    )
    assert model.vols.tolist() == [0.055, 0.55]
    assert model.corr[0, 1] == 0.0


def test_crypto_is_sampled_on_the_stock_calendar() -> None:
    start = date(2026, 1, 5)  # a Monday
    days = [start + timedelta(days=k) for k in range(28)]
    weekdays = [d for d in days if d.weekday() < 5]
    stock = [(d, 100.0 + k) for k, d in enumerate(weekdays)]
    coin = [(d, 1000.0 + k) for k, d in enumerate(days)]
    history = PriceHistory.from_dated({"AAPL": stock, "BTC/USD": coin})
    assert history.dates == tuple(weekdays)
    btc = history.closes[:, history.column("BTCUSD")]
    # Monday's close follows Sunday's move: the weekend is inside Monday's return.
    monday = weekdays.index(start + timedelta(days=7))
    assert btc[monday] - btc[monday - 1] == 3.0


def test_crypto_alone_is_annualised_over_every_day() -> None:
    start = date(2025, 11, 1)
    coin = [(start + timedelta(days=k), 100.0 + k) for k in range(366)]
    history = PriceHistory.from_dated({"BTC/USD": coin})
    assert history.periods_per_year == pytest.approx(365, abs=1)
    stocks = PriceHistory.from_dated(
        {
            "AAPL": [
                (d, 1.0) for d in (start + timedelta(days=k) for k in range(366)) if d.weekday() < 5
            ]
        }
    )
    assert stocks.periods_per_year == pytest.approx(262, abs=1)


def test_a_listing_during_the_year_starts_its_column_on_its_first_close() -> None:
    start = date(2026, 3, 2)
    days = [start + timedelta(days=k) for k in range(10)]
    history = PriceHistory.from_dated(
        {"AAPL": [(d, 1.0) for d in days], "NEW": [(d, 2.0) for d in days[5:]]}
    )
    column = history.closes[:, history.column("NEW")]
    assert np.isnan(column[:5]).all()
    assert (column[5:] == 2.0).all()
