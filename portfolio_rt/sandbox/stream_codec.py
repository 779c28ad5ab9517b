"""Alpaca market-data stream wire format: message shapes, msgpack/JSON encoding and framing.

Every server frame is an array of objects with a `T` discriminator. Data messages are encoded
one by one, once per format, and a frame is built by joining already encoded elements under an
array header, so fanning one tick out to many sockets never encodes it twice.

Times: trades and quotes carry `t` as a msgpack Timestamp with their nanoseconds, bars as a
datetime (whole minutes). msgpack frames send both as Timestamp ext -1 (what alpaca-py reads);
JSON frames as Alpaca's RFC 3339 strings (`wire.rfc3339`: trailing zeros of the fraction dropped,
so a bar's time has no fraction).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final, Literal

import msgpack
import orjson

from ..core import stream_errors
from .wire import msgpack_time, rfc3339, timestamp_rfc3339, volume

if TYPE_CHECKING:
    from .market import Bar, Quote, Trade

WireFormat = Literal["msgpack", "json"]
Family = Literal["stocks", "crypto"]


Wire = dict[str, Any]


def error_message(code: int, msg: str | None = None) -> Wire:
    """`{"T":"error","code":N,"msg":…}` with Alpaca's text for the code."""
    return {
        "T": "error",
        "code": code,
        "msg": msg or stream_errors.MESSAGES.get(code, "internal error"),
    }


def success_message(msg: str) -> Wire:
    """`{"T":"success","msg":"connected"|"authenticated"}`."""
    return {"T": "success", "msg": msg}


def _json_default(value: object) -> object:
    """orjson hook: msgpack Timestamps and datetimes become Alpaca's RFC 3339 strings."""
    if isinstance(value, msgpack.Timestamp):
        return timestamp_rfc3339(value)
    if isinstance(value, datetime):
        return rfc3339(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def _size(value: Decimal) -> int | float:
    as_int = int(value)
    return as_int if as_int == value else float(value)


def trade_wire(trade: Trade, family: Family) -> Wire:
    """A `"t"` message; crypto trades carry `tks` (taker side) and no exchange/tape."""
    if family == "crypto":
        return {
            "T": "t",
            "S": trade.symbol,
            "p": float(trade.price),
            "s": float(trade.size),
            "t": msgpack_time(trade.t, trade.nanos),
            "i": trade.id,
            "tks": "B" if trade.id % 2 == 0 else "S",
        }
    return {
        "T": "t",
        "S": trade.symbol,
        "i": trade.id,
        "x": trade.exchange,
        "p": float(trade.price),
        "s": _size(trade.size),
        "c": list(trade.conditions),
        "z": trade.tape,
        "t": msgpack_time(trade.t, trade.nanos),
    }


def quote_wire(quote: Quote, family: Family) -> Wire:
    """A `"q"` message; crypto quotes carry only prices, sizes and time."""
    if family == "crypto":
        return {
            "T": "q",
            "S": quote.symbol,
            "bp": float(quote.bid),
            "bs": float(quote.bid_size),
            "ap": float(quote.ask),
            "as": float(quote.ask_size),
            "t": msgpack_time(quote.t, quote.nanos),
        }
    return {
        "T": "q",
        "S": quote.symbol,
        "bx": quote.bid_exchange,
        "bp": float(quote.bid),
        "bs": _size(quote.bid_size),
        "ax": quote.ask_exchange,
        "ap": float(quote.ask),
        "as": _size(quote.ask_size),
        "c": list(quote.conditions),
        "z": quote.tape,
        "t": msgpack_time(quote.t, quote.nanos),
    }


def bar_wire(symbol: str, bar: Bar, kind: str = "b") -> Wire:
    """A minute (`"b"`), updated (`"u"`) or daily (`"d"`) bar; `n` and `vw` are always present,
    `v` is whole for stocks and fractional for crypto."""
    return {
        "T": kind,
        "S": symbol,
        "o": float(bar.o),
        "h": float(bar.h),
        "l": float(bar.l),
        "c": float(bar.c),
        "v": volume(bar.v),
        "t": bar.t,
        "n": bar.n,
        "vw": float(bar.vw),
    }


class Encoder:
    """Encodes array elements. Wire dicts carry `t` as a msgpack Timestamp (trades, quotes) or a
    datetime (bars): msgpack packs both as Timestamp ext -1 (what alpaca-py needs), JSON writes
    Alpaca's RFC 3339 string.
    """

    def __init__(self) -> None:
        self._packer = msgpack.Packer(datetime=True)

    def element(self, message: Wire, fmt: WireFormat) -> bytes:
        """One array element, encoded once and reused in every frame that carries it."""
        if fmt == "msgpack":
            return self._packer.pack(message)  # type: ignore[no-any-return, unused-ignore]
        return orjson.dumps(message, default=_json_default, option=_PASSTHROUGH)


_PASSTHROUGH: Final = orjson.OPT_PASSTHROUGH_DATETIME


def encode_element(message: Wire, fmt: WireFormat) -> bytes:
    """One array element (a fresh packer each call; use `Encoder` on hot paths)."""
    if fmt == "msgpack":
        return msgpack.packb(message, datetime=True)  # type: ignore[no-any-return, unused-ignore]
    return orjson.dumps(message, default=_json_default, option=_PASSTHROUGH)


def _msgpack_array_header(n: int) -> bytes:
    if n < 16:
        return bytes((0x90 | n,))
    if n < 0x10000:
        return b"\xdc" + n.to_bytes(2, "big")
    return b"\xdd" + n.to_bytes(4, "big")


def frame(elements: Sequence[bytes], fmt: WireFormat) -> bytes:
    """A whole frame (an array) from already encoded elements."""
    if fmt == "msgpack":
        return _msgpack_array_header(len(elements)) + b"".join(elements)
    return b"[" + b",".join(elements) + b"]"


def frame_chunks(chunks: Sequence[Sequence[bytes]], count: int, fmt: WireFormat) -> bytes:
    """One frame from several lists of encoded elements holding `count` elements in all."""
    elements = itertools.chain.from_iterable(chunks)
    if fmt == "msgpack":
        return _msgpack_array_header(count) + b"".join(elements)
    return b"[" + b",".join(elements) + b"]"


def control_frame(message: Wire, fmt: WireFormat) -> bytes:
    """A control message alone in a one-element array, as Alpaca sends them."""
    return frame([encode_element(message, fmt)], fmt)


def decode_client_message(data: bytes | str) -> object:
    """A client's action: JSON text or msgpack binary. Raises ValueError when unreadable."""
    if isinstance(data, str):
        return orjson.loads(data)
    try:
        return msgpack.unpackb(data)
    except Exception as exc:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            raise ValueError("unreadable client message") from exc
