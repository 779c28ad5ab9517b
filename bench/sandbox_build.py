"""How fast the sandbox world is made: market, personas, generated accounts, prices.

    python bench/sandbox_build.py [--accounts 100000] [--json]

Prints seconds for each step (the issue's bar: 100,000 generated accounts in under 60 s)
and the cost of the price path that every valuation reads.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from portfolio_rt.sandbox.settings import SandboxConfig
from portfolio_rt.sandbox.world import Sandbox


def timed(fn):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    config = SandboxConfig(key="k", secret="s", trades_per_second=0)
    world, personas_s = timed(lambda: Sandbox.build(config))
    big = SandboxConfig(key="k", secret="s", trades_per_second=0, extra_accounts=args.accounts)
    big_world, accounts_s = timed(lambda: Sandbox.build(big))
    market = world.market
    now = datetime.now(UTC)
    market.price_at("AAPL", now)
    _, warm = timed(lambda: [market.price_at("AAPL", now) for _ in range(10_000)])
    times = [now - timedelta(seconds=41 * i) for i in range(10_000)]
    _, vector = timed(lambda: market.prices_at("MSFT", times))
    pat = world.personas["pat"]
    _, history_s = timed(
        lambda: world.ledger.portfolio_history(
            pat, period="1A", timeframe="1D", start=None, end=None
        )
    )
    first = big_world.ledger.accounts_with_positions()[-1]
    _, first_use_s = timed(lambda: big_world.ledger.positions(first))
    result = {
        "world_with_personas_s": round(personas_s, 3),
        f"world_with_{args.accounts}_accounts_s": round(accounts_s, 3),
        "generated_account_first_use_ms": round(first_use_s * 1000, 2),
        "price_at_warm_us": round(warm / 10_000 * 1e6, 2),
        "prices_at_10000_ms": round(vector * 1000, 2),
        "pat_one_year_history_s": round(history_s, 3),
    }
    if args.json:
        print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
    else:
        for key, value in result.items():
            print(f"{key:<40} {value}")


if __name__ == "__main__":
    main()
