"""Broker events under load: fill-to-push latency, and broker calls per hour against polling.

Part 1, measured (two processes, as bench/realtime.py: one process may not hold 10,000 client
sockets and their server ends):

- the service process (this one): the real engine, live socket and events consumer, reading
  a trade-events stream (server-sent events, Alpaca's TradeUpdateEventV2 shape) served on a
  loopback port from this process, which emits `--fills-per-s` fills for the connected
  accounts; each fill is priced 2% under the account's valuation price and the account's
  facts (cash, positions) answered accordingly, so its Total value moves;
- the load process (`--role load`): `--clients` WebSocket clients, one per account, noting
  when each `changed` and `update` message arrives.

`fill_to_push` is from a fill's time to the first value update its account's client receives
after it; targets: p99 under `push_interval` + 500 ms.

Part 2, the broker calls per hour of `--instances` instances at `--model-accounts` accounts,
today's polling design against the event-driven one, side by side. Each design's calls are
its schedule times the cost of each operation, and the costs are measured here on the real
code against the sandbox: the pages of one holdings collection (`collect_once` over
`--model-accounts` accounts at the sandbox's page size), the reads of one account load
(`load_account`) and of one cash read (`load_cash`). Polling: every instance collects every
`collector_interval_s` and loads each of its watched accounts every `account_refresh_s`.
Events: the leader reconciles every `reconcile_interval_s`; each instance reads its watched
accounts' cash every `reconcile_interval_s`, once per fill of one of them (the event carries
the position), and loads them whole once a day; the leader holds three event streams open
(one request each, reconnects aside). Both poll the market clock. Target: at least 10x fewer
calls.

    python -m bench.events --accounts 10000 --clients 10000 --fills-per-s 100 --seconds 20 --json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from aiohttp import ClientSession, web

from portfolio_rt.api import live
from portfolio_rt.auth.tokens import TokenService
from portfolio_rt.broker.endpoints import AlpacaEndpoints
from portfolio_rt.config import Settings, with_overrides
from portfolio_rt.live.accounts import AccountFacts, load_account, load_cash, market_day
from portfolio_rt.live.collector import SymbolCollector
from portfolio_rt.live.engine import RealtimeEngine
from portfolio_rt.live.holdings import HoldingsIndex
from portfolio_rt.ops.metrics import METRICS, Metrics
from portfolio_rt.sandbox.broker_api import BULK_POSITIONS_PAGE_SIZE
from portfolio_rt.sandbox.ulid import UlidFactory
from portfolio_rt.state import RUNTIME, SETTINGS, TOKENS, Runtime

from .common import SECRET, bearer_headers, free_port, percentile
from .realtime import account_id, base_prices, holdings, quiet_logs, rss_mb, symbols_of
from .wsclient import open_account_sockets

# ---------------------------------------------------------------------------- part 1: load


async def run_load(args: argparse.Namespace) -> None:
    """`--clients` sockets on the service, noting each `changed`/`update` arrival (wall time)."""
    quiet_logs()
    arrivals: dict[str, list[tuple[str, float]]] = {}
    connected = 0
    everyone = asyncio.Event()
    go = asyncio.Event()

    def receiver(acct: str):  # type: ignore[no-untyped-def]
        seen = arrivals.setdefault(acct, [])
        first = True

        def on_text(data: bytes, _arrived: float) -> None:
            nonlocal first, connected
            if first:
                first = False
                connected += 1
                if connected == args.clients:
                    everyone.set()
                return
            if go.is_set():
                kind = "update" if data.startswith(b'{"type":"update"') else "changed"
                if kind == "update" or data.startswith(b'{"type":"changed"'):
                    seen.append((kind, time.time()))

        return on_text

    opening = asyncio.create_task(
        open_account_sockets(
            args.service_port,
            [account_id(i) for i in range(args.clients)],
            bearer_headers,
            receiver,
        )
    )
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(300):
            await everyone.wait()
    gc.collect()
    gc.freeze()
    go.set()
    print(f"READY {connected}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # until told
    Path(args.out).write_text(json.dumps({"arrivals": arrivals, "connected": connected}))  # noqa: ASYNC240
    print("DONE", flush=True)
    for ws in await opening:
        ws.close()


# ---------------------------------------------------------------------------- part 1: service


class Broker:
    """The accounts' facts as a broker keeps them, and the trade events it emits."""

    def __init__(self, accounts: dict[str, dict[str, float]], prices: dict[str, float]) -> None:
        self.positions = {a: dict(p) for a, p in accounts.items()}
        self.cash = dict.fromkeys(accounts, Decimal("5000.00"))
        self.prices = prices
        self.ulids = UlidFactory("bench-events")
        self.fills: dict[str, float] = {}
        """account → wall time of its fill."""
        self.queues: list[asyncio.Queue[bytes]] = []

    async def read_cash(self, account: str) -> tuple[Decimal, Decimal]:
        return self.cash[account], Decimal("10000.00")

    async def facts(self, account: str, _fresh: bool) -> AccountFacts:
        return AccountFacts(
            cash=self.cash[account],
            last_equity=Decimal("10000.00"),
            flows_today=Decimal(0),
            day=market_day(),
            positions=dict(self.positions[account]),
            prices={},
        )

    def fill(self, account: str) -> None:
        """One share more of the account's first holding, 2% under its valuation price."""
        symbol = next(iter(self.positions[account]))
        price = Decimal(str(self.prices[symbol])) * Decimal("0.98")
        qty = self.positions[account][symbol] + 1
        self.positions[account][symbol] = qty
        self.cash[account] -= price.quantize(Decimal("0.01"))
        now = datetime.now(UTC)
        self.fills[account] = now.timestamp()
        body = {
            "account_id": account,
            "at": now.isoformat().replace("+00:00", "Z"),
            "event": "fill",
            "event_id": self.ulids.make(now),
            "execution_id": str(uuid.uuid4()),
            "order": {"symbol": symbol, "side": "buy", "status": "filled"},
            "position_qty": repr(qty),
            "price": str(price),
            "qty": "1",
            "timestamp": now.isoformat().replace("+00:00", "Z"),
        }
        frame = b"data: " + orjson.dumps(body) + b"\n\n"
        for queue in self.queues:
            queue.put_nowait(frame)

    async def trades(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.queues.append(queue)
        try:
            while True:
                try:
                    frame = await asyncio.wait_for(queue.get(), 5)
                except TimeoutError:
                    frame = b": heartbeat\n\n"
                await response.write(frame)
        except ConnectionError:  # the consumer went away (the run is over)
            return response
        finally:
            self.queues.remove(queue)

    async def quiet(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):
            while True:
                await asyncio.sleep(5)
                await response.write(b": heartbeat\n\n")
        return response


async def measure_latency(args: argparse.Namespace) -> dict[str, Any]:
    quiet_logs()
    symbols = symbols_of(args.symbols)
    accounts = holdings(args.accounts, symbols, args.positions, args.seed)
    prices = base_prices(symbols, args.seed)
    broker = Broker(accounts, prices)
    events_app = web.Application()
    events_app.router.add_get("/v2/events/trades", broker.trades)
    events_app.router.add_get("/v2/events/funding/status", broker.quiet)
    events_app.router.add_get("/v1/events/nta", broker.quiet)
    events_runner = web.AppRunner(events_app, access_log=None, shutdown_timeout=0.5)
    await events_runner.setup()
    events_port = free_port()
    await web.TCPSite(events_runner, "127.0.0.1", events_port).start()

    settings = with_overrides(
        Settings(),
        realtime={"push_interval_s": args.push_interval, "heartbeat_s": 60.0},
        stream={"enabled": False},
    )
    metrics = Metrics()
    endpoints = AlpacaEndpoints(
        broker_url=f"http://127.0.0.1:{events_port}",
        data_url=f"http://127.0.0.1:{events_port}",
        stream_url="ws://127.0.0.1:9/v2/iex",
        crypto_stream_url="ws://127.0.0.1:9/v1beta3/crypto/us",
        api_key="bench",
        secret_key="bench",
    )
    out_file = Path(tempfile.mkstemp(prefix="bench-events-", suffix=".json")[1])
    async with ClientSession() as session:
        engine = RealtimeEngine(
            settings,
            gateway=None,
            session=session,
            endpoints=endpoints,
            loader=broker.facts,
            cash_loader=broker.read_cash,
            metrics=metrics,
        )
        await engine.index.replace_all(accounts)
        engine.index.note_prices(prices.items())
        app = web.Application()
        app[SETTINGS] = settings
        app[METRICS] = metrics
        app[TOKENS] = TokenService(settings.auth, SECRET)
        app[RUNTIME] = Runtime(realtime=engine)
        live.setup(app)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port, backlog=4096).start()
        await engine.start()
        load = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.events",
            "--role",
            "load",
            "--service-port",
            str(port),
            "--clients",
            str(args.clients),
            "--out",
            str(out_file),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert load.stdout is not None
        assert load.stdin is not None
        ready = (await load.stdout.readline()).decode().split()
        gc.collect()
        gc.freeze()
        async with asyncio.timeout(30):
            while not (engine.events is not None and engine.events.healthy):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        order = [account_id(i) for i in range(args.clients)]
        random.Random(args.seed).shuffle(order)
        interval = 1.0 / args.fills_per_s
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        fills = min(len(order), int(args.fills_per_s * args.seconds))
        for account in order[:fills]:
            broker.fill(account)
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - loop.time()))
        await asyncio.sleep(args.push_interval + 2)
        load.stdin.write(b"stop\n")
        await load.stdin.drain()
        done = await load.stdout.readline()
        await load.wait()
        applied = engine.events.applied_count if engine.events is not None else 0
        await engine.close()
        await runner.cleanup()
    await events_runner.cleanup()
    if not done.startswith(b"DONE"):
        raise RuntimeError(f"load process failed: {ready} {done!r}")
    report = json.loads(out_file.read_text())  # noqa: ASYNC240
    out_file.unlink()  # noqa: ASYNC240
    to_changed, to_push = [], []
    for account, filled_at in broker.fills.items():
        seen = report["arrivals"].get(account, [])
        changed = [t for kind, t in seen if kind == "changed" and t >= filled_at]
        pushed = [t for kind, t in seen if kind == "update" and t >= filled_at]
        if changed:
            to_changed.append((changed[0] - filled_at) * 1000)
        if pushed:
            to_push.append((pushed[0] - filled_at) * 1000)
    return {
        "accounts": args.accounts,
        "clients": report["connected"],
        "fills_per_s": args.fills_per_s,
        "fills": len(broker.fills),
        "events_applied": applied,
        "push_interval_s": args.push_interval,
        "fill_to_changed_p50_ms": round(percentile(to_changed, 0.5), 1),
        "fill_to_changed_p99_ms": round(percentile(to_changed, 0.99), 1),
        "fill_to_push_p50_ms": round(percentile(to_push, 0.5), 1),
        "fill_to_push_p99_ms": round(percentile(to_push, 0.99), 1),
        "fills_pushed": len(to_push),
        "rss_mb": round(rss_mb(), 1),
    }


