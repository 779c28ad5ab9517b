"""Query parsing and error answers shared by the market-data and reference routes.

Parsers raise `DataError`; `guarded` turns it into Alpaca's `{"code": …, "message": …}` body, so
a bad parameter is always a 400/422 JSON answer, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import orjson
from aiohttp import web

from .calendar import NY

DEFAULT_LIMIT = 1000
MAX_LIMIT = 10000
STOCK_FEEDS = frozenset({"sip", "iex", "delayed_sip", "otc", "boats", "overnight"})
ADJUSTMENTS = frozenset({"raw", "split", "dividend", "spin-off", "all"})
CURRENCIES = frozenset({"USD"})
"""What `currency` may ask: the sandbox's prices are all in US dollars."""

_SYMBOL = re.compile(r"^[A-Z0-9][A-Z0-9./:-]{0,31}$")
_ASOF = re.compile(r"^(-|\d{4}-\d{2}-\d{2})$")

_TIMEFRAME = re.compile(r"^(\d{1,2})(Min|T|Hour|H|Day|D|Week|W|Month|M)$")
_UNITS = {
    "Min": "Min",
    "T": "Min",
    "Hour": "Hour",
    "H": "Hour",
    "Day": "Day",
    "D": "Day",
    "Week": "Week",
    "W": "Week",
    "Month": "Month",
    "M": "Month",
}


