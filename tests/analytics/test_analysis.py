"""What the engine says for real-life account shapes: empty, cash only, concentrated, odd inputs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portfolio_rt.analytics import Holding, PriceHistory, analyse
from tests.analytics.synthetic import closes_with, one_factor_corr

D = Decimal


def _history(vols: dict[str, float], loading: float = 0.6) -> PriceHistory:
    return PriceHistory.from_aligned(closes_with(vols, one_factor_corr([loading] * len(vols))))


def test_an_empty_account_gets_answers_not_errors() -> None:
    result = analyse([], D(0), {})
    assert result.risk.score == 1.0
    assert result.diversification.score == 1.0
    assert result.risk.label == result.diversification.label == "Not invested yet"
    assert result.exposures.asset_class == []
    assert result.exposures.sector == []


def test_a_cash_only_account_is_very_low_risk_and_all_cash() -> None:
    result = analyse([], D("2500.00"), None)
    assert result.risk.score == 1.0
    assert result.risk.label == "Very low"
    assert "only cash" in result.risk.summary
    assert result.diversification.label == "Not invested yet"
    assert [(e.name, e.market_value, e.pct) for e in result.exposures.asset_class] == [
        ("Cash", D("2500.00"), 100.0)
    ]
    assert [e.name for e in result.exposures.sector] == ["Cash"]


def test_a_large_single_holding_is_named_in_both_scores() -> None:
    history = _history({"TSLA": 0.6, "AAPL": 0.28, "VOO": 0.16})
    holdings = [
        Holding("TSLA", "us_equity", D("4100")),
        Holding("AAPL", "us_equity", D("900")),
        Holding("VOO", "us_equity", D("5000")),
    ]
    result = analyse(holdings, D(0), history)
    concentration = [f for f in result.risk.factors if f.name == "Concentration"]
    assert concentration
    assert concentration[0].value == "41% in TSLA"
    assert "41% of your money is in TSLA" in concentration[0].explanation
    assert "TSLA" in result.diversification.summary
    assert any(f.name == "Capped for concentration" for f in result.diversification.factors)


def concentration_text(holdings: list[Holding], history: PriceHistory) -> str:
    result = analyse(holdings, D(0), history)
    return next(f.explanation for f in result.risk.factors if f.name == "Concentration")


def test_the_concentration_add_on_is_described_truly_however_small() -> None:
    history = _history({"TSLA": 0.6, "AAPL": 0.28, "VOO": 0.16})
    just_over = concentration_text(
        [
            Holding("TSLA", "us_equity", D("2600")),
            Holding("AAPL", "us_equity", D("2400")),
            Holding("VOO", "us_equity", D("5000")),
        ],
        history,
    )
    # 1% above the limit moves the yearly swing by far less than a tenth of a point.
    assert "rather than" not in just_over
    assert "a small add-on for now: your mix still swings about" in just_over
    far_over = concentration_text(
        [Holding("TSLA", "us_equity", D("9000")), Holding("VOO", "us_equity", D("1000"))],
        history,
    )
    swung, rather = far_over.split("as if your mix swung ")[1].split(" rather than ")
    assert swung != rather.rstrip(").")


def test_concentration_raises_risk_above_what_volatility_alone_gives() -> None:
    history = _history({"MSFT": 0.26})
    result = analyse([Holding("MSFT", "us_equity", D("1000"))], D(0), history)
    assert result.risk.score == 7.5  # 26% volatility alone would score 7.3
    assert "risk" in result.risk.summary


def test_a_symbol_without_history_is_scored_from_its_class_and_says_so() -> None:
    history = _history({"VOO": 0.16})
    holdings = [Holding("VOO", "us_equity", D("5000")), Holding("ZZZQ", "us_equity", D("5000"))]
    result = analyse(holdings, D(0), history)
    notes = [f for f in result.risk.factors if f.name == "Short price history"]
    assert len(notes) == 1
    assert notes[0].value.startswith("ZZZQ")
    assert [e.name for e in result.exposures.sector if e.name == "Other"] == ["Other"]


def test_rows_of_the_same_symbol_are_added_together() -> None:
    history = _history({"VOO": 0.16})
    split = analyse(
        [Holding("VOO", "us_equity", D("400")), Holding("VOO", "us_equity", D("600"))],
        D(0),
        history,
    )
    whole = analyse([Holding("VOO", "us_equity", D("1000"))], D(0), history)
    assert split == whole


def test_crypto_positions_match_bars_whatever_the_pair_spelling() -> None:
    closes = closes_with({"BTC/USD": 0.5}, days=365, periods_per_year=365.0)
    result = analyse([Holding("BTCUSD", "crypto", D("1000"))], D(0), closes)
    assert not any(f.name == "Short price history" for f in result.risk.factors)
    assert 9.0 <= result.risk.score <= 10.0


def test_money_in_exposures_is_exact_to_the_cent() -> None:
    history = _history({"VT": 0.155, "BND": 0.05})
    holdings = [Holding("VT", "us_equity", D("3333.33")), Holding("BND", "us_equity", D("1234.57"))]
    result = analyse(holdings, D("100.01"), history)
    for breakdown in (result.exposures.asset_class, result.exposures.sector):
        assert sum(e.market_value for e in breakdown) == D("4667.91")
        assert all(e.market_value == e.market_value.quantize(D("0.01")) for e in breakdown)
    classes = {e.name: e for e in result.exposures.asset_class}
    assert classes["Bonds"].market_value == D("1234.57")
    assert classes["US stocks"].market_value + classes["International stocks"].market_value == D(
        "3333.33"
    )


def test_margin_debt_raises_risk_and_stays_out_of_exposures() -> None:
    history = _history({"VOO": 0.16})
    plain = analyse([Holding("VOO", "us_equity", D("1000"))], D(0), history)
    levered = analyse([Holding("VOO", "us_equity", D("1000"))], D("-500"), history)
    assert levered.risk.score > plain.risk.score
    assert [e.name for e in levered.exposures.asset_class] == ["US stocks"]


def test_a_short_position_counts_at_its_absolute_value_in_exposures() -> None:
    history = _history({"VOO": 0.16, "TSLA": 0.6})
    result = analyse(
        [Holding("VOO", "us_equity", D("1000")), Holding("TSLA", "us_equity", D("-200"))],
        D("500"),
        history,
    )
    assert sum(e.market_value for e in result.exposures.asset_class) == D("1700")
    assert 1.0 <= result.risk.score <= 10.0


@pytest.mark.parametrize("cash", [D(0), D("5000")])
def test_the_bad_half_year_factor_is_in_dollars_per_10000(cash: Decimal) -> None:
    history = _history({"VOO": 0.16})
    result = analyse([Holding("VOO", "us_equity", D("5000"))], cash, history)
    bad = next(f for f in result.risk.factors if f.name == "Bad half-year")
    assert "of every $10,000" in bad.explanation
    assert bad.value.startswith("-")
