"""Benchmark of the JSON API against the sandbox: throughput, latency, upstream calls.

Prints, for each route at a fixed concurrency: requests/s, p50 and p99 latency (warm cache),
and how many calls went to the broker; then the upstream calls of one whole dashboard load,
cold and warm, and of N concurrent identical cold requests (single-flight).

    python bench/api.py [--concurrency 50] [--requests 2000] [--burst 200] [--json]

The service (with its sandbox) runs on a thread of this process; the load comes from a
second process, so the two do not share an interpreter lock. On a shared 2-core machine
absolute figures are noisy: compare ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import aiohttp
import orjson

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import percentile  # noqa: E402
from portfolio_rt.config import LogSettings  # noqa: E402
from portfolio_rt.ops.logs import configure_logging  # noqa: E402
from portfolio_rt.state import RUNTIME  # noqa: E402
from tests.fixtures.live_service import LiveService, live_service  # noqa: E402

ROUTES = (
    "/api/portfolio/summary",
    "/api/portfolio/history?period=1M",
    "/api/portfolio/history?period=1D",
    "/api/portfolio/positions",
    "/api/portfolio/orders?limit=50",
    "/api/portfolio/activities?limit=50",
    "/api/funds/bank-accounts",
    "/api/funds/transfers",
)
DASHBOARD = (
    "/api/portfolio/summary",
    "/api/portfolio/history?period=1M",
    "/api/portfolio/positions",
    "/api/portfolio/orders?limit=20",
    "/api/portfolio/activities?limit=20",
    "/api/funds/bank-accounts",
    "/api/funds/transfers",
)


def upstream_calls(service: LiveService) -> int:
    return service.app[RUNTIME].gateway.http.calls


def clear_cache(service: LiveService) -> None:
    service.app[RUNTIME].gateway.cache.invalidate(lambda key: True)


async def timed_get(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str]
) -> tuple[float, int]:
    started = time.perf_counter()
    async with session.get(url, headers=headers) as response:
        await response.read()
        return time.perf_counter() - started, response.status


async def _generate(
    url: str, headers: dict[str, str], concurrency: int, total: int
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    remaining = total

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors, remaining
        while remaining > 0:
            remaining -= 1
            elapsed, status = await timed_get(session, url, headers)
            latencies.append(elapsed)
            errors += status != 200

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return latencies, errors, time.perf_counter() - started


def generate_load(
    url: str, headers: dict[str, str], concurrency: int, total: int
) -> tuple[list[float], int, float]:
    """Runs in a separate process so the load generator does not share the service's GIL."""
    return asyncio.run(_generate(url, headers, concurrency, total))


async def load(
    service: LiveService,
    pool: ProcessPoolExecutor,
    path: str,
    headers: dict[str, str],
    concurrency: int,
    total: int,
) -> dict[str, Any]:
    url = service.base_url + path
    async with aiohttp.ClientSession() as session:
        await timed_get(session, url, headers)  # warm the cache
    before = upstream_calls(service)
    loop = asyncio.get_running_loop()
    latencies, errors, wall = await loop.run_in_executor(
        pool, generate_load, url, headers, concurrency, total
    )
    latencies.sort()
    alone, _, _ = await loop.run_in_executor(pool, generate_load, url, headers, 1, 300)
    alone.sort()
    return {
        "route": path,
        "requests": total,
        "errors": errors,
        "rps": round(total / wall, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "upstream_calls": upstream_calls(service) - before,
        "c1_p50_ms": round(statistics.median(alone) * 1000, 2),
        "c1_p99_ms": round(percentile(alone, 0.99) * 1000, 2),
    }


async def dashboard_calls(service: LiveService, headers: dict[str, str]) -> dict[str, int]:
    async with aiohttp.ClientSession() as session:
        clear_cache(service)
        before = upstream_calls(service)
        await asyncio.gather(
            *(timed_get(session, service.base_url + p, headers) for p in DASHBOARD)
        )
        cold = upstream_calls(service) - before
        before = upstream_calls(service)
        await asyncio.gather(
            *(timed_get(session, service.base_url + p, headers) for p in DASHBOARD)
        )
        warm = upstream_calls(service) - before
    return {"dashboard_cold_upstream_calls": cold, "dashboard_warm_upstream_calls": warm}


async def burst_calls(
    service: LiveService, headers: dict[str, str], burst: int
) -> list[dict[str, Any]]:
    """N identical requests at once on a cold cache: single-flight makes one upstream call per
    distinct upstream resource the route reads, however many requests arrive."""
    out = []
    connector = aiohttp.TCPConnector(limit=burst)
    async with aiohttp.ClientSession(connector=connector) as session:
        for path in ("/api/portfolio/positions", "/api/portfolio/summary"):
            url = service.base_url + path
            await timed_get(session, url, headers)
            clear_cache(service)
            before = upstream_calls(service)
            await asyncio.gather(*(timed_get(session, url, headers) for _ in range(burst)))
            after = upstream_calls(service) - before
            clear_cache(service)
            before = upstream_calls(service)
            await timed_get(session, url, headers)
            single = upstream_calls(service) - before
            out.append(
                {
                    "route": path,
                    "requests": burst,
                    "upstream_calls": after,
                    "upstream_calls_of_one_request": single,
                }
            )
    return out


async def run(service: LiveService, args: argparse.Namespace) -> dict[str, Any]:
    headers = service.bearer(service.sandbox.personas["pat"])
    with ProcessPoolExecutor(max_workers=1) as pool:
        routes = [
            await load(service, pool, p, headers, args.concurrency, args.requests) for p in ROUTES
        ]
    return {
        "concurrency": args.concurrency,
        "account": "pat (about 300 positions)",
        "routes": routes,
        **await dashboard_calls(service, headers),
        "burst": await burst_calls(service, headers, args.burst),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    configure_logging(LogSettings(format="console", level="warning"))
    # The per-account budget still runs on every request (its cost is measured), far above
    # what one benchmark account sends.
    budget = {"api_requests_per_s": 100_000, "api_request_burst": 1_000_000}
    with live_service(server=budget) as service:
        result = asyncio.run(run(service, args))
    if args.json:
        print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
        return
    print(f"concurrency {result['concurrency']}, then one request at a time (c1)")
    print(
        f"{'route':<38} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'c1 p50':>7} {'c1 p99':>7}"
        f" {'upstream':>8} {'errors':>6}"
    )
    for r in result["routes"]:
        print(
            f"{r['route']:<38} {r['rps']:>8} {r['p50_ms']:>7} {r['p99_ms']:>7} "
            f"{r['c1_p50_ms']:>7} {r['c1_p99_ms']:>7} {r['upstream_calls']:>8} {r['errors']:>6}"
        )
    print(
        f"dashboard load upstream calls: cold {result['dashboard_cold_upstream_calls']}, "
        f"warm {result['dashboard_warm_upstream_calls']}"
    )
    for b in result["burst"]:
        print(
            f"{b['requests']} concurrent cold {b['route']}: {b['upstream_calls']} upstream "
            f"calls (one request alone makes {b['upstream_calls_of_one_request']})"
        )


if __name__ == "__main__":
    main()
