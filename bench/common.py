"""What every benchmark here needs: a free loopback port, a percentile, bearer tokens for
the synthetic accounts, and the service started as a person starts it."""

from __future__ import annotations

import math
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from portfolio_rt.auth.tokens import READ, TokenService
from portfolio_rt.config import AuthSettings

SECRET = "Ur4NnL0AHWHW8i_hQfDDgzU1Be1VEZLJvrV33q8DvngDyhmY"  # noqa: S105 - bench tokens only
"""Signs the benchmarks' tokens; shared by a benchmark's service and its client processes."""


@cache
def _tokens() -> TokenService:
    return TokenService(AuthSettings(), SECRET)


def bearer_headers(account: str) -> list[str]:
    """A read-only token for one synthetic account, as a WebSocket upgrade header."""
    token, _ = _tokens().mint(
        account_id=uuid.UUID(account), subject="bench", scopes=frozenset({READ}), ttl_s=3600
    )
    return [f"Authorization: Bearer {token}"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest rank: the smallest value with at least `q` of the values at or below it
    (NaN when there are none)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@contextmanager
def service_process(
    tree: Path, env: Mapping[str, str], timeout_s: float = 120
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`python -m portfolio_rt` from `tree`'s sources on a free port, once `/health` answers:
    its base URL and process. Stopped with SIGTERM on the way out."""
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "portfolio_rt", "--port", str(port)],
        cwd=tree,
        env=dict(env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2):  # noqa: S310
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"the service from {tree} did not start") from None
                time.sleep(0.25)
        yield base, process
    finally:
        process.terminate()
        process.wait(30)
