"""Run the sandbox on its own: `python -m portfolio_rt.sandbox --port 8100`.

Builds the world (market, personas, generated accounts), serves the Broker API, market data and
streams on one port, prints where they are and the credentials, and stops on SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import sys
from collections.abc import Sequence

from .app import RunningSandbox, serve_sandbox
from .settings import SandboxConfig
from .world import Sandbox

KEY_ENV = "ALPACA_SANDBOX_KEY"
SECRET_ENV = "ALPACA_SANDBOX_SECRET"  # noqa: S105 - the name of an environment variable


def _non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line; key/secret default to the environment, else fresh random ones."""
    parser = argparse.ArgumentParser(
        prog="python -m portfolio_rt.sandbox",
        description="An offline Alpaca-compatible Broker API, market data API and stream.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=8100, help="port (0 picks a free one)")
    parser.add_argument("--key", default=None, help=f"API key (default: ${KEY_ENV} or random)")
    parser.add_argument(
        "--secret", default=None, help=f"API secret (default: ${SECRET_ENV} or random)"
    )
    parser.add_argument("--seed", type=int, default=7, help="seed of the market and accounts")
    parser.add_argument(
        "--accounts", type=_count, default=0, help="generated accounts besides the personas"
    )
    parser.add_argument(
        "--market-hours",
        choices=("real", "always_open"),
        default="always_open",
        help="real NYSE sessions, or equities trading at any hour",
    )
    parser.add_argument(
        "--trades-per-second", type=_non_negative_float, default=40.0, help="live trade rate"
    )
    parser.add_argument(
        "--transfer-delay",
        type=_non_negative_float,
        default=30.0,
        help="seconds until an ACH transfer completes",
    )
    parser.add_argument(
        "--fill-delay",
        type=_non_negative_float,
        default=0.3,
        help="seconds from an order's submission to its fill (orders answer 'accepted')",
    )
    return parser


def config_from_args(args: argparse.Namespace) -> tuple[SandboxConfig, bool]:
    """The sandbox configuration, and whether the credentials were generated here."""
    key = args.key or os.environ.get(KEY_ENV)
    secret = args.secret or os.environ.get(SECRET_ENV)
    generated = not key or not secret
    if not key:
        key = "PK" + secrets.token_hex(9).upper()
    if not secret:
        secret = secrets.token_urlsafe(30)
    config = SandboxConfig(
        key=key,
        secret=secret,
        host=args.host,
        port=args.port,
        seed=args.seed,
        extra_accounts=args.accounts,
        market_hours=args.market_hours,
        trades_per_second=args.trades_per_second,
        transfer_delay_s=args.transfer_delay,
        fill_delay_s=args.fill_delay,
    )
    return config, generated


def banner(running: RunningSandbox, generated: bool) -> str:
    """What a person needs to point a client at this sandbox."""
    config = running.sandbox.config
    base = running.stream_url.rsplit("/v2/", 1)[0]
    lines = [
        "portfolio_rt sandbox ready",
        f"  broker API:     {running.broker_url}",
        f"  market data:    {running.data_url}",
        f"  stock stream:   {running.stream_url}  (also {base}/v2/sip)",
        f"  crypto stream:  {running.crypto_stream_url}",
        f"  key:            {config.key}",
        f"  secret:         {config.secret}" + ("  (generated)" if generated else ""),
        f"  market hours:   {config.market_hours}",
        f"  fault control:  {running.broker_url}/sandbox/faults",
        "  persona accounts:",
    ]
    lines += [
        f"    {name:<8} {account_id}" for name, account_id in running.sandbox.personas.items()
    ]
    lines.append(f"  firm account:   {running.sandbox.firm_account}  (journals: /v1/journals)")
    if config.extra_accounts:
        lines.append(f"  generated accounts: {config.extra_accounts}")
    lines.append("  stop with Ctrl-C")
    return "\n".join(lines)


async def serve(config: SandboxConfig, generated: bool) -> None:
    """Build and serve until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"building sandbox (seed {config.seed}) ...", flush=True)
    sandbox = await asyncio.to_thread(Sandbox.build, config)
    async with serve_sandbox(sandbox, config.host, config.port) as running:
        print(banner(running, generated), flush=True)
        await stop.wait()
        print("sandbox stopping", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point (`portfolio-rt-sandbox`)."""
    args = build_parser().parse_args(argv)
    config, generated = config_from_args(args)
    try:
        asyncio.run(serve(config, generated))
    except KeyboardInterrupt:  # a second Ctrl-C while shutting down
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
