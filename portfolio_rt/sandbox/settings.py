"""The sandbox's own settings, independent of the service's so it can run on its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

MarketHours = Literal["real", "always_open"]


@dataclass(frozen=True)
class SandboxConfig:
    """How the offline broker behaves.

    `key`/`secret` are the credentials clients must present (HTTP Basic on the Broker API,
    Basic or `APCA-API-*` headers on the data API, the auth message on the stream).
    """

    key: str
    secret: str
    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 7
    extra_accounts: int = 0
    market_hours: MarketHours = "always_open"
    trades_per_second: float = 40.0
    transfer_delay_s: float = 30.0
    fill_delay_s: float = 0.3
    """From an order's submission to its fill (Alpaca's orders are never filled in the POST)."""
    partial_fill_above: float = 10_000.0
    """An order worth more than this many dollars fills in three partial fills."""
    history_years: int = 6
    sse_heartbeat_s: float = 15.0
    """Seconds between heartbeat comments on an idle event stream."""


def utc_now() -> datetime:
    """The wall clock, tz-aware UTC; everything in the sandbox takes time from an injected `now`."""
    return datetime.now(UTC)