# ---------------------------------------------------------------------------- part 2: calls


class CountingPages:
    """A gateway that answers the bulk positions call for `accounts` accounts, counting it."""

    def __init__(self, accounts: int, page_size: int) -> None:
        self.accounts = accounts
        self.page_size = page_size
        self.calls = 0

    async def all_positions_page(self, page: int) -> Any:
        self.calls += 1
        start = (page - 1) * self.page_size
        count = max(0, min(self.page_size, self.accounts - start))
        positions = {
            uuid.UUID(int=start + i + 1): [_Position("SPY", "1", "500")] for i in range(count)
        }
        return _Page(positions)


class _Position:
    def __init__(self, symbol: str, qty: str, price: str) -> None:
        self.symbol, self.qty, self.current_price = symbol, qty, price


class _Page:
    def __init__(self, positions: dict[uuid.UUID, list[_Position]]) -> None:
        self.positions = positions


async def calls_of_loads() -> tuple[int, int]:
    """The broker calls `load_account` and `load_cash` make for one account, counted against
    the sandbox."""
    from portfolio_rt.app import create_app
    from portfolio_rt.sandbox.app import serve_sandbox
    from portfolio_rt.sandbox.world import Sandbox
    from tests.fixtures.settings import sandbox_config, service_settings

    sandbox = Sandbox.build(sandbox_config(trades_per_second=0.0))
    async with serve_sandbox(sandbox) as running:
        settings = service_settings(running, events={"enabled": False}, stream={"enabled": False})
        app = create_app(settings)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        try:
            gateway = app[RUNTIME].gateway
            maya = str(sandbox.personas["maya"])
            before = gateway.http.calls
            await load_account(gateway, maya, fresh=True)
            whole = gateway.http.calls - before
            before = gateway.http.calls
            await load_cash(gateway, maya)
            return whole, gateway.http.calls - before
        finally:
            await runner.cleanup()


