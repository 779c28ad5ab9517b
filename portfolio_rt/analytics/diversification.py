"""Diversification score 1-10 from four measures of the invested money (cash left out).

    H  = 1 - sqrt(1 / N_eff)             N_eff = 1 / sum(e_k^2) over look-through issuers
    S  = clamp(ln N_sect / ln 8)         N_sect = 1 / sum(s_k^2) over GICS sectors of the stocks
    A  = clamp((1 - sum(a_k^2)) / (2/3)) a_k: asset-class weights
    D  = clamp(ln DR / ln 2)             DR = sum(v_i sigma_i d_i) / sqrt(v' Sigma v)
    raw = 0.35 H + 0.20 S + 0.25 A + 0.20 D
    score = min(1 + 9 raw, cap(largest issuer), cap(crypto share))

Look-through: a fund's top holdings count toward those companies (so AAPL held directly and
inside VOO is one issuer) and the rest of the fund counts as `rest_count` equal holdings of a
pool shared by funds of the same family (so VOO + SPY + IVV is one fund). `d_i` is a fund's
internal diversification ratio (1 for a single company or coin).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from portfolio_rt.analytics import reference
from portfolio_rt.analytics.classification import Classification, Classifier
from portfolio_rt.analytics.covariance import RiskModel
from portfolio_rt.analytics.models import (
    CASH,
    CRYPTO,
    OTHER,
    US_STOCKS,
    Factor,
    Score,
)
from portfolio_rt.analytics.text import pct
from portfolio_rt.core.gics import GICS_SECTORS

W_HOLDINGS, W_SECTORS, W_CLASSES, W_CORRELATION = 0.35, 0.20, 0.25, 0.20
SECTORS_FULL = 8.0
CLASSES_FULL = 2.0 / 3.0
DR_FULL = 2.0

# Caps: (weight, highest score) points, linear in between.
ISSUER_CAP = ((0.05, 10.0), (0.10, 7.5), (0.25, 4.0), (0.50, 3.0), (1.0, 1.0))
CRYPTO_CAP = ((0.10, 10.0), (0.25, 5.0), (1.0, 2.0))

# Crypto and unclassified holdings earn no asset-class credit: they are counted with US stocks
# for that term (crypto has fallen with stocks in every sell-off of its short history).
NO_CLASS_CREDIT = frozenset({CRYPTO, OTHER})

LABELS = (
    (2.5, "Concentrated"),
    (4.5, "Lightly diversified"),
    (6.0, "Moderately diversified"),
    (8.0, "Well diversified"),
    (math.inf, "Very well diversified"),
)


def diversification_label(score: float) -> str:
    return next(label for edge, label in LABELS if score < edge)


def _cap(points: tuple[tuple[float, float], ...], x: float) -> float:
    if x <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    return points[-1][1]


def _clamp(x: float) -> float:
    return min(max(x, 0.0), 1.0)


@dataclass(frozen=True)
class LookThrough:
    """Issuer exposures after looking through funds, and the pooled rest of the funds."""

    issuers: dict[str, float]
    names: dict[str, str]
    pools: dict[str, tuple[float, float]]  # universe -> (weight, effective count)

    @property
    def hhi(self) -> float:
        return sum(w * w for w in self.issuers.values()) + sum(
            w * w / n for w, n in self.pools.values() if n > 0
        )

    def top(self, k: int) -> list[tuple[str, float]]:
        ranked = sorted(self.issuers.items(), key=lambda item: (-item[1], item[0]))
        return [(self.names[i], w) for i, w in ranked[:k]]


def look_through(
    classes: Sequence[Classification], weights: Sequence[float], classifier: Classifier
) -> LookThrough:
    """Issuer and pool exposures of invested weights `weights` (summing to 1)."""
    issuers: dict[str, float] = {}
    names: dict[str, str] = {}
    by_index: dict[str, float] = {}
    for c, w in zip(classes, weights, strict=True):
        if c.index is not None and c.index in reference.INDEXES:
            by_index[c.index] = by_index.get(c.index, 0.0) + w
        else:
            key = c.issuer or f"sym:{c.symbol}"
            issuers[key] = issuers.get(key, 0.0) + w
            names.setdefault(key, c.symbol)
    pool_weight: dict[str, float] = {}
    pool_count: dict[str, float] = {}
    for index, w in sorted(by_index.items()):
        profile = reference.INDEXES[index]
        for symbol, share in profile.top:
            key = classifier.issuer_of(symbol)
            issuers[key] = issuers.get(key, 0.0) + w * share
            names.setdefault(key, symbol)
        rest = w * (1.0 - sum(share for _, share in profile.top))
        pool_weight[profile.universe] = pool_weight.get(profile.universe, 0.0) + rest
        pool_count[profile.universe] = pool_count.get(profile.universe, 0.0) + rest * (
            profile.rest_count
        )
    pools = {
        u: (pw, pool_count[u] / pw if pw > 0 else 1.0) for u, pw in pool_weight.items() if pw > 0
    }
    return LookThrough(issuers, names, pools)


@dataclass(frozen=True)
class DiversificationInputs:
    """Invested holdings (cash excluded), weights summing to one."""

    symbols: Sequence[str]
    classes: Sequence[Classification]
    weights: npt.NDArray[np.float64]
    asset_classes: dict[str, float]
    sectors: dict[str, float]
    cash_only: bool


def internal_dr(c: Classification) -> float:
    if c.index is not None and c.index in reference.INDEXES:
        return reference.INDEXES[c.index].internal_dr
    return 1.0


def diversification_score(
    inputs: DiversificationInputs, model: RiskModel, classifier: Classifier
) -> Score:
    """The diversification score with its label, summary and factors."""
    v = inputs.weights
    if v.size == 0 or not np.any(v):
        return _nothing_invested(inputs.cash_only)
    lt = look_through(inputs.classes, [float(x) for x in v], classifier)
    n_eff = 1.0 / lt.hhi
    h = _clamp(1.0 - math.sqrt(lt.hhi))
    sectors = {k: w for k, w in inputs.sectors.items() if k in GICS_SECTORS and w > 0}
    s_total = sum(sectors.values())
    n_sect = 1.0 / sum((w / s_total) ** 2 for w in sectors.values()) if s_total > 0 else 1.0
    s = _clamp(math.log(n_sect) / math.log(SECTORS_FULL))
    classes = {k: w for k, w in inputs.asset_classes.items() if k != CASH and w > 0}
    a_total = sum(classes.values())
    credited: dict[str, float] = {}
    for k, w in classes.items():
        group = US_STOCKS if k in NO_CLASS_CREDIT else k
        credited[group] = credited.get(group, 0.0) + w
    a_hhi = sum((w / a_total) ** 2 for w in credited.values()) if a_total > 0 else 1.0
    a = _clamp((1.0 - a_hhi) / CLASSES_FULL)
    dr = diversification_ratio(inputs, model)
    d = _clamp(math.log(dr) / math.log(DR_FULL))
    raw = W_HOLDINGS * h + W_SECTORS * s + W_CLASSES * a + W_CORRELATION * d
    uncapped = 1.0 + 9.0 * raw
    top = lt.top(3)
    largest_name, largest = top[0] if top else ("", 0.0)
    crypto = classes.get(CRYPTO, 0.0) / a_total if a_total > 0 else 0.0
    issuer_cap = _cap(ISSUER_CAP, largest)
    crypto_cap = _cap(CRYPTO_CAP, crypto)
    score = round(min(uncapped, issuer_cap, crypto_cap), 1)
    label = diversification_label(score)
    n_classes = sum(1 for w in classes.values() if w / a_total >= 0.01)
    n_gics = sum(1 for w in sectors.values() if w / s_total >= 0.01)
    if min(issuer_cap, crypto_cap) < uncapped and issuer_cap <= crypto_cap:
        summary = (
            f"{label}: {pct(largest)} of your invested money is in {largest_name}, so news "
            "about that one holding can move your whole portfolio."
        )
    elif crypto_cap < uncapped:
        summary = (
            f"{label}: {pct(crypto)} of your invested money is in crypto, which tends to "
            "rise and fall together."
        )
    else:
        spread = [_plural(n_classes, "asset class", "asset classes")]
        if n_gics:
            spread.insert(0, _plural(n_gics, "sector"))
        summary = (
            f"{label}: counting what is inside your funds, your money is spread like "
            f"{_count(n_eff)} equal holdings across {' and '.join(spread)}."
        )
    factors = [
        Factor(
            "Effective number of holdings",
            f"{n_eff:.1f}",
            f"Counting what is inside your funds, your money is spread like {_count(n_eff)} "
            "equal-sized holdings.",
        ),
        Factor(
            "Largest holdings",
            ", ".join(f"{name} {pct(w)}" for name, w in top),
            f"{pct(largest)} of your invested money is in {largest_name}"
            + (
                " (directly or through your funds)."
                if any(c.index is not None for c in inputs.classes)
                else "."
            ),
        ),
    ]
    gics = sectors
    if gics:
        top_sector, top_weight = max(gics.items(), key=lambda item: (item[1], item[0]))
        stocks = sum(gics.values())
        benchmark = dict(reference.SECTOR_PROFILES["sp500"]).get(top_sector, 0.0)
        factors.append(
            Factor(
                "Sectors",
                f"{top_sector} {pct(top_weight / stocks)}",
                f"{top_sector} is {pct(top_weight / stocks)} of your stocks (about "
                f"{pct(benchmark)} of the S&P 500); your stocks span "
                f"{_plural(max(n_gics, 1), 'sector')}.",
            )
        )
    mix = ", ".join(
        f"{k} {pct(w / a_total)}"
        for k, w in sorted(classes.items(), key=lambda i: -i[1])
        if w / a_total >= 0.005
    )
    factors.append(
        Factor(
            "Asset classes",
            mix,
            "Spreading money over stocks, bonds and other kinds of assets cushions a fall "
            f"in any one of them; you hold {_plural(n_classes, 'asset class', 'asset classes')}.",
        )
    )
    if dr < 1.05:
        benefit = "Your holdings tend to move together, so they cushion each other very little."
    else:
        benefit = (
            f"Your holdings do not all move together: the portfolio swings {pct(1 - 1 / dr)} "
            f"less than its parts do on average, like about {dr * dr:.1f} independent bets."
        )
    factors.append(Factor("Correlation benefit", f"{dr:.2f}", benefit))
    if issuer_cap < uncapped:
        factors.append(
            Factor(
                "Capped for concentration",
                f"at most {issuer_cap:.1f}",
                f"Because {pct(largest)} is in {largest_name}, the score can be at most "
                f"{issuer_cap:.1f} however the rest is spread.",
            )
        )
    if crypto_cap < uncapped:
        factors.append(
            Factor(
                "Capped for crypto",
                f"at most {crypto_cap:.1f}",
                f"Because {pct(crypto)} is in crypto, which moves as one block, the score can be "
                f"at most {crypto_cap:.1f}.",
            )
        )
    return Score(score, label, summary, factors)


def diversification_ratio(inputs: DiversificationInputs, model: RiskModel) -> float:
    """Weighted average look-through volatility over portfolio volatility (at least 1)."""
    v = inputs.weights
    dvec = np.array([internal_dr(c) for c in inputs.classes])
    avg = float(np.sum(np.abs(v) * model.vols * dvec))
    var = float(v @ model.covariance @ v)
    if var <= 0 or avg <= 0:
        return 1.0
    return max(avg / math.sqrt(var), 1.0)


def _count(n: float) -> str:
    return f"{n:.0f}" if n >= 10 else f"{n:.1f}".rstrip("0").rstrip(".")


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one}" if n == 1 else f"{n} {many or one + 's'}"


def _nothing_invested(cash_only: bool) -> Score:
    if cash_only:
        return Score(
            1.0,
            "Not invested yet",
            "Nothing is invested yet: your account is all cash, so there is nothing to spread "
            "out yet.",
            [Factor("Cash", "100%", "All of your account is cash.")],
        )
    return Score(
        1.0,
        "Not invested yet",
        "Nothing is invested yet; once you buy, this shows how widely your money is spread.",
        [],
    )
