"""The real-time engine under load: tick throughput, push latency, memory, and the baseline.

Two processes (one process may not hold 10,000 client sockets and their 10,000 server ends
under this machine's 20,000-descriptor limit):

- the service process (this one): the real holdings index (A accounts x P positions over S
  symbols, popularity skewed like a broker's: a few ETFs held by most), the real stream reader,
  price map, revaluer, hub and the live socket handler on a loopback port;
- the load process (`--role load`, started by this one): a synthetic Alpaca stream (the same
  msgpack trade messages the sandbox sends) at `--tick-rate` and `--clients` real WebSocket
  clients, each authenticated as its own account, timing every update it receives.

`--topics value,positions` has every client also take the positions topic (subscribe after its
snapshot; connected once its `subscribed` and first, complete `positions` message are in), as
the dashboard's positions page does. The first `--large-accounts` clients' accounts hold
`--large-positions` positions each (every ETF and a popular tail: a keen investor's account)
instead of `--positions`; every position has a cost basis and a start-of-day value, so each
positions row carries all its figures.

Figures (one JSON object with `--json`):

- `ticks_per_s`: stream frames through the reader's frame handler and the price map (decode,
  store, mark dirty), while the revaluer and hub serve the connected clients in the same loop;
- `floor_ticks_per_s`: the same frames only decoded and stored in a dict (CPython's ceiling);
- `push_p50_ms` / `push_p99_ms`: tick received by the service -> update received by a client
  (the oldest tick of each push cycle; so at most one push interval plus the work);
- `positions_p50_ms` / `positions_p99_ms`: the same for the positions messages of a push cycle
  (null without the positions topic); `positions_received`: positions messages the clients
  received in the live window, `positions_off_cycle` those among them that no push cycle
  names (complete ones rendered when written, after a later one overtook a queued one);
- `bytes_per_interval`: bytes of update and positions messages (JSON payloads, all clients)
  received per push interval, split in `update_bytes_per_interval` and
  `positions_bytes_per_interval`; `positions_rows_per_interval`: position rows in them;
- `rss_mb`: peak RSS of the service process;
- `baseline_ticks_per_s`: the plan's original design at the same load — each price update scans
  every account's positions stored in Redis (pipelined HGETALLs) and revalues the holders.

Usage: python -m bench.realtime --accounts 100000 --symbols 5000 --positions 8 \\
           --tick-rate 20000 --clients 10000 --seconds 20 --json
       python -m bench.realtime --accounts 100000 --symbols 5000 --positions 8 \\
           --tick-rate 20000 --clients 10000 --topics value,positions --large-accounts 100 \\
           --seconds 20 --json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import json
import logging
import pstats
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import msgpack
import structlog
from aiohttp import ClientSession, web

from portfolio_rt.api import live
from portfolio_rt.auth.tokens import TokenService
from portfolio_rt.broker.endpoints import AlpacaEndpoints
from portfolio_rt.config import Settings, with_overrides
from portfolio_rt.core.money import money
from portfolio_rt.live.accounts import AccountFacts, market_day
from portfolio_rt.live.engine import RealtimeEngine
from portfolio_rt.live.position_figures import PositionBasis
from portfolio_rt.ops.loop_lag import LoopLagMonitor
from portfolio_rt.ops.metrics import METRICS, Metrics
from portfolio_rt.state import RUNTIME, SETTINGS, TOKENS, Runtime

from .common import SECRET, bearer_headers, free_port, percentile
from .wsclient import OnText, open_account_sockets

NAMESPACE = uuid.UUID("6f1d0c52-8a7e-4d2b-9a43-5b1c2e7f9d10")
ETFS = ["SPY", "VTI", "QQQ", "VOO", "IVV", "VXUS", "BND", "VEA", "VWO", "IWM"]
ETF_HOLDERS = [0.55, 0.40, 0.35, 0.25, 0.15, 0.15, 0.12, 0.10, 0.08, 0.08]
CAPACITY_FRAME = 500


# ---------------------------------------------------------------------------- the synthetic world


def account_id(i: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"account-{i}"))


def symbols_of(count: int) -> list[str]:
    others = [f"S{i:04d}" for i in range(len(ETFS), max(count, len(ETFS)))]
    return (ETFS + others)[:count]


def popularity(symbols: Sequence[str]) -> list[float]:
    """Zipf-like weights: the ETFs first, then a long tail."""
    return [1.0 / (rank + 1) ** 1.1 for rank in range(len(symbols))]


def base_prices(symbols: Sequence[str], seed: int) -> dict[str, float]:
    rng = random.Random(f"{seed}:prices")
    return {s: round(rng.uniform(5, 600), 2) for s in symbols}


def holdings(
    accounts: int,
    symbols: list[str],
    positions: int,
    seed: int,
    *,
    large: int = 0,
    large_positions: int = 120,
) -> dict[str, dict[str, float]]:
    """Each account: the ETFs it holds (each with its own share of holders), the rest from the
    popularity-weighted tail, `positions` symbols in all. The first `large` accounts hold
    `large_positions` each (at most every symbol): every ETF, then the tail."""
    rng = random.Random(f"{seed}:holdings")
    tail = symbols[len(ETFS) :] or symbols
    weights = popularity(tail)
    out: dict[str, dict[str, float]] = {}
    for i in range(accounts):
        held: dict[str, float] = {}
        if i < large:
            count = min(large_positions, len(set(symbols)))
            for etf in ETFS:
                if len(held) < count and etf in symbols:
                    held[etf] = round(rng.uniform(0.5, 40), 6)
        else:
            count = positions
            for etf, share in zip(ETFS, ETF_HOLDERS, strict=False):
                if len(held) < count and etf in symbols and rng.random() < share:
                    held[etf] = round(rng.uniform(0.5, 40), 6)
        while len(held) < count:
            for s in rng.choices(tail, weights=weights, k=count - len(held)):
                held.setdefault(s, round(rng.uniform(0.5, 200), 6))
        out[account_id(i)] = held
    return out


def trade_frames(symbols: list[str], frame_size: int, frames: int, seed: int) -> list[bytes]:
    """Pre-encoded msgpack frames of trade messages shaped like the sandbox stream's."""
    rng = random.Random(f"{seed}:ticks")
    prices = base_prices(symbols, seed)
    weights = popularity(symbols)
    packer = msgpack.Packer(datetime=True)
    now = datetime.now(UTC)
    out = []
    trade_id = 0
    for _ in range(frames):
        batch = []
        for symbol in rng.choices(symbols, weights=weights, k=frame_size):
            price = prices[symbol] = round(prices[symbol] * (1 + rng.gauss(0, 0.0005)), 2)
            trade_id += 1
            batch.append(
                {
                    "T": "t",
                    "S": symbol,
                    "i": trade_id,
                    "x": "V",
                    "p": price,
                    "s": 100,
                    "c": ["@"],
                    "z": "B",
                    "t": now,
                }
            )
        out.append(packer.pack(batch))
    return out


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def quiet_logs() -> None:
    logging.basicConfig(level=logging.ERROR)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))


