"""The benchmarks still run end to end (at a toy size): a benchmark that silently measures
nothing is worse than none. Their figures are evidence, never asserted on here."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def run_bench(module: str, args: str) -> dict[str, Any]:
    """`python -m bench.<module> <args> --json`: the figures it printed."""
    done = subprocess.run(  # noqa: S603 - fixed argument list
        [sys.executable, "-m", f"bench.{module}", *args.split(), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def test_the_realtime_benchmark_serves_every_client_and_prints_every_figure() -> None:
    figures = run_bench(
        "realtime",
        "--accounts 300 --symbols 200 --clients 30 --tick-rate 2000 --seconds 2"
        " --capacity-messages 20000 --push-interval 0.5",
    )
    assert figures["clients"] == 30
    assert figures["updates_received"] > 0
    for key in (
        "ticks_per_s",
        "floor_ticks_per_s",
        "push_p50_ms",
        "push_p99_ms",
        "rss_mb",
        "baseline_ticks_per_s",
    ):
        assert isinstance(figures[key], int | float), key
        assert math.isfinite(figures[key]), key
        assert figures[key] > 0, (key, figures[key])


def test_the_events_benchmark_measures_every_fill_and_prints_every_figure() -> None:
    figures = run_bench(
        "events", "--accounts 60 --clients 60 --symbols 50 --fills-per-s 20 --seconds 2"
    )
    latency, calls = figures["latency"], figures["broker_calls"]
    assert latency["clients"] == 60
    assert latency["fills"] == latency["events_applied"] == latency["fills_pushed"] > 0
    for key in ("fill_to_changed_p99_ms", "fill_to_push_p50_ms", "fill_to_push_p99_ms"):
        assert math.isfinite(latency[key]), key
    for key in ("pages_per_collection", "calls_per_account_load", "calls_per_cash_read"):
        assert calls[key] > 0, key
    assert calls["polling_calls_per_hour"] > 0
    assert calls["events_calls_per_hour"] > 0
