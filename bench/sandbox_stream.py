"""Throughput of the sandbox's market-data stream, measured with one raw aiohttp client.

Two figures per wire format (msgpack, as alpaca-py speaks, and JSON):

- live: the ticker runs at a very high `trades_per_second` (trade + quote each), the client
  subscribes to trades and quotes of every symbol and counts the messages it decodes. This is
  bounded by generating ticks on the market's price path.
- firehose: the same with the ticker's benchmark mode (each symbol priced once per tick and
  copied), so generation costs little and the stream path dominates.
- publish: the ticker is idle and a prepared batch of real trades and quotes is pushed through
  it over and over; this is what the stream itself can encode, frame and send to one client
  (and the client decode, in the same process).

Usage: python -m bench.sandbox_stream [--seconds N] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import msgpack
import orjson
import structlog
from aiohttp import ClientSession, ClientWebSocketResponse, WSMsgType

from portfolio_rt.sandbox.app import RunningSandbox, run_sandbox
from portfolio_rt.sandbox.market import Quote, Trade
from portfolio_rt.sandbox.settings import SandboxConfig

KEY = "bench-key"
SECRET = "bench-secret"  # noqa: S105 - a sandbox credential
LIVE_TRADES_PER_SECOND = 200_000.0
PUBLISH_BATCH = 5_000


class Counter:
    """Messages decoded by the client so far."""

    def __init__(self) -> None:
        self.messages = 0
        self.frames = 0
        self.progress = asyncio.Event()


async def _connect(running: RunningSandbox, fmt: str, session: ClientSession) -> Any:
    headers = {"Content-Type": "application/msgpack"} if fmt == "msgpack" else {}
    ws = await session.ws_connect(running.stream_url, headers=headers, max_msg_size=0)
    await _control(ws, fmt)
    auth = {"action": "auth", "key": KEY, "secret": SECRET}
    sub = {"action": "subscribe", "trades": ["*"], "quotes": ["*"]}
    for action in (auth, sub):
        if fmt == "msgpack":
            await ws.send_bytes(msgpack.packb(action))
        else:
            await ws.send_str(json.dumps(action))
        await _control(ws, fmt)
    return ws


async def _control(ws: ClientWebSocketResponse, fmt: str) -> None:
    """Read until a control message arrives (data may come first after subscribing)."""
    while True:
        msg = await ws.receive(timeout=10)
        messages = msgpack.unpackb(msg.data) if fmt == "msgpack" else orjson.loads(msg.data)
        if any(m["T"] in ("success", "subscription") for m in messages):
            return
        if any(m["T"] == "error" for m in messages):
            raise RuntimeError(messages)


async def _read(ws: ClientWebSocketResponse, fmt: str, counter: Counter) -> None:
    unpack = msgpack.unpackb
    loads = orjson.loads
    while True:
        msg = await ws.receive()
        if msg.type is WSMsgType.BINARY:
            batch = unpack(msg.data)
        elif msg.type is WSMsgType.TEXT:
            batch = loads(msg.data)
        else:
            return
        counter.messages += len(batch)
        counter.frames += 1
        counter.progress.set()


async def _measure(counter: Counter, seconds: float) -> tuple[float, float]:
    await asyncio.sleep(0.5)  # warm up: first price paths, first frames
    start_m, start_f, start_t = counter.messages, counter.frames, time.perf_counter()
    await asyncio.sleep(seconds)
    elapsed = time.perf_counter() - start_t
    return (counter.messages - start_m) / elapsed, (counter.messages - start_m) / max(
        1, counter.frames - start_f
    )


async def live(
    running: RunningSandbox, fmt: str, seconds: float, firehose: bool = False
) -> dict[str, float]:
    """Messages/s a client receives from the live ticker at a very high rate."""
    ticker = running.sandbox.ticker
    ticker.firehose = firehose
    ticker.trades_per_second = LIVE_TRADES_PER_SECOND
    async with ClientSession() as session:
        ws = await _connect(running, fmt, session)
        counter = Counter()
        reader = asyncio.create_task(_read(ws, fmt, counter))
        rate, per_frame = await _measure(counter, seconds)
        ticker.trades_per_second = 0.0
        ticker.firehose = False
        await ws.close()
        reader.cancel()
    return {"messages_per_s": rate, "messages_per_frame": per_frame}


def _prepared_batch(running: RunningSandbox) -> list[Trade | Quote]:
    market = running.sandbox.market
    now = running.sandbox.now()
    symbols = [i.symbol for i in market.universe if i.asset_class != "crypto"]
    batch: list[Trade | Quote] = []
    for k in range(PUBLISH_BATCH // 2):
        symbol = symbols[k % len(symbols)]
        t = now - timedelta(microseconds=PUBLISH_BATCH - k)
        batch.append(market.quote_at(symbol, t))
        batch.append(market.trade_at(symbol, t))
    return batch


async def publish(running: RunningSandbox, fmt: str, seconds: float) -> dict[str, float]:
    """Messages/s the stream encodes and sends when fed prepared batches as fast as possible."""
    ticker = running.sandbox.ticker
    ticker.trades_per_second = 0.0
    batch = _prepared_batch(running)
    async with ClientSession() as session:
        ws = await _connect(running, fmt, session)
        counter = Counter()
        reader = asyncio.create_task(_read(ws, fmt, counter))
        published = 0
        stop = time.perf_counter() + seconds + 0.5

        async def feed() -> None:
            nonlocal published
            while time.perf_counter() < stop:
                # keep two batches in flight: the writer never idles, the queue never overflows
                while published - counter.messages > 2 * len(batch):
                    counter.progress.clear()
                    await counter.progress.wait()
                ticker.publish(batch)
                published += len(batch)
                await asyncio.sleep(0)

        feeder = asyncio.create_task(feed())
        rate, per_frame = await _measure(counter, seconds)
        await feeder
        await ws.close()
        reader.cancel()
    return {"messages_per_s": rate, "messages_per_frame": per_frame}


async def main(seconds: float) -> dict[str, Any]:
    config = SandboxConfig(key=KEY, secret=SECRET, trades_per_second=0.0)
    results: dict[str, Any] = {"seconds": seconds, "started": datetime.now(UTC).isoformat()}
    async with run_sandbox(config) as running:
        for fmt in ("msgpack", "json"):
            results[f"live_{fmt}"] = await live(running, fmt, seconds)
            results[f"firehose_{fmt}"] = await live(running, fmt, seconds, firehose=True)
            results[f"publish_{fmt}"] = await publish(running, fmt, seconds)
    return results


def cli() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per figure")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    # only warnings and errors: stdout carries the figures (or one JSON object)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    results = asyncio.run(main(args.seconds))
    if args.json:
        print(json.dumps(results))
        return 0
    print(f"sandbox stream, one client, {args.seconds:g} s per figure")
    for fmt in ("msgpack", "json"):
        for mode in ("live", "firehose", "publish"):
            r = results[f"{mode}_{fmt}"]
            print(
                f"  {mode:8} {fmt:8} {r['messages_per_s']:>12,.0f} messages/s"
                f"  ({r['messages_per_frame']:,.0f} messages/frame)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(cli())