# ---------------------------------------------------------------------------- the load process


async def run_load(args: argparse.Namespace) -> None:
    """A synthetic stream on `--feed-port` and `--clients` sockets on the service."""
    quiet_logs()
    symbols = symbols_of(args.symbols)
    per_frame = max(1, args.tick_rate // 100)
    frames = trade_frames(symbols, per_frame, 400, args.seed + 1)
    go = asyncio.Event()
    stop = asyncio.Event()
    sent = 0

    async def stream(request: web.Request) -> web.WebSocketResponse:
        nonlocal sent
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        pack = msgpack.packb
        await ws.send_bytes(pack([{"T": "success", "msg": "connected"}]))
        subscribed: set[str] = set()
        sender: asyncio.Task[None] | None = None

        async def send_ticks() -> None:
            nonlocal sent
            await go.wait()
            loop = asyncio.get_running_loop()
            next_at = loop.time()
            k = 0
            while not stop.is_set():
                next_at += 0.01
                await ws.send_bytes(frames[k % len(frames)])
                sent += per_frame
                k += 1
                await asyncio.sleep(max(0.0, next_at - loop.time()))

        try:
            async for msg in ws:
                action = msgpack.unpackb(msg.data)
                if action.get("action") == "auth":
                    await ws.send_bytes(pack([{"T": "success", "msg": "authenticated"}]))
                elif action.get("action") in ("subscribe", "unsubscribe"):
                    change = set(action.get("trades", ()))
                    if action["action"] == "subscribe":
                        subscribed |= change
                    else:
                        subscribed -= change
                    reply = {"T": "subscription", "trades": sorted(subscribed), "quotes": []}
                    await ws.send_bytes(pack([reply]))
                    if sender is None:
                        sender = asyncio.create_task(send_ticks())
        finally:
            if sender is not None:
                sender.cancel()
        return ws

    app = web.Application()
    app.router.add_get("/v2/iex", stream)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", args.feed_port).start()

    samples: list[tuple[bytes, float]] = []
    position_samples: list[tuple[bytes, float]] = []
    received = {"update_bytes": 0, "positions_bytes": 0, "positions_rows": 0}
    connected = 0
    snapshots = asyncio.Event()
    topics = args.topics.split(",")
    subscribe = (
        json.dumps({"type": "subscribe", "topics": ["positions"]}).encode()
        if "positions" in topics
        else None
    )

    def receiver() -> OnText:
        """One client's handler: its first message must be the snapshot (answered with the
        subscribe, with the positions topic); with positions, it is connected once the
        `subscribed` and a complete `positions` message are in. Then, in the live window, every
        update's and positions message's `as_of` (which names its push cycle), arrival time and
        size are kept: byte prefixes and searches, nothing parsed."""
        state = 0  # 0: awaiting the snapshot, 1: `subscribed`, 2: complete positions, 3: live

        def on_text(data: bytes, arrived: float) -> bytes | None:
            nonlocal state, connected
            if state == 3:
                if not go.is_set() or stop.is_set():
                    return None
                if data.startswith(b'{"type":"update"'):
                    at = data.index(b'"as_of":"') + 9
                    samples.append((data[at : data.index(b'"', at)], arrived))
                    received["update_bytes"] += len(data)
                elif data.startswith(b'{"type":"positions"'):
                    at = data.rindex(b'"as_of":"') + 9  # the last member: after the rows
                    position_samples.append((data[at : data.index(b'"', at)], arrived))
                    received["positions_bytes"] += len(data)
                    received["positions_rows"] += data.count(b'"symbol":')
                return None
            if data.startswith(b'{"type":"error"'):
                print(f"error before live: {data[:200]!r}", file=sys.stderr)
                return None
            if state == 0:
                if not data.startswith(b'{"type":"snapshot"'):
                    print(f"first message was not a snapshot: {data[:200]!r}", file=sys.stderr)
                    state = -1  # never counted
                    return None
                state = 1 if subscribe is not None else 3
            elif state == 1 and data.startswith(b'{"type":"subscribed"'):
                state = 2
                return None
            elif state == 2 and data.startswith(b'{"type":"positions","complete":true'):
                state = 3
            else:
                return None  # an update or status before the client is connected
            if state == 3:
                connected += 1
                if connected == args.clients:
                    snapshots.set()
                return None
            return subscribe

        return on_text

    started = time.monotonic()
    opening = asyncio.create_task(
        open_account_sockets(
            args.service_port,
            [account_id(i) for i in range(args.clients)],
            bearer_headers,
            lambda _account: receiver(),
        )
    )
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(300):
            await snapshots.wait()
    connect_s = time.monotonic() - started
    gc.collect()
    gc.freeze()  # the clients live for the whole run: no collection should walk them
    print(f"READY {connected} {connect_s:.1f}", flush=True)
    go.set()
    await asyncio.sleep(args.seconds)
    stop.set()
    await asyncio.sleep(0.5)
    Path(args.out).write_text(  # noqa: ASYNC240 - once, after the run
        json.dumps(
            {
                "samples": [(as_of.decode(), at) for as_of, at in samples],
                "position_samples": [(as_of.decode(), at) for as_of, at in position_samples],
                **received,
                "connected": connected,
                "connect_s": connect_s,
                "ticks_sent": sent,
                "rss_mb": rss_mb(),
            }
        )
    )
    print("DONE", flush=True)
    for ws in await opening:
        ws.close()
    await runner.cleanup()


# ---------------------------------------------------------------------------- the service process


class Service:
    """The real engine and live socket on a loopback port, fed by the load process's stream."""

    def __init__(self, args: argparse.Namespace, feed_port: int) -> None:
        self.args = args
        settings = with_overrides(
            Settings(),
            realtime={
                "push_interval_s": args.push_interval,
                "push_phases": args.push_phases,
                "heartbeat_s": 60.0,
            },
            stream={
                "crypto": False,
                "reconnect_base_delay_s": 0.05,
                "reconnect_max_delay_s": 0.5,
                "silence_timeout_s": 3600.0,
            },
            events={"enabled": False},  # prices only here; bench/events.py measures events
        )
        self.settings = settings
        self.feed_port = feed_port
        self.cash = Decimal("1000.00")
        self.prices = {
            s: Decimal(repr(p)) for s, p in base_prices(symbols_of(args.symbols), args.seed).items()
        }
        self.cycles: dict[datetime, tuple[float, float, float, int]] = {}
        """as_of → (oldest tick, flush start, flush end, updates pushed), every cycle with
        moved prices (one that pushed positions messages may have pushed no update)."""
        self.metrics = Metrics()

    async def load_account(self, account: str, fresh: bool) -> AccountFacts:
        positions = dict(self.engine.index.positions(account))
        bases = {}
        for symbol, qty in positions.items():
            at_start = Decimal(repr(qty)) * self.prices.get(symbol, Decimal(100))
            bases[symbol] = PositionBasis.of(money(at_start * Decimal("0.9")), money(at_start))
        return AccountFacts(
            cash=self.cash,
            last_equity=Decimal("10000.00"),
            flows_today=Decimal(0),
            day=market_day(),
            positions=positions,
            prices={},
            bases=bases,
        )

    async def start(self, session: ClientSession, accounts: dict[str, dict[str, float]]) -> int:
        endpoints = AlpacaEndpoints(
            broker_url="http://127.0.0.1:9",
            data_url="http://127.0.0.1:9",
            stream_url=f"ws://127.0.0.1:{self.feed_port}/v2/iex",
            crypto_stream_url=f"ws://127.0.0.1:{self.feed_port}/v1beta3/crypto/us",
            api_key="bench",
            secret_key="bench",
        )
        self.engine = engine = RealtimeEngine(
            self.settings,
            gateway=None,
            session=session,
            endpoints=endpoints,
            loader=self.load_account,
            metrics=self.metrics,
        )
        await engine.index.replace_all(accounts)
        symbols = symbols_of(self.args.symbols)
        engine.index.note_prices(base_prices(symbols, self.args.seed).items())
        engine.sync_subscriptions()

        def on_cycle(oldest: float, started: float, as_of: datetime, pushed: int) -> None:
            self.cycles[as_of] = (oldest, started, time.monotonic(), pushed)

        engine.revaluer.on_cycle = on_cycle
        app = web.Application()
        app[SETTINGS] = self.settings
        app[METRICS] = self.metrics
        app[TOKENS] = TokenService(self.settings.auth, SECRET)
        app[RUNTIME] = Runtime(realtime=engine)
        live.setup(app)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=2)
        await self.runner.setup()
        port = free_port()
        await web.TCPSite(self.runner, "127.0.0.1", port, backlog=4096).start()
        await engine.start()
        return port

    async def close(self) -> None:
        await self.engine.close()
        await self.runner.cleanup()


