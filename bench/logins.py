"""Benchmark: what password logins cost everyone else's requests.

Starts the service as `make run` does (embedded sandbox, demo logins) and measures `/health`
one request at a time, first idle, then while `--logins` clients log in over and over (scrypt
is built to be slow). Prints p50/p99 of `/health` in both phases and the logins per second.

    python bench/logins.py [--logins 12] [--seconds 8] [--baseline REF]

`--baseline REF` also runs the service as it was at a git revision (from a temporary
worktree), in the same run, so the two sets of figures are comparable on a noisy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import percentile, service_process  # noqa: E402


@contextmanager
def service(tree: Path) -> Iterator[str]:
    """The service from `tree`'s sources, as `make run` starts it; its base URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTFOLIO_RT", "ALPACA_"))}
    env |= {"PORTFOLIO_RT__LOG__LEVEL": "warning", "PORTFOLIO_RT__SANDBOX__TRADES_PER_SECOND": "40"}
    if "login_max_per_address" in (tree / "config.toml").read_text(encoding="utf-8"):
        env["PORTFOLIO_RT__AUTH__LOGIN_MAX_PER_ADDRESS"] = "100000"  # the bench logs in a lot
    with service_process(tree, env) as (base, _):
        yield base


async def probe(session: aiohttp.ClientSession, base: str, until: float) -> list[float]:
    """`/health`, one request at a time, until the deadline: each one's latency."""
    latencies = []
    while time.monotonic() < until:
        started = time.perf_counter()
        async with session.get(f"{base}/health") as response:
            await response.read()
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.005)
    return latencies


async def log_in_repeatedly(session: aiohttp.ClientSession, base: str, until: float) -> int:
    done = 0
    body = {"username": "maya", "password": "demo"}
    while time.monotonic() < until:
        async with session.post(f"{base}/api/auth/login", json=body) as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"login answered {response.status}")
        done += 1
    return done


async def measure(base: str, logins: int, seconds: float) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        await probe(session, base, time.monotonic() + 1.0)  # warm up
        idle = await probe(session, base, time.monotonic() + seconds / 2)
        until = time.monotonic() + seconds
        workers = [log_in_repeatedly(session, base, until) for _ in range(logins)]
        loaded, *counts = await asyncio.gather(probe(session, base, until), *workers)
    return {
        "idle_p50_ms": percentile(idle, 0.5) * 1000,
        "idle_p99_ms": percentile(idle, 0.99) * 1000,
        "loaded_p50_ms": percentile(loaded, 0.5) * 1000,
        "loaded_p99_ms": percentile(loaded, 0.99) * 1000,
        "logins_per_s": sum(counts) / seconds,
    }


@contextmanager
def worktree(ref: str) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as parent:
        path = Path(parent) / "tree"
        subprocess.run(  # noqa: S603 - fixed arguments
            ["git", "worktree", "add", "--detach", "--quiet", str(path), ref],  # noqa: S607
            cwd=ROOT,
            check=True,
        )
        try:
            yield path
        finally:
            subprocess.run(  # noqa: S603 - fixed arguments
                ["git", "worktree", "remove", "--force", str(path)],  # noqa: S607
                cwd=ROOT,
                check=False,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=12, help="clients logging in at once")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--baseline", help="also measure the service at this git revision")
    args = parser.parse_args()
    runs: list[tuple[str, dict[str, Any]]] = []
    if args.baseline:
        with worktree(args.baseline) as tree, service(tree) as base:
            runs.append((args.baseline, asyncio.run(measure(base, args.logins, args.seconds))))
    with service(ROOT) as base:
        runs.append(("this tree", asyncio.run(measure(base, args.logins, args.seconds))))
    print(f"/health one at a time, idle and while {args.logins} clients log in repeatedly")
    print(
        f"{'service':<12} {'idle p50':>9} {'idle p99':>9} {'login p50':>10} {'login p99':>10}"
        f" {'logins/s':>9}"
    )
    for name, r in runs:
        print(
            f"{name[:12]:<12} {r['idle_p50_ms']:>8.1f}ms {r['idle_p99_ms']:>8.1f}ms"
            f" {r['loaded_p50_ms']:>9.1f}ms {r['loaded_p99_ms']:>9.1f}ms {r['logins_per_s']:>9.1f}"
        )


if __name__ == "__main__":
    main()
