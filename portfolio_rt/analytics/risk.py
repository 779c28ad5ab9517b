"""Risk score 1-10 from the portfolio's estimated annualised volatility.

    sigma_p  = sqrt(w' Sigma w)              w: share of the whole account, cash has sigma 0
    sigma_c  = sqrt(sigma_p^2 + EVENT_VOL^2 * sum_i max(0, w_i - 0.25)^2)
    score    = piecewise-linear in ln(sigma_c) through CALIBRATION, clamped to 1-10

The second line is the concentration add-on: a single company or coin above 25% of the
account carries event risk (a fraud, a failed trial, an exchange collapse) that a year of
calm prices rarely shows.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from portfolio_rt.analytics.covariance import RiskModel
from portfolio_rt.analytics.models import Factor, Score
from portfolio_rt.analytics.text import money, pct

# (annualised volatility, score): the published calibration table.
CALIBRATION: tuple[tuple[float, float], ...] = (
    (0.005, 1.0),  # cash, T-bills
    (0.05, 2.5),  # aggregate bonds
    (0.10, 4.5),  # 60/40 stocks and bonds
    (0.16, 6.0),  # S&P 500 fund
    (0.28, 7.5),  # one large-cap stock
    (0.45, 9.0),  # bitcoin, speculative stocks
    (0.70, 10.0),  # the most volatile coins and meme stocks
)
CONCENTRATION_LIMIT = 0.25
MIN_DRAWDOWN_DAYS = 20
EVENT_VOL = 0.15
Z_95 = 1.645

# Plain-language reference points for the summary: (volatility, description).
ANCHORS = (
    (0.005, "cash or Treasury bills"),
    (0.045, "a total bond market fund"),
    (0.10, "a 60/40 mix of stocks and bonds"),
    (0.16, "an S&P 500 index fund"),
    (0.28, "a single large company's stock"),
    (0.55, "bitcoin or a speculative stock"),
)

LABELS = (
    (2.5, "Very low"),
    (4.0, "Low"),
    (5.5, "Moderate"),
    (7.0, "Moderately high"),
    (8.5, "High"),
    (math.inf, "Very high"),
)


def volatility_to_score(vol: float) -> float:
    """The calibration table read at `vol`, interpolating on a log scale (unrounded)."""
    if vol <= CALIBRATION[0][0]:
        return CALIBRATION[0][1]
    for (v0, s0), (v1, s1) in itertools.pairwise(CALIBRATION):
        if vol <= v1:
            return s0 + (s1 - s0) * math.log(vol / v0) / math.log(v1 / v0)
    return CALIBRATION[-1][1]


def risk_label(score: float) -> str:
    return next(label for edge, label in LABELS if score < edge)


def half_year_loss(vol: float) -> float:
    """The 1-in-20 bad half-year fall, as a fraction (log-normal, zero expected return)."""
    return 1.0 - math.exp(-Z_95 * vol * math.sqrt(0.5))


@dataclass(frozen=True)
class RiskInputs:
    """Weights of the whole account (cash included in the total) and what they are."""

    symbols: Sequence[str]
    weights: npt.NDArray[np.float64]
    issuers: Sequence[str | None]
    fallback_notes: Sequence[tuple[str, float]]  # (symbol, fallback vol) for short histories
    cash_weight: float
    account_value: Decimal


def concentration_excess(inputs: RiskInputs) -> tuple[float, list[tuple[str, float]]]:
    """Sum of squared issuer weight above the limit, and the issuers above it (symbol, weight)."""
    per_issuer: dict[str, float] = {}
    name: dict[str, str] = {}
    for symbol, issuer, w in zip(inputs.symbols, inputs.issuers, inputs.weights, strict=True):
        if issuer is None:
            continue
        per_issuer[issuer] = per_issuer.get(issuer, 0.0) + abs(float(w))
        name.setdefault(issuer, symbol)
    over = sorted(
        ((name[i], w) for i, w in per_issuer.items() if w > CONCENTRATION_LIMIT),
        key=lambda item: -item[1],
    )
    return sum((w - CONCENTRATION_LIMIT) ** 2 for _, w in over), over


def _concentration_effect(vol: float, adjusted: float) -> str:
    """What the concentration add-on does to the yearly swing, in words that stay true when
    rounding hides the difference (a holding just above the limit adds very little)."""
    for digits in (0, 1):
        before, after = pct(vol, digits), pct(adjusted, digits)
        if before != after:
            return f"as if your mix swung {after} rather than {before}"
    return f"a small add-on for now: your mix still swings about {pct(vol)}"


def risk_score(inputs: RiskInputs, model: RiskModel) -> Score:
    """The risk score with its label, summary and factors."""
    w = inputs.weights
    if w.size == 0 or not np.any(w):
        return _no_holdings(inputs)
    cov = model.covariance
    var = max(float(w @ cov @ w), 0.0)
    vol = math.sqrt(var)
    excess, over = concentration_excess(inputs)
    adjusted = math.sqrt(var + EVENT_VOL**2 * excess)
    score = round(volatility_to_score(adjusted), 1)
    label = risk_label(score)
    anchor = min(ANCHORS, key=lambda a: abs(math.log(max(adjusted, 1e-4) / a[0])))[1]
    summary = (
        f"{label} risk: your portfolio could swing about {pct(adjusted)} in a typical year, "
        f"closest to {anchor}."
    )
    loss = half_year_loss(adjusted)
    factors = [
        Factor(
            "Expected swings",
            f"{pct(vol, 1)} a year",
            f"Based on the past year of prices, your mix typically moves about {pct(vol)} "
            "up or down over a year.",
        ),
        Factor(
            "Bad half-year",
            f"-{pct(loss)}",
            f"In a bad half-year (about 1 in 20) a portfolio like yours could fall about "
            f"{pct(loss)}, roughly {money(loss * 10_000)} of every $10,000.",
        ),
    ]
    drawdown = _max_drawdown(model, w)
    if drawdown is not None and drawdown > 0.005:
        factors.append(
            Factor(
                "Largest drop in the past year",
                f"-{pct(drawdown)}",
                f"Had you held today's mix for the past year, its deepest fall from a peak "
                f"would have been {pct(drawdown)}.",
            )
        )
    for symbol, weight in over:
        factors.append(
            Factor(
                "Concentration",
                f"{pct(weight)} in {symbol}",
                f"{pct(weight)} of your money is in {symbol}; one piece of bad news about it "
                "could move your whole account, so the score counts extra risk for the part "
                f"above {pct(CONCENTRATION_LIMIT)} ({_concentration_effect(vol, adjusted)}).",
            )
        )
    if var > 0:
        contrib = w * (cov @ w) / var
        top = int(np.argmax(contrib))
        if len(w) > 1 and contrib[top] > 0.2:
            factors.append(
                Factor(
                    "Biggest source of risk",
                    f"{inputs.symbols[top]} {pct(float(contrib[top]))}",
                    f"{inputs.symbols[top]} accounts for {pct(float(contrib[top]))} of your "
                    "portfolio's ups and downs.",
                )
            )
    if inputs.cash_weight > 0.005:
        factors.append(
            Factor(
                "Cash cushion",
                pct(inputs.cash_weight),
                f"{pct(inputs.cash_weight)} of your account is cash, which does not move "
                "with the markets and lowers the risk.",
            )
        )
    for symbol, fallback in inputs.fallback_notes:
        factors.append(
            Factor(
                "Short price history",
                f"{symbol}: {pct(fallback)} assumed",
                f"{symbol} has under 60 days of prices, so we assumed a typical volatility "
                f"for its kind of asset ({pct(fallback)} a year).",
            )
        )
    return Score(score, label, summary, factors)


def _max_drawdown(model: RiskModel, w: npt.NDArray[np.float64]) -> float | None:
    returns = model.simple_returns
    if returns.shape[0] < MIN_DRAWDOWN_DAYS:
        return None
    path = np.cumprod(1.0 + returns @ w)
    peaks = np.maximum.accumulate(np.concatenate(([1.0], path)))[1:]
    return float(np.max(1.0 - path / peaks))


def _no_holdings(inputs: RiskInputs) -> Score:
    if inputs.account_value > 0:
        return Score(
            1.0,
            "Very low",
            "Very low risk: you hold only cash, which does not rise or fall with the markets.",
            [
                Factor(
                    "Cash",
                    "100%",
                    "All of your account is cash; its value only changes when you add or "
                    "withdraw money.",
                )
            ],
        )
    return Score(
        1.0,
        "Not invested yet",
        "Nothing is invested yet, so there is no market risk; add funds to get started.",
        [],
    )
