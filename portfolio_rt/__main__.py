"""Command line: `python -m portfolio_rt [--config PATH] [--host H] [--port P]` serves the app."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

import structlog
from aiohttp import web

from .app import create_app
from .config import ConfigError, Settings, load_settings, with_overrides
from .keys import EMBEDDED_SANDBOX
from .logs import configure_logging

log = structlog.get_logger("portfolio_rt")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m portfolio_rt",
        description="Serve the portfolio API, live updates and dashboard.",
    )
    parser.add_argument("--config", type=Path, help="config file (default: ./config.toml)")
    parser.add_argument("--host", help="interface to listen on (overrides server.host)")
    parser.add_argument("--port", type=int, help="port to listen on (overrides server.port)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        settings = load_settings(args.config)
        server: dict[str, object] = {}
        if args.host is not None:
            server["host"] = args.host
        if args.port is not None:
            server["port"] = args.port
        if server:
            settings = with_overrides(settings, server=server)
    except ConfigError as exc:
        print(f"portfolio_rt: configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log)
    try:
        asyncio.run(serve(settings))
    except OSError as exc:
        print(f"portfolio_rt: cannot start: {exc}", file=sys.stderr)
        return 1
    return 0


async def serve(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, then shut down within the configured timeout."""
    app = create_app(settings)
    runner = web.AppRunner(
        app, access_log=None, shutdown_timeout=settings.server.shutdown_timeout_s
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.server.host, settings.server.port)
        await site.start()
        host, port = runner.addresses[0][:2]
        print_banner(app, f"http://{host}:{port}")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        log.info("service.stopping")
    finally:
        await runner.cleanup()
        log.info("service.stopped")


def print_banner(app: web.Application, url: str) -> None:
    """Tell a person where the service is and, in sandbox mode, which demo accounts exist."""
    lines = [f"portfolio_rt listening on {url}", f"  health:    {url}/health"]
    running = app.get(EMBEDDED_SANDBOX)
    if running is not None:
        lines.append(f"  sandbox:   offline Alpaca-compatible broker at {running.broker_url}")
        for name, account_id in running.sandbox.personas.items():
            lines.append(f"  demo account {name:<7} {account_id}")
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