async def capacity(service: Service, frames: list[bytes]) -> float:
    """Frames through the reader's handler while the engine runs (its flusher and the hub's
    writers get the loop every 5 ms); ticks per second of this process's CPU time."""
    reader = service.engine.feed.readers["stocks"]  # type: ignore[union-attr]
    handle = reader.handle_frame
    clock = time.process_time
    messages = 0
    started = clock()
    slice_start = time.perf_counter()
    for frame in frames:
        handle(frame)
        messages += CAPACITY_FRAME
        if time.perf_counter() - slice_start > 0.005:
            await asyncio.sleep(0)
            slice_start = time.perf_counter()
    return messages / (clock() - started)


def floor(frames: list[bytes]) -> float:
    """The same frames only decoded and stored in a dict; ticks per second of CPU time."""
    unpack = msgpack.unpackb
    prices: dict[str, float] = {}
    started = time.process_time()
    for frame in frames:
        for m in unpack(frame):
            prices[m["S"]] = m["p"]
    return len(frames) * CAPACITY_FRAME / (time.process_time() - started)


def baseline(accounts: dict[str, dict[str, float]], symbols: list[str], seed: int) -> float | None:
    """The plan's design: on every price update, read every account's positions from Redis
    (pipelined HGETALL, 1,000 a round trip) and revalue the holders of that symbol."""
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    import redis as redis_sync  # the plan's calculator was synchronous

    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        server = subprocess.Popen(  # noqa: S603 - fixed argument list
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", workdir],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            client = redis_sync.Redis(port=port)
            for _ in range(100):
                with contextlib.suppress(Exception):
                    if client.ping():
                        break
                time.sleep(0.05)
            pipe = client.pipeline(transaction=False)
            for n, (acct, held) in enumerate(accounts.items()):
                pipe.hset(f"pos:{acct}", mapping=held)  # type: ignore[arg-type]
                if n % 1000 == 999:
                    pipe.execute()
            pipe.execute()
            ids = list(accounts)
            prices = base_prices(symbols, seed)
            rng = random.Random(seed)
            updates = 0
            started = time.perf_counter()
            budget = 10.0
            while updates < 3 and (updates == 0 or time.perf_counter() - started < budget):
                symbol = rng.choice(symbols[:50])
                prices[symbol] *= 1.001
                values = {}
                for i in range(0, len(ids), 1000):
                    pipe = client.pipeline(transaction=False)
                    for acct in ids[i : i + 1000]:
                        pipe.hgetall(f"pos:{acct}")
                    for acct, raw in zip(ids[i : i + 1000], pipe.execute(), strict=True):
                        if symbol.encode() in raw:
                            values[acct] = sum(
                                float(q) * prices[s.decode()] for s, q in raw.items()
                            )
                updates += 1
            return updates / (time.perf_counter() - started)
        finally:
            server.terminate()
            server.wait(10)


async def run_service(args: argparse.Namespace) -> dict[str, Any]:
    quiet_logs()
    symbols = symbols_of(args.symbols)
    built = time.perf_counter()
    accounts = holdings(
        args.accounts,
        symbols,
        args.positions,
        args.seed,
        large=args.large_accounts,
        large_positions=args.large_positions,
    )
    build_s = time.perf_counter() - built
    capacity_frames = trade_frames(
        symbols, CAPACITY_FRAME, max(1, args.capacity_messages // CAPACITY_FRAME), args.seed + 2
    )
    feed_port = free_port()
    service = Service(args, feed_port)
    out_file = Path(tempfile.mkstemp(prefix="bench-realtime-", suffix=".json")[1])
    result: dict[str, Any] = {}
    async with ClientSession() as session:
        port = await service.start(session, accounts)
        load = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.realtime",
            "--role",
            "load",
            "--service-port",
            str(port),
            "--feed-port",
            str(feed_port),
            "--symbols",
            str(args.symbols),
            "--tick-rate",
            str(args.tick_rate),
            "--clients",
            str(args.clients),
            "--seconds",
            str(args.seconds),
            "--seed",
            str(args.seed),
            "--topics",
            args.topics,
            "--out",
            str(out_file),
            stdout=asyncio.subprocess.PIPE,
        )
        assert load.stdout is not None
        ready = (await load.stdout.readline()).decode().split()
        if args.gc_freeze:
            # What a long-running instance does after start-up: the index and the sockets are
            # long-lived; keep the cyclic GC from re-scanning them on every full collection.
            gc.collect()
            gc.freeze()
        collections_before = sum(s["collections"] for s in gc.get_stats())
        ticks_before = service.engine.prices.ticks
        lags: list[float] = []  # how late a 10 ms timer fired: what an API call would wait
        lag = LoopLagMonitor(lambda late: lags.append(late * 1000), every_s=0.01)
        lag.start()
        live_started = time.monotonic()
        profiler = cProfile.Profile() if args.profile else None
        if profiler is not None:
            profiler.enable()
        done = await load.stdout.readline()
        live_s = time.monotonic() - live_started
        await lag.close()
        if profiler is not None:
            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
        ticks_live = service.engine.prices.ticks - ticks_before
        gc_runs = sum(s["collections"] for s in gc.get_stats()) - collections_before
        if not done.startswith(b"DONE"):
            raise RuntimeError(f"load process failed: {ready} {done!r}")
        await load.wait()
        # alternate the two, best of three each: the machine is shared, the CPU clock noisy
        ticks_runs, floor_runs = [], []
        for _ in range(3):
            ticks_runs.append(await capacity(service, capacity_frames))
            floor_runs.append(floor(capacity_frames))
        ticks_per_s, floor_ticks = max(ticks_runs), max(floor_runs)
        await service.close()
    report = json.loads(out_file.read_text())  # noqa: ASYNC240 - after the run
    out_file.unlink()  # noqa: ASYNC240
    latencies, processing, position_latencies = [], [], []
    flushes = [(end - start) * 1000 for _, start, end, pushed in service.cycles.values() if pushed]
    for as_of_text, received in report["samples"]:
        cycle = service.cycles.get(datetime.fromisoformat(as_of_text.replace("Z", "+00:00")))
        if cycle is not None:
            latencies.append((received - cycle[0]) * 1000)
            processing.append((received - cycle[1]) * 1000)
    for as_of_text, received in report["position_samples"]:
        cycle = service.cycles.get(datetime.fromisoformat(as_of_text.replace("Z", "+00:00")))
        if cycle is not None:
            position_latencies.append((received - cycle[0]) * 1000)
    with_positions = "positions" in args.topics.split(",")
    intervals = args.seconds / args.push_interval
    pushed_bytes = report["update_bytes"] + report["positions_bytes"]

    def ms(values: list[float], q: float) -> float | None:
        return round(percentile(values, q), 1) if with_positions else None

    result = {
        "accounts": args.accounts,
        "symbols": args.symbols,
        "positions": args.positions,
        "tick_rate": args.tick_rate,
        "clients": report["connected"],
        "seconds": args.seconds,
        "push_interval_s": args.push_interval,
        "push_phases": args.push_phases,
        "topics": args.topics,
        "large_accounts": args.large_accounts,
        "large_positions": args.large_positions if args.large_accounts else None,
        "ticks_per_s": round(ticks_per_s),
        "floor_ticks_per_s": round(floor_ticks),
        "ticks_ratio_to_floor": round(ticks_per_s / floor_ticks, 3),
        "push_p50_ms": round(percentile(latencies, 0.50), 1),
        "push_p99_ms": round(percentile(latencies, 0.99), 1),
        "push_p99_beyond_interval_ms": round(
            percentile(latencies, 0.99) - args.push_interval * 1000, 1
        ),
        "push_p99_after_flush_ms": round(percentile(processing, 0.99), 1),
        "flush_p50_ms": round(percentile(flushes, 0.50), 1),
        "flush_p99_ms": round(percentile(flushes, 0.99), 1),
        "updates_received": len(latencies),
        "updates_per_client_per_s": round(
            len(latencies) / max(1, report["connected"]) / args.seconds, 2
        ),
        "positions_p50_ms": ms(position_latencies, 0.50),
        "positions_p99_ms": ms(position_latencies, 0.99),
        "positions_received": len(report["position_samples"]),
        "positions_off_cycle": len(report["position_samples"]) - len(position_latencies),
        "bytes_per_interval": round(pushed_bytes / intervals),
        "update_bytes_per_interval": round(report["update_bytes"] / intervals),
        "positions_bytes_per_interval": round(report["positions_bytes"] / intervals),
        "positions_rows_per_interval": round(report["positions_rows"] / intervals, 1),
        "live_ticks_per_s": round(ticks_live / live_s),
        "loop_lag_p99_ms": round(percentile(lags, 0.99), 1),
        "loop_lag_max_ms": round(max(lags, default=float("nan")), 1),
        "gc_collections_live": gc_runs,
        "rss_mb": round(rss_mb(), 1),
        "load_process_rss_mb": round(report["rss_mb"], 1),
        "index_build_s": round(build_s, 1),
        "clients_connect_s": round(report["connect_s"], 1),
    }
    if args.baseline:
        base = baseline(accounts, symbols, args.seed)
        result["baseline_ticks_per_s"] = round(base, 3) if base is not None else None
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.realtime", description=__doc__)
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--symbols", type=int, default=5_000)
    parser.add_argument("--positions", type=int, default=8)
    parser.add_argument("--tick-rate", type=int, default=20_000, help="trades per second")
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument(
        "--topics",
        default="value",
        help="the clients' topics, a comma list of value (always on) and positions",
    )
    parser.add_argument(
        "--large-accounts",
        type=int,
        default=0,
        help="the first N accounts (the first N clients') hold --large-positions positions each",
    )
    parser.add_argument("--large-positions", type=int, default=120)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--push-interval", type=float, default=1.0)
    parser.add_argument("--push-phases", type=int, default=10, help="realtime.push_phases")
    parser.add_argument(
        "--capacity-messages",
        type=int,
        default=1_000_000,
        help="trades pushed through the price path for ticks_per_s and its floor",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-baseline", dest="baseline", action="store_false")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--no-gc-freeze",
        dest="gc_freeze",
        action="store_false",
        help="leave the long-lived objects in the collected generations",
    )
    parser.add_argument("--role", choices=("service", "load"), default="service")
    parser.add_argument("--service-port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--feed-port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--out", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    topics = [t.strip() for t in args.topics.split(",") if t.strip()]
    if "value" not in topics or not set(topics) <= {"value", "positions"}:
        parser.error("--topics: value, optionally with positions (value,positions)")
    args.topics = ",".join(dict.fromkeys(topics))
    if args.role == "load":
        asyncio.run(run_load(args))
        return
    result = asyncio.run(run_service(args))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>28}: {value}")


if __name__ == "__main__":
    main()
