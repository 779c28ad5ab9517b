"""Benchmark of the JSON API against the sandbox: each warm read route against aiohttp's own
ceiling, and the upstream calls of a dashboard load.

For each route: `wrk` (Debian's package: `apt-get install wrk`) at 1 and at `--concurrency`
connections for `--seconds`, warm cache, against the service; then the same against a bare
aiohttp handler answering the same body behind a bearer check (the ceiling: what aiohttp
itself costs), both on a thread of this process, one after the other. The sandbox runs as
a process of its own, as Alpaca is another machine: its work is not on the service's event
loop, so it is not counted in the service's latency. Prints requests/s,
p50/p99 latency and each route's ratio to the ceiling. Then the upstream calls of one whole
dashboard load, cold and warm, and of N concurrent identical cold requests (single-flight).

    python -m bench.api [--concurrency 50] [--seconds 5] [--burst 200] [--json]

On a shared 2-core machine absolute figures are noisy: compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from bench.common import free_port
from portfolio_rt.config import LogSettings
from portfolio_rt.ops.logs import configure_logging
from portfolio_rt.state import RUNTIME
from tests.fixtures.live_service import LiveService, live_service

ROUTES = (
    "/api/portfolio/summary",
    "/api/portfolio/history?period=1M",
    "/api/portfolio/history?period=1D",
    "/api/portfolio/history?period=MAX",
    "/api/portfolio/positions",
    "/api/portfolio/analytics",
    "/api/portfolio/orders?limit=50",
    "/api/portfolio/activities?limit=50",
    "/api/portfolio/realized",
    "/api/portfolio/income",
    "/api/assets/AAPL",
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
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
WRK = shutil.which("wrk") or "wrk"


def upstream_calls(service: LiveService) -> int:
    return service.app[RUNTIME].gateway.http.calls


def clear_cache(service: LiveService) -> None:
    service.app[RUNTIME].gateway.cache.invalidate(lambda key: True)


def wrk(url: str, token: str, connections: int, seconds: float) -> dict[str, float]:
    """One `wrk` run: requests/s, p50/p99 in ms, and non-2xx answers."""
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [
            WRK,
            "-t1" if connections == 1 else "-t2",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    out = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)

    def latency(label: str) -> float:
        value, unit = re.search(rf"\s{label}\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return round(float(value) * _UNITS[unit], 2)

    return {
        "rps": round(rps),
        "p50_ms": latency("50%"),
        "p99_ms": latency("99%"),
        "errors": int(bad.group(1)) if bad else 0,
    }


class Ceiling:
    """A bare aiohttp app on a thread: a bearer check, then a prepared body (the route's)."""

    def __init__(self, token: str) -> None:
        self.token = f"Bearer {token}"
        self.bodies: dict[str, bytes] = {}
        self.port = free_port()
        self._loop: asyncio.AbstractEventLoop | None = None
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        ready.wait(10)

    def _serve(self, ready: threading.Event) -> None:
        async def handler(request: web.Request) -> web.Response:
            if request.headers.get("Authorization") != self.token:
                raise web.HTTPUnauthorized()
            return web.Response(body=self.bodies[request.path_qs], content_type="application/json")

        async def main() -> None:
            app = web.Application()
            app.router.add_get("/{tail:.*}", handler)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", self.port).start()
            ready.set()
            await asyncio.Event().wait()

        asyncio.run(main())

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def warm(url: str, headers: dict[str, str]) -> bytes:
    """One request, so the run that follows starts with warm caches; its body."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        return bytes(response.read())


def measure(
    service: LiveService, ceiling: Ceiling, token: str, args: argparse.Namespace
) -> list[dict[str, Any]]:
    rows = []
    headers = {"Authorization": f"Bearer {token}"}
    for path in ROUTES:
        ceiling.bodies[path] = warm(service.base_url + path, headers)
        before = upstream_calls(service)
        row: dict[str, Any] = {"route": path, "bytes": len(ceiling.bodies[path])}
        for connections in (1, args.concurrency):
            if connections != 1:
                # Warm again: the service sat idle through the bare handler's run, longer
                # than the read cache's refresh-ahead window.
                warm(service.base_url + path, headers)
            route = wrk(service.base_url + path, token, connections, args.seconds)
            bare = wrk(ceiling.url(path), token, connections, args.seconds)
            row[f"c{connections}"] = {
                "route": route,
                "bare": bare,
                "ratio": round(route["rps"] / bare["rps"], 2),
            }
        row["upstream_calls"] = upstream_calls(service) - before
        rows.append(row)
    return rows


async def timed_get(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str]
) -> tuple[float, int]:
    started = time.perf_counter()
    async with session.get(url, headers=headers) as response:
        await response.read()
        return time.perf_counter() - started, response.status


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench.api needs wrk: apt-get install wrk")
    configure_logging(LogSettings(format="json", level="warning"))
    # The per-account budget still runs on every request (its cost is measured), far above
    # what one benchmark account sends.
    budget = {"api_requests_per_s": 100_000, "api_request_burst": 1_000_000}
    with live_service(server=budget) as service:
        headers = service.bearer(service.upstream.personas["pat"])
        token = headers["Authorization"].split()[1]
        ceiling = Ceiling(token)
        result: dict[str, Any] = {
            "account": "pat (about 300 positions)",
            "concurrency": args.concurrency,
            "routes": measure(service, ceiling, token, args),
            **asyncio.run(dashboard_calls(service, headers)),
            "burst": asyncio.run(burst_calls(service, headers, args.burst)),
        }
    if args.json:
        print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
        return
    c = args.concurrency
    print(f"warm routes, wrk at 1 and {c} connections; ratio = route req/s / bare aiohttp req/s")
    print("(latencies in ms; bare p99 is the bare handler's at the same connections)")
    print(
        f"{'route':<36} {'c1 req/s':>8} {'ratio':>5} {'p50':>6} {'p99':>6}"
        f" {f'c{c} req/s':>9} {'ratio':>5} {'p50':>6} {'p99':>6} {'bare p99':>8} {'errors':>6}"
    )
    for r in result["routes"]:
        one, many = r["c1"], r[f"c{c}"]
        print(
            f"{r['route']:<36} {one['route']['rps']:>8} {one['ratio']:>5} "
            f"{one['route']['p50_ms']:>6} {one['route']['p99_ms']:>6} "
            f"{many['route']['rps']:>9} {many['ratio']:>5} {many['route']['p50_ms']:>6} "
            f"{many['route']['p99_ms']:>6} {many['bare']['p99_ms']:>8} "
            f"{one['route']['errors'] + many['route']['errors']:>6}"
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