class DataError(Exception):
    """A request the data API refuses, answered as `{"code": …, "message": …}`."""

    def __init__(self, status: int, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code if code is not None else status * 100000 + 10000


def bad_request(message: str) -> DataError:
    return DataError(400, message)


def unprocessable(message: str) -> DataError:
    return DataError(422, message)


@dataclass(frozen=True)
class TimeFrame:
    """A bar size: `amount` of `unit` (Min, Hour, Day, Week, Month)."""

    amount: int
    unit: str

    @classmethod
    def parse(cls, text: str | None) -> TimeFrame:
        """Alpaca's timeframe syntax, including the T/H/D/W/M aliases."""
        if not text:
            raise bad_request("timeframe is required")
        match = _TIMEFRAME.match(text)
        if match is None:
            raise bad_request(f"invalid timeframe: {text}")
        amount, unit = int(match.group(1)), _UNITS[match.group(2)]
        valid = {
            "Min": 1 <= amount <= 59,
            "Hour": 1 <= amount <= 23,
            "Day": amount == 1,
            "Week": amount == 1,
            "Month": amount in (1, 2, 3, 4, 6, 12),
        }[unit]
        if not valid:
            raise bad_request(f"invalid timeframe: {text}")
        return cls(amount, unit)

    @property
    def intraday(self) -> bool:
        return self.unit in ("Min", "Hour")


def parse_time(text: str, name: str, *, end: bool = False) -> datetime:
    """RFC3339 (any offset, up to ns) or YYYY-MM-DD; a date `end` means the whole day."""
    value = text.strip().replace(" ", "+")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            day = date.fromisoformat(value)
        except ValueError as exc:
            raise bad_request(f"invalid {name}: {text}") from exc
        start = datetime.combine(day, time(0), UTC)
        return start + timedelta(days=1) - timedelta(microseconds=1) if end else start
    fraction = re.match(r"^(.*T\d{2}:\d{2}:\d{2})\.(\d+)(.*)$", value)
    if fraction:  # Python reads at most microseconds; Alpaca sends nanoseconds
        value = f"{fraction.group(1)}.{fraction.group(2)[:6].ljust(6, '0')}{fraction.group(3)}"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise bad_request(f"invalid {name}: {text}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_range(query: Any, now: datetime) -> tuple[datetime, datetime]:
    """`start` (default: midnight New York today) and `end` (default and at most: now).

    An `end` before `start` is refused with 422, as Alpaca does.
    """
    start_text, end_text = query.get("start"), query.get("end")
    if start_text:
        start = parse_time(start_text, "start")
    else:
        start = datetime.combine(now.astimezone(NY).date(), time(0), NY).astimezone(UTC)
    asked_end = parse_time(end_text, "end", end=True) if end_text else None
    if start_text and asked_end is not None and asked_end < start:
        raise unprocessable("end should not be before start")
    return start, min(asked_end or now, now)


def parse_limit(text: str | None, *, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
    if text is None or text == "":
        return default
    try:
        limit = int(text)
    except ValueError as exc:
        raise bad_request(f"invalid limit: {text}") from exc
    if not 1 <= limit <= maximum:
        raise bad_request(f"invalid limit: must be between 1 and {maximum}")
    return limit


def parse_bool(text: str | None, name: str) -> bool:
    """A query boolean: `true`/`false` in any case (alpaca-py sends Python's `True`)."""
    if text is None or text == "":
        return False
    lowered = text.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise bad_request(f"invalid {name}: {text}")


def check_symbol(text: str) -> str:
    """One symbol, upper-cased; refused when it cannot be a ticker or a pair (`BRK.B`,
    `BTC/USD`), so a typo is a 400 rather than an empty answer."""
    symbol = text.strip().upper()
    if not _SYMBOL.match(symbol):
        raise bad_request(f"invalid symbol: {text}")
    return symbol


def parse_symbols(text: str | None) -> list[str]:
    """The comma-separated `symbols` parameter, upper-cased, de-duplicated, in order."""
    if not text or not text.strip():
        raise bad_request("missing symbols")
    seen: dict[str, None] = {}
    for part in text.split(","):
        if part.strip():
            seen.setdefault(check_symbol(part), None)
    if not seen:
        raise bad_request("missing symbols")
    return list(seen)


def check_asof(query: Any) -> None:
    """`asof` is YYYY-MM-DD or `-`; the sandbox's tickers were never renamed, so its value
    changes nothing."""
    asof = query.get("asof")
    if asof is not None and asof != "" and not _ASOF.match(asof):
        raise bad_request(f"invalid asof: {asof}")


def check_currency(query: Any) -> None:
    currency = query.get("currency")
    if currency is not None and currency != "" and currency.upper() not in CURRENCIES:
        raise bad_request(f"unsupported currency: {currency}")


def check_feed(query: Any) -> None:
    feed = query.get("feed")
    if feed is not None and feed.lower() not in STOCK_FEEDS:
        raise bad_request(f"invalid feed: {feed}")


def check_adjustment(query: Any) -> None:
    adjustment = query.get("adjustment")
    if adjustment is None:
        return
    for part in adjustment.split(","):
        if part.strip().lower() not in ADJUSTMENTS:
            raise bad_request(f"invalid adjustment: {adjustment}")


def parse_sort(text: str | None) -> bool:
    """True for descending."""
    if text is None or text == "" or text.lower() == "asc":
        return False
    if text.lower() == "desc":
        return True
    raise bad_request(f"invalid sort: {text}")


def encode_token(symbol: str, t: datetime) -> str:
    micros = int((t - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(microseconds=1))
    return base64.urlsafe_b64encode(f"{symbol}|{micros}".encode()).decode()


def decode_token(token: str) -> tuple[str, datetime]:
    try:
        symbol, _, micros = base64.urlsafe_b64decode(token.encode()).decode().rpartition("|")
        t = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(micros))
    except (ValueError, binascii.Error, UnicodeDecodeError, OverflowError) as exc:
        raise bad_request("invalid page_token") from exc
    if not symbol:
        raise bad_request("invalid page_token")
    return symbol, t


def json_response(body: object, status: int = 200) -> web.Response:
    return web.Response(
        body=orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS),
        status=status,
        content_type="application/json",
    )


Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


def guarded(handler: Route) -> Route:
    """Turn DataError into Alpaca's JSON error body."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except DataError as exc:
            return json_response({"code": exc.code, "message": exc.message}, status=exc.status)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped
