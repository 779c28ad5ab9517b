"""Command line: `python -m portfolio_rt [--config PATH] [--host H] [--port P]` serves the app."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from uuid import UUID

import structlog
from aiohttp import web

from .app import create_app
from .auth.tokens import READ, TokenService
from .config import ConfigError, Settings, load_settings, with_overrides
from .ops.heap import freeze_startup_heap
from .ops.logs import configure_logging
from .state import RUNTIME

log = structlog.get_logger("portfolio_rt")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m portfolio_rt",
        description="Serve the portfolio API, live updates and dashboard.",
    )
    parser.add_argument("--config", type=Path, help="config file (default: ./config.toml)")
    parser.add_argument("--host", help="interface to listen on (overrides server.host)")
    parser.add_argument("--port", type=int, help="port to listen on (overrides server.port)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    token = commands.add_parser(
        "token",
        help="mint a read-only bearer token for a script",
        description="Print a read-only bearer token for one Alpaca account (signed with "
        "PORTFOLIO_RT_SECRET, so the service must run with the same secret).",
    )
    token.add_argument("--account", required=True, type=UUID, help="Alpaca account id")
    token.add_argument("--ttl", default="30d", help="lifetime: 3600s, 90m, 12h, 30d (default 30d)")
    token.add_argument("--config", dest="token_config", type=Path, help="config file")
    return parser.parse_args(argv)


def parse_duration(text: str) -> int:
    """'30d' -> seconds; units s, m, h, d; a bare number is seconds."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text)
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 3600s, 90m, 12h, 30d)")
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def mint_token(args: argparse.Namespace) -> int:
    """The `token` command: a read-only token for scripts, printed on stdout."""
    try:
        settings = load_settings(args.token_config or args.config)
        ttl = parse_duration(args.ttl)
        if not settings.secrets.session_secret:
            raise ConfigError("PORTFOLIO_RT_SECRET: set it to the service's signing secret")
        tokens = TokenService(settings.auth, settings.secrets.session_secret)
        token, expires = tokens.mint(
            account_id=args.account, subject="script", scopes=frozenset({READ}), ttl_s=ttl
        )
    except (ConfigError, ValueError) as exc:
        print(f"portfolio_rt: {exc}", file=sys.stderr)
        return 2
    print(token)
    print(f"expires {expires.isoformat()}", file=sys.stderr)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "token":
        return mint_token(args)
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
    except ConfigError as exc:
        print(f"portfolio_rt: configuration error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"portfolio_rt: cannot start: {exc}", file=sys.stderr)
        return 1
    return 0


# Time allowed, beyond server.shutdown_timeout_s for in-flight requests, to close sockets,
# stop the stream, release the Redis lease and stop the embedded sandbox. The default total
# (5 + 3 s) stays inside a container runtime's 10 s grace period before SIGKILL.
CLEANUP_GRACE_S = 3.0


async def serve(settings: Settings) -> None:
    """Run until SIGINT or SIGTERM, then shut down within the configured timeout.

    Shutdown order (aiohttp's runner): stop accepting connections; `on_shutdown` (live
    sockets closed with 1001); in-flight requests get `server.shutdown_timeout_s` to finish;
    then `cleanup_ctx` in reverse (stream, Redis lease, HTTP session, sandbox). The whole of it
    is bounded, and the last log line is flushed before the process exits.
    """
    app = create_app(settings)
    runner = web.AppRunner(
        app, access_log=None, shutdown_timeout=settings.server.shutdown_timeout_s
    )
    await runner.setup()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    try:
        site = web.TCPSite(runner, settings.server.host, settings.server.port)
        await site.start()
        host, port = runner.addresses[0][:2]
        print_banner(app, f"http://{host}:{port}")
        log.info("service.heap_frozen", objects=freeze_startup_heap())
        stop = asyncio.Event()
        received: list[str] = []

        def on_signal(sig: signal.Signals) -> None:
            received.append(sig.name)
            stop.set()

        for sig in signals:
            loop.add_signal_handler(sig, on_signal, sig)
        await stop.wait()
        log.info("service.stopping", signal=received[0] if received else None)
    finally:
        started = loop.time()
        budget = settings.server.shutdown_timeout_s + CLEANUP_GRACE_S
        try:
            await asyncio.wait_for(runner.cleanup(), timeout=budget)
        except TimeoutError:
            log.warning("service.shutdown_timed_out", budget_s=budget)
        finally:
            for sig in signals:
                loop.remove_signal_handler(sig)
            log.info("service.stopped", duration_s=round(loop.time() - started, 3))
            flush_output()


def flush_output() -> None:
    """Make sure the last log lines reach the container's log collector."""
    for stream in (sys.stdout, sys.stderr):
        # A closed or broken stream: nothing more can be said.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()


def print_banner(app: web.Application, url: str) -> None:
    """Tell a person where the service is and, in sandbox mode, which demo accounts exist."""
    lines = [
        f"portfolio_rt listening on {url}",
        f"  dashboard: {url}/",
        f"  API:       {url}/api/openapi.json",
        f"  live API:  {url}/api/asyncapi.json",
        f"  health:    {url}/health",
    ]
    running = app[RUNTIME].sandbox
    if running is not None:
        lines.append(f"  sandbox:   offline Alpaca-compatible broker at {running.broker_url}")
        if app[RUNTIME].users is not None:
            lines.append(f"  demo logins: {', '.join(running.sandbox.personas)} (password: demo)")
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
