"""The risk model: each holding's volatility and the correlations between holdings.

Daily log returns over the trailing window; the sample covariance of standardised returns is
shrunk toward a constant-correlation target with the Ledoit-Wolf (2004) intensity, which is
large when history is short relative to the number of holdings and fades as it grows. A holding
with fewer than `MIN_OBSERVATIONS` returns gets its class's fallback volatility and the class
correlations of `GROUP_CORRELATION`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from portfolio_rt.analytics.classification import Classification
from portfolio_rt.analytics.history import PriceHistory
from portfolio_rt.analytics.models import BONDS, COMMODITIES, CRYPTO

Matrix = npt.NDArray[np.float64]

MIN_OBSERVATIONS = 60

# Correlations assumed for a holding without enough history, by broad group.
_GROUPS = ("equity", "bonds", "crypto", "commodity")
GROUP_CORRELATION: dict[tuple[str, str], float] = {
    ("equity", "equity"): 0.5,
    ("equity", "bonds"): 0.1,
    ("equity", "crypto"): 0.3,
    ("equity", "commodity"): 0.1,
    ("bonds", "bonds"): 0.7,
    ("bonds", "crypto"): 0.0,
    ("bonds", "commodity"): 0.1,
    ("crypto", "crypto"): 0.7,
    ("crypto", "commodity"): 0.1,
    ("commodity", "commodity"): 0.4,
}


def group_of(c: Classification) -> str:
    """The broad group used for fallback correlations: the dominant asset class."""
    main = max(c.asset_classes, key=lambda item: item[1])[0]
    return {BONDS: "bonds", CRYPTO: "crypto", COMMODITIES: "commodity"}.get(main, "equity")


def _group_corr(a: str, b: str) -> float:
    return GROUP_CORRELATION.get((a, b), GROUP_CORRELATION.get((b, a), 0.5))


_GROUP_MATRIX = np.array([[_group_corr(a, b) for b in _GROUPS] for a in _GROUPS])


@dataclass(frozen=True)
class RiskModel:
    """Annualised volatilities and correlations of the holdings, in holding order."""

    vols: Matrix
    corr: Matrix
    estimated: npt.NDArray[np.bool_]
    shrinkage: float
    observations: int
    simple_returns: Matrix  # days x holdings, 0 where unknown; for the drawdown

    @cached_property
    def covariance(self) -> Matrix:
        cov: Matrix = self.corr * np.outer(self.vols, self.vols)
        return cov

    def subset(self, keep: Sequence[int]) -> RiskModel:
        """The model of the holdings at positions `keep`, in that order."""
        idx = np.asarray(keep, dtype=np.intp)
        return RiskModel(
            self.vols[idx],
            self.corr[np.ix_(idx, idx)],
            self.estimated[idx],
            self.shrinkage,
            self.observations,
            self.simple_returns[:, idx],
        )

    @classmethod
    def exact(cls, vols: Sequence[float], corr: Matrix | None = None) -> RiskModel:
        """A model given directly (calibration, what-ifs, tests): nothing estimated, no
        history (so no drawdown). `corr` defaults to the identity."""
        v = np.asarray(vols, dtype=np.float64)
        c = np.eye(v.size) if corr is None else np.asarray(corr, dtype=np.float64)
        if c.shape != (v.size, v.size):
            raise ValueError("corr must be square with one row per volatility")
        return cls(v, c, np.ones(v.size, dtype=bool), 0.0, 0, np.zeros((0, v.size)))


def ledoit_wolf_constant_correlation(x: Matrix) -> tuple[Matrix, float]:
    """Shrunk covariance of demeaned returns `x` (days x assets) and the shrinkage intensity.

    Ledoit & Wolf (2004), "Honey, I shrunk the sample covariance matrix": the target keeps the
    sample variances and sets every correlation to the average one; the intensity is the
    estimated optimal kappa / T, clipped to [0, 1]. The sums over asset pairs in pi, rho and
    the average correlation are rewritten as sums over days, so only the sample covariance
    itself costs a matrix product.
    """
    t, n = x.shape
    sample: Matrix = x.T @ x / t
    if n < 2 or t < 2:
        return sample, 0.0
    var = np.diag(sample).copy()
    d = np.sqrt(var)
    live = d > 0
    k = int(live.sum())
    if k < 2:
        return sample, 0.0
    inv_d = np.where(live, 1.0 / np.where(live, d, 1.0), 0.0)
    # Average correlation over live pairs: sum_ij S_ij / (d_i d_j) = mean_t (sum_i x_ti / d_i)^2.
    corr_sum = float(np.mean((x @ inv_d) ** 2))
    rbar = (corr_sum - k) / (k * (k - 1))
    rbar = min(max(rbar, -1.0 / (k - 1)), 1.0)
    y = x * x
    # pi: sum_ij [mean_t(y_ti y_tj) - S_ij^2]; its diagonal alone for rho.
    s_fro = float(np.sum(sample * sample))
    pi_hat = float(np.mean(y.sum(axis=1) ** 2)) - s_fro
    pi_diag = float(np.sum(np.mean(y * y, axis=0) - var * var))
    # rho off-diagonal: rbar * sum_{i != j} (d_j / d_i) theta_ij, with
    # theta_ij = mean_t(x_ti^3 x_tj) - S_ii S_ij.
    cube = (y * x) @ inv_d
    full = float(np.mean(cube * (x @ d))) - float(d @ sample @ d)
    diag_theta = np.mean(y * y, axis=0) - var * var
    off = full - float(np.sum(np.where(live, diag_theta, 0.0)))
    rho_hat = pi_diag + rbar * off
    target = rbar * np.outer(d, d)
    np.fill_diagonal(target, var)
    gamma = float(np.sum((target - sample) ** 2))
    if gamma <= 0:
        return sample, 0.0
    delta = min(max((pi_hat - rho_hat) / gamma / t, 0.0), 1.0)
    shrunk: Matrix = delta * target + (1.0 - delta) * sample
    return shrunk, delta


def estimate(
    symbols: Sequence[str], classes: Sequence[Classification], history: PriceHistory
) -> RiskModel:
    """The risk model of `symbols` from `history`, with class fallbacks where it is too short."""
    n = len(symbols)
    vols = np.array([c.proxy_vol for c in classes], dtype=np.float64)
    estimated = np.zeros(n, dtype=bool)
    found = [(i, history.column(s)) for i, s in enumerate(symbols)]
    pairs = [(i, col) for i, col in found if col is not None]
    have = np.array([i for i, _ in pairs], dtype=np.intp)
    if not pairs or history.closes.shape[0] < 2:
        return RiskModel(vols, _fallback_corr(classes), estimated, 0.0, 0, np.zeros((0, n)))
    prices = history.closes[:, [col for _, col in pairs]]
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = np.log(np.where(prices > 0, prices, np.nan))
    rets = np.diff(logp, axis=0)
    t = rets.shape[0]
    missing = np.isnan(rets)
    simple = np.zeros((t, n))
    simple[:, have] = np.expm1(np.where(missing, 0.0, rets))
    counts = t - missing.sum(axis=0)
    ok = counts >= MIN_OBSERVATIONS
    if not ok.any():
        return RiskModel(vols, _fallback_corr(classes), estimated, 0.0, t, simple)
    idx = have[ok]
    r = rets[:, ok]
    gaps = missing[:, ok]
    cnt = counts[ok].astype(np.float64)
    r = np.where(gaps, 0.0, r)
    x = np.where(gaps, 0.0, r - r.sum(axis=0) / cnt)
    std = np.sqrt((x * x).sum(axis=0) / (cnt - 1.0))
    live = std > 0
    z = x * np.where(live, 1.0 / np.where(live, std, 1.0), 0.0)
    shrunk, delta = ledoit_wolf_constant_correlation(z)
    d = np.sqrt(np.diag(shrunk))
    inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1.0), 0.0)
    block = shrunk * inv[:, None] * inv[None, :]
    np.fill_diagonal(block, 1.0)
    if idx.size == n:  # every holding estimated; `idx` is then 0..n-1 in order
        corr = block
    else:
        corr = _fallback_corr(classes)
        corr[np.ix_(idx, idx)] = block
    vols[idx] = std * np.sqrt(history.periods_per_year)
    estimated[idx] = True
    return RiskModel(vols, corr, estimated, delta, t, simple)


def _fallback_corr(classes: Sequence[Classification]) -> Matrix:
    """Correlations from the class table, for holdings without enough history."""
    groups = np.array([_GROUPS.index(group_of(c)) for c in classes], dtype=np.intp)
    corr: Matrix = _GROUP_MATRIX[np.ix_(groups, groups)]
    np.fill_diagonal(corr, 1.0)
    return corr
