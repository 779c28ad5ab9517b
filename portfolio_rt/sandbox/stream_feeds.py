"""The market-data stream's endpoints and the data each carries.

Stocks: `/v2/iex` and `/v2/sip` (the live market), `/v2/delayed_sip` (the same market 15 minutes
late: every trade, quote, bar and status is the one of 15 minutes before, with that time), and
`/v2/test` (Alpaca's test stream: only `FAKEPACA`, at every hour). Crypto: `/v1beta3/crypto/us`.
Older clients' paths that Alpaca retired (alpaca-trade-api 3.x dials `/v1beta2/crypto`) are not
served, as Alpaca no longer serves them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Final, Literal

from .stream_codec import Family

Source = Literal["stocks", "crypto", "delayed", "test"]
"""Which data a socket carries; sockets of one source get the same messages."""

SIP_DELAY: Final = timedelta(minutes=15)


@dataclass(frozen=True)
class Feed:
    """One endpoint: its message family, the plan's feed name and its data."""

    family: Family
    name: str
    source: Source
    delay: timedelta = timedelta(0)


FEEDS: Final[Mapping[str, Feed]] = {
    "/v2/iex": Feed("stocks", "iex", "stocks"),
    "/v2/sip": Feed("stocks", "sip", "stocks"),
    "/v2/delayed_sip": Feed("stocks", "delayed_sip", "delayed", SIP_DELAY),
    "/v2/test": Feed("stocks", "test", "test"),
    "/v1beta3/crypto/us": Feed("crypto", "us", "crypto"),
}
SOURCES: Final[tuple[Source, ...]] = ("stocks", "crypto", "delayed", "test")
DELAYS: Final[Mapping[Source, timedelta]] = {
    source: next((f.delay for f in FEEDS.values() if f.source == source), timedelta(0))
    for source in SOURCES
}
ALWAYS_IN_PLAN: Final = frozenset({"us", "test"})
"""Feeds every key may use: crypto data and the test stream."""

__all__ = ["ALWAYS_IN_PLAN", "DELAYS", "FEEDS", "SIP_DELAY", "SOURCES", "Feed", "Source"]
