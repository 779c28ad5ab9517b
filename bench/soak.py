"""Soak: the whole service under a steady load for a long time; memory must stay flat.

Starts the service (with its embedded sandbox and a live synthetic market) as a child
process, logs the demo users in, opens `--clients` WebSocket clients spread over them, and
sends a steady `--rate` of API calls across the dashboard's routes. Every `--every` seconds
it prints one line: the service's RSS, API calls, errors, p50/p99 latency, WebSocket
messages received and sockets lost in that interval. Not a test; run it by hand:

    python bench/soak.py --minutes 30 --clients 1000 --rate 50 [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from bench.common import percentile, service_process

ROOT = Path(__file__).resolve().parents[1]
USERS = ("maya", "jordan", "sam", "alex", "pat")
ROUTES = (
    "/api/portfolio/summary",
    "/api/portfolio/history?period=1M",
    "/api/portfolio/history?period=1D",
    "/api/portfolio/positions",
    "/api/portfolio/analytics",
    "/api/portfolio/orders?limit=20",
    "/api/portfolio/activities?limit=20",
    "/api/funds/transfers",
)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Stats:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.calls = 0
        self.errors = 0
        self.messages = 0
        self.lost = 0

    def take(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        out = {
            "api_calls": self.calls,
            "api_errors": self.errors,
            "p50_ms": round(statistics.median(lat) * 1000, 1) if lat else None,
            "p99_ms": round(percentile(lat, 0.99) * 1000, 1) if lat else None,
            "ws_messages": self.messages,
            "ws_lost": self.lost,
        }
        self.__init__()  # type: ignore[misc]
        return out


async def login(session: aiohttp.ClientSession, base: str, user: str) -> str:
    async with session.post(
        f"{base}/api/auth/login", json={"username": user, "password": "demo"}
    ) as response:
        response.raise_for_status()
        body = await response.json()
        return f"{body['account_id']}|{body['token']}"


async def client(
    session: aiohttp.ClientSession, base: str, creds: str, stats: Stats, stop: asyncio.Event
) -> None:
    account, token = creds.split("|")
    url = base.replace("http", "ws", 1) + f"/ws/portfolio/{account}"
    while not stop.is_set():
        try:
            async with session.ws_connect(
                url, headers={"Authorization": f"Bearer {token}", "Origin": base}, heartbeat=30
            ) as ws:
                async for message in ws:
                    if message.type == aiohttp.WSMsgType.TEXT:
                        stats.messages += 1
                    if stop.is_set():
                        break
        except (aiohttp.ClientError, TimeoutError):
            pass
        if not stop.is_set():
            stats.lost += 1
            await asyncio.sleep(1 + random.random())


async def api_load(
    session: aiohttp.ClientSession,
    base: str,
    tokens: list[str],
    rate: float,
    stats: Stats,
    stop: asyncio.Event,
) -> None:
    interval = 1 / rate
    next_at = time.perf_counter()

    async def one() -> None:
        _, token = random.choice(tokens).split("|")
        started = time.perf_counter()
        try:
            async with session.get(
                base + random.choice(ROUTES), headers={"Authorization": f"Bearer {token}"}
            ) as response:
                await response.read()
                stats.errors += response.status != 200
        except aiohttp.ClientError:
            stats.errors += 1
        stats.calls += 1
        stats.latencies.append(time.perf_counter() - started)

    pending: set[asyncio.Task[None]] = set()
    while not stop.is_set():
        task = asyncio.create_task(one())
        pending.add(task)
        task.add_done_callback(pending.discard)
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    await asyncio.gather(*pending, return_exceptions=True)


async def run(args: argparse.Namespace, base: str, pid: int) -> list[dict[str, Any]]:
    stats, stop = Stats(), asyncio.Event()
    rows: list[dict[str, Any]] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        tokens = [await login(session, base, user) for user in USERS]
        tasks = [
            asyncio.create_task(client(session, base, tokens[i % len(tokens)], stats, stop))
            for i in range(args.clients)
        ]
        tasks.append(asyncio.create_task(api_load(session, base, tokens, args.rate, stats, stop)))
        started = time.monotonic()
        end = started + args.minutes * 60
        while time.monotonic() < end:
            await asyncio.sleep(min(args.every, max(0.0, end - time.monotonic())))
            row = {
                "minute": round((time.monotonic() - started) / 60, 1),
                "rss_mb": round(rss_mb(pid), 1),
            }
            row |= stats.take()
            rows.append(row)
            if not args.json:
                print(" ".join(f"{k}={v}" for k, v in row.items()), flush=True)
        stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50, help="API calls per second")
    parser.add_argument("--every", type=float, default=60, help="seconds between report lines")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    env = dict(os.environ) | {
        "PORTFOLIO_RT__LOG__LEVEL": "warning",
        "PORTFOLIO_RT__LOG__FORMAT": "json",
        "PORTFOLIO_RT__AUTH__LOGIN_MAX_FAILURES": "1000",
        # The soak's sockets are spread over the five demo accounts, hundreds each, where a
        # real account has a tab or two: let them all in (the API budget stays as shipped).
        "PORTFOLIO_RT__REALTIME__MAX_SOCKETS_PER_ACCOUNT": str(max(20, args.clients)),
    }
    with service_process(ROOT, env) as (base, service):
        time.sleep(2)
        rows = asyncio.run(run(args, base, service.pid))
    warm = [r["rss_mb"] for r in rows[len(rows) // 3 :]] or [0.0]
    summary = {
        "rows": rows,
        "rss_after_warmup_min_mb": min(warm),
        "rss_after_warmup_max_mb": max(warm),
        "api_errors": sum(r["api_errors"] for r in rows),
        "ws_lost": sum(r["ws_lost"] for r in rows),
    }
    if args.json:
        print(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
    else:
        print(
            f"RSS after warm-up {summary['rss_after_warmup_min_mb']}-"
            f"{summary['rss_after_warmup_max_mb']} MB; API errors {summary['api_errors']}; "
            f"sockets lost {summary['ws_lost']}"
        )


if __name__ == "__main__":
    main()
