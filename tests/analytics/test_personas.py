"""The sandbox's demo personas score where the issue says: positions and a year of daily bars
from the sandbox world, through the engine."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portfolio_rt.analytics import Holding, PortfolioAnalytics, PriceHistory, analyse
from portfolio_rt.sandbox.world import Sandbox


@pytest.fixture(scope="module")
def results(shared_sandbox: Sandbox) -> dict[str, PortfolioAnalytics]:
    sandbox = shared_sandbox
    today = sandbox.now().date()
    out: dict[str, PortfolioAnalytics] = {}
    for name in ("jordan", "maya", "sam", "pat"):
        account_id = sandbox.personas[name]
        positions = sandbox.ledger.positions(account_id)
        cash = sandbox.ledger.balances(account_id).cash
        bars = {
            p.symbol: [
                (bar.t.date(), float(bar.c))
                for bar in sandbox.market.daily_bars(p.symbol, today - timedelta(days=365), today)
            ]
            for p in positions
        }
        holdings = [Holding(p.symbol, p.asset_class, p.market_value) for p in positions]
        out[name] = analyse(holdings, cash, PriceHistory.from_dated(bars))
    return out


def test_jordan_concentrated_in_tech_and_crypto_is_risky_and_concentrated(
    results: dict[str, PortfolioAnalytics],
) -> None:
    jordan = results["jordan"]
    assert jordan.risk.score >= 7
    assert jordan.diversification.score <= 4
    assert {e.name for e in jordan.exposures.asset_class} >= {"US stocks", "Crypto"}


def test_maya_in_broad_etfs_is_moderate_and_diversified(
    results: dict[str, PortfolioAnalytics],
) -> None:
    maya = results["maya"]
    assert 3 <= maya.risk.score <= 7
    assert maya.diversification.score >= 6


@pytest.mark.parametrize("name", ["sam", "pat"])
def test_sam_and_pat_are_more_diversified_than_jordan(
    results: dict[str, PortfolioAnalytics], name: str
) -> None:
    assert results[name].diversification.score > results["jordan"].diversification.score


def test_every_persona_has_history_for_every_holding(
    results: dict[str, PortfolioAnalytics],
) -> None:
    for name, result in results.items():
        assert not any(f.name == "Short price history" for f in result.risk.factors), name