async def pages_of_one_collection(accounts: int) -> int:
    pages = CountingPages(accounts, BULK_POSITIONS_PAGE_SIZE)
    collector = SymbolCollector(lambda: pages, HoldingsIndex(), 60.0, lambda _changed: None)  # type: ignore[arg-type, return-value]
    await collector.collect_once()
    return pages.calls


def model_calls(
    args: argparse.Namespace, settings: Settings, pages: int, load_calls: int, cash_calls: int
) -> dict[str, Any]:
    rt = settings.realtime
    hour = 3600.0
    watched = args.model_watched / args.instances
    clock = hour / settings.stream.clock_poll_s
    fills_per_hour = args.model_fills_per_s * hour
    watched_share = args.model_watched / args.model_accounts
    polling_each = hour / rt.collector_interval_s * pages
    polling_each += watched * hour / rt.account_refresh_s * load_calls
    polling = args.instances * (polling_each + clock)
    events = hour / rt.reconcile_interval_s * pages  # the leader's reconciliation
    events += args.instances * watched * hour / rt.reconcile_interval_s * cash_calls
    events += fills_per_hour * watched_share * cash_calls  # a fill of a watched account
    events += args.model_watched * load_calls / 24  # a whole load once a day
    events += 3 + args.instances * clock  # the event streams, the market clock
    return {
        "model_accounts": args.model_accounts,
        "instances": args.instances,
        "watched_accounts": args.model_watched,
        "fills_per_s": args.model_fills_per_s,
        "pages_per_collection": pages,
        "calls_per_account_load": load_calls,
        "calls_per_cash_read": cash_calls,
        "polling_calls_per_hour": round(polling),
        "events_calls_per_hour": round(events),
        "ratio": round(polling / events, 1),
    }


# ---------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.events", description=__doc__)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--symbols", type=int, default=2_000)
    parser.add_argument("--positions", type=int, default=8)
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--fills-per-s", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--push-interval", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--model-accounts", type=int, default=100_000)
    parser.add_argument("--model-watched", type=int, default=10_000, help="connected accounts")
    parser.add_argument("--model-fills-per-s", type=float, default=100.0)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--role", choices=("service", "load"), default="service")
    parser.add_argument("--service-port", type=int, default=0)
    parser.add_argument("--out", default="")
    args = parser.parse_args(argv)
    if args.role == "load":
        asyncio.run(run_load(args))
        return
    latency = asyncio.run(measure_latency(args))
    settings = Settings()
    pages = asyncio.run(pages_of_one_collection(args.model_accounts))
    load_calls, cash_calls = asyncio.run(calls_of_loads())
    calls = model_calls(args, settings, pages, load_calls, cash_calls)
    result = {"latency": latency, "broker_calls": calls}
    if args.json:
        print(json.dumps(result))
        return
    for part, figures in result.items():
        print(part)
        for key, value in figures.items():
            print(f"  {key:>28}: {value}")


if __name__ == "__main__":
    main()
