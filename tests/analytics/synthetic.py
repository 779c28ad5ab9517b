"""Synthetic daily closes with exactly the volatilities and correlations a test asks for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

DAYS = 252


def closes_with(
    vols: Mapping[str, float],
    corr: npt.NDArray[np.float64] | None = None,
    *,
    seed: int = 1,
    days: int = DAYS,
    periods_per_year: float = 252.0,
) -> dict[str, list[float]]:
    """`days + 1` closes per symbol whose daily log returns have, over the window, exactly the
    annualised volatilities `vols` and the correlation matrix `corr` (identity if None).

    Random normal draws are demeaned and whitened (their sample covariance made the identity)
    before the Cholesky factor of the target is applied, so the realised statistics are the
    targets, not just their expectation.
    """
    symbols = list(vols)
    n = len(symbols)
    target = np.eye(n) if corr is None else np.asarray(corr, dtype=np.float64)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((days, n))
    z -= z.mean(axis=0)
    cov = z.T @ z / (days - 1)
    white = z @ np.linalg.inv(np.linalg.cholesky(cov)).T
    daily = np.array([vols[s] for s in symbols]) / np.sqrt(periods_per_year)
    returns = white @ np.linalg.cholesky(target).T * daily
    paths = 100.0 * np.exp(np.vstack([np.zeros(n), np.cumsum(returns, axis=0)]))
    return {s: [float(p) for p in paths[:, j]] for j, s in enumerate(symbols)}


def one_factor_corr(loadings: Sequence[float]) -> npt.NDArray[np.float64]:
    """Correlations of a one-factor model: rho_ij = b_i * b_j off the diagonal."""
    b = np.asarray(loadings, dtype=np.float64)
    corr = np.outer(b, b)
    np.fill_diagonal(corr, 1.0)
    return corr
