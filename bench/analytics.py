"""Time the analytics engine for 10, 100 and 500 positions with a year of daily closes.

    python bench/analytics.py [--repeat 30]

"analyse" is the per-request cost with the bars already fetched and aligned (the target is
under 50 ms at 500 positions); "align" is the once-a-day cost of turning (day, close) pairs into
a PriceHistory. Figures are medians and 90th percentiles of wall time on this machine.
"""

from __future__ import annotations

import argparse
import os

# One BLAS thread: the service shares its cores with the event loop, and on a busy machine
# BLAS threads fighting for cores cost far more than they save at these sizes.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from portfolio_rt.analytics import Classifier, Holding, PriceHistory, analyse
from portfolio_rt.analytics.classification import load_sp500_rows

DAYS = 252
CASH = Decimal("1000")
EXTRA = ["VOO", "VXUS", "BND", "QQQ", "XLE", "GLD", "TSM", "BTC/USD", "ETH/USD", "SOL/USD"]


def _symbols(n: int) -> list[str]:
    stocks = [row["Symbol"] for row in load_sp500_rows()]
    return (EXTRA + stocks)[:n]


def _dated_closes(
    symbols: list[str], rng: np.random.Generator
) -> dict[str, list[tuple[date, float]]]:
    """One-factor daily log returns, 20-60% volatility, on a weekday calendar (coins every day)."""
    end = date(2026, 11, 24)
    every_day = [end - timedelta(days=k) for k in range(int(DAYS * 365 / 252))][::-1]
    weekdays = [d for d in every_day if d.weekday() < 5]
    market = rng.standard_normal(len(every_day))
    out: dict[str, list[tuple[date, float]]] = {}
    for s in symbols:
        days = every_day if "/" in s else weekdays
        vol = rng.uniform(0.2, 0.6) / np.sqrt(252)
        beta = rng.uniform(0.3, 0.8)
        noise = rng.standard_normal(len(every_day))
        r = vol * (beta * market + np.sqrt(1 - beta * beta) * noise)
        path = 100 * np.exp(np.cumsum(r))
        index = {d: i for i, d in enumerate(every_day)}
        out[s] = [(d, float(path[index[d]])) for d in days]
    return out


def _time(fn: object, repeat: int) -> tuple[float, float]:
    assert callable(fn)
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    runs.sort()
    return statistics.median(runs), runs[int(0.9 * (len(runs) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    rng = np.random.default_rng(2026)
    Classifier.default()  # loaded once per process, like the service does
    threads = os.environ.get("OPENBLAS_NUM_THREADS")
    print(f"BLAS threads: {threads}; {DAYS} trading days of closes; {args.repeat} runs each")
    print(f"{'positions':>9} {'analyse p50':>12} {'p90':>8} {'align p50':>10}  (ms)")
    for n in (10, 100, 500):
        symbols = _symbols(n)
        dated = _dated_closes(symbols, rng)
        history = PriceHistory.from_dated(dated)
        holdings = [
            Holding(s, "crypto" if "/" in s else "us_equity", Decimal(int(rng.integers(100, 5000))))
            for s in symbols
        ]
        analyse(holdings, CASH, history)  # warm-up
        p50, p90 = _time(lambda h=holdings, hist=history: analyse(h, CASH, hist), args.repeat)
        align, _ = _time(lambda d=dated: PriceHistory.from_dated(d), max(3, args.repeat // 10))
        print(f"{n:>9} {p50:>12.1f} {p90:>8.1f} {align:>10.1f}")


if __name__ == "__main__":
    main()
