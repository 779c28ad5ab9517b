"""Alpaca's wire forms shared by the REST answers and the stream: times and sizes.

Alpaca writes times as Go's `RFC3339Nano`: UTC with a `Z`, up to nine fractional digits with
the trailing zeros dropped, no fraction at all when it is zero. So a trade or quote (nanosecond
clock) reads `2022-08-17T09:50:43.361102308Z`, a crypto trade or a Broker object (microsecond
clock) `2021-03-16T18:38:01.942282Z` or `2022-04-12T17:24:31.30283Z`, a bar
`2022-08-16T04:00:00Z` (market-data-api.json examples; alpaca-py's captured responses).

The sandbox's clock is Python's, in microseconds; a trade or quote carries the nanoseconds below
its microsecond apart (`nanos`, 0-999), so any parser that keeps microseconds (Python, pydantic,
msgpack's `to_datetime`) reads back exactly the instant the price path was priced at.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

import msgpack

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US: Final = timedelta(microseconds=1)


def fraction(nanoseconds: int) -> str:
    """`.123456789` for a second's nanoseconds, trailing zeros dropped; `""` for zero."""
    if not nanoseconds:
        return ""
    return "." + f"{nanoseconds:09d}".rstrip("0")


def rfc3339(t: datetime, nanos: int = 0) -> str:
    """`t` (plus `nanos` below its microsecond) as Alpaca writes a time."""
    if t.tzinfo is not UTC:
        t = t.astimezone(UTC)
    head = t.isoformat()[:19]  # YYYY-MM-DDTHH:MM:SS
    return head + fraction(t.microsecond * 1000 + nanos) + "Z"


def unix_ns(t: datetime, nanos: int = 0) -> int:
    """Nanoseconds since the epoch, exact (no float rounding)."""
    return ((t - EPOCH) // _ONE_US) * 1000 + nanos


def msgpack_time(t: datetime, nanos: int = 0) -> msgpack.Timestamp:
    """The msgpack Timestamp ext value (type -1) alpaca-py's stream client reads `t` as."""
    return msgpack.Timestamp.from_unix_nano(unix_ns(t, nanos))


@functools.lru_cache(maxsize=4)
def _second_text(seconds: int) -> str:
    """`YYYY-MM-DDTHH:MM:SS` of a Unix second: the ticks of one stream batch share it."""
    return datetime.fromtimestamp(seconds, UTC).isoformat()[:19]


def timestamp_rfc3339(stamp: msgpack.Timestamp) -> str:
    """A msgpack Timestamp as Alpaca's JSON stream writes the same time."""
    return _second_text(stamp.seconds) + fraction(stamp.nanoseconds) + "Z"


def volume(value: int | Decimal) -> int | float:
    """A size or volume as a JSON number: shares are whole, crypto amounts fractional."""
    return value if isinstance(value, int) else float(value)


__all__ = [
    "EPOCH",
    "fraction",
    "msgpack_time",
    "rfc3339",
    "timestamp_rfc3339",
    "unix_ns",
    "volume",
]
