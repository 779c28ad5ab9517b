"""Alpaca's Broker API event streams, read on the service's own aiohttp session.

Three streams change what the page shows: trade updates (`/v2/events/trades`: fills move
positions and cash, every transition changes the orders), funding status
(`/v2/events/funding/status`: a transfer completing moves cash) and non-trade activity
(`/v1/events/nta`: dividends, fees, journals). Each event is parsed into a `BrokerEvent`
carrying what a consumer needs; the full payloads stay Alpaca's.

Every event has a ULID (`event_id` on v2, `event_ulid` on v1): they sort in the order the
events happened, across streams, so a reader resumes from the last one it applied
(`since_id` on v2, `since_ulid` on v1; both inclusive) and skips what it has seen.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal
from uuid import UUID

import aiohttp
import orjson
import structlog

from .endpoints import AlpacaEndpoints
from .http import basic_auth_header
from .sse import sse_messages

log = structlog.get_logger("portfolio_rt.broker")

EventStream = Literal["trades", "funding", "nta"]
STREAMS: tuple[EventStream, ...] = ("trades", "funding", "nta")

_PATHS: dict[EventStream, tuple[str, str]] = {
    "trades": ("/v2/events/trades", "since_id"),
    "funding": ("/v2/events/funding/status", "since_id"),
    "nta": ("/v1/events/nta", "since_ulid"),
}


@dataclass(frozen=True)
class BrokerEvent:
    """One event: whose, when, and what it says; `kind` is the trade event (`fill`, …), the
    funding entity's new status (`Transfer:COMPLETE`) or the activity type (`DIV`)."""

    stream: EventStream
    event_id: str
    at: datetime
    account_id: UUID
    kind: str
    symbol: str | None = None
    position_qty: Decimal | None = None
    """After a fill: the account's whole position in `symbol` (Alpaca's `position_qty`)."""


class EventStreamRefused(Exception):
    """Alpaca answered the stream's request with an error status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status} {message}")
        self.status = status
        self.message = message


class BadEvent(ValueError):
    """A `data:` message that is not one of the stream's events (it is skipped, counted)."""


async def read_events(
    session: aiohttp.ClientSession,
    endpoints: AlpacaEndpoints,
    stream: EventStream,
    *,
    since: str | None,
    since_date: date | None = None,
    on_open: Callable[[], None] = lambda: None,
    on_line: Callable[[], None] = lambda: None,
    on_bad: Callable[[str], None] = lambda _reason: None,
    connect_timeout_s: float = 10.0,
) -> AsyncIterator[BrokerEvent]:
    """The stream's events from `since` (an event ULID, inclusive), else from the start of
    `since_date`, else from now on, as they come; `on_open` once Alpaca accepted the
    request, `on_line` for every line read. Raises `EventStreamRefused` when Alpaca refuses
    the request, and aiohttp's errors when the connection fails; ends when Alpaca ends the
    stream."""
    path, since_param = _PATHS[stream]
    params = {since_param: since} if since else {}
    if not since and since_date is not None:
        params = {"since": since_date.isoformat()}
    headers = {
        "Authorization": basic_auth_header(endpoints.api_key, endpoints.secret_key),
        "Accept": "text/event-stream",
        "Cache-Control": "no-cache",
    }
    timeout = aiohttp.ClientTimeout(total=None, connect=connect_timeout_s, sock_read=None)
    async with session.get(
        endpoints.broker_url + path, params=params, headers=headers, timeout=timeout
    ) as response:
        if response.status != 200:
            text = (await response.text())[:300]
            raise EventStreamRefused(response.status, text)
        on_open()
        async for data in sse_messages(response.content, on_line):
            try:
                yield parse_event(stream, data)
            except BadEvent as exc:
                on_bad(str(exc))


def parse_event(stream: EventStream, data: str) -> BrokerEvent:
    """One `data:` message of `stream`; `BadEvent` when it is not a well-formed event."""
    try:
        body = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise BadEvent("not JSON") from None
    if not isinstance(body, dict):
        raise BadEvent("not a JSON object")
    try:
        return _PARSERS[stream](body)
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise BadEvent(f"{type(exc).__name__} in a {stream} event") from None


def _common(body: dict[str, Any], id_field: str) -> tuple[str, datetime, UUID]:
    event_id = body[id_field]
    if not isinstance(event_id, str) or len(event_id) != 26:
        raise ValueError("the event has no ULID")
    return event_id.upper(), _time(body["at"]), UUID(str(body["account_id"]))


def _trade(body: dict[str, Any]) -> BrokerEvent:
    event_id, at, account = _common(body, "event_id")
    order = body["order"]
    qty = body.get("position_qty")
    return BrokerEvent(
        "trades",
        event_id,
        at,
        account,
        str(body["event"]),
        symbol=str(order["symbol"]),
        position_qty=Decimal(str(qty)) if qty is not None else None,
    )


def _funding(body: dict[str, Any]) -> BrokerEvent:
    event_id, at, account = _common(body, "event_id")
    return BrokerEvent(
        "funding", event_id, at, account, f"{body['entity_type']}:{body['status_to']}"
    )


def _activity(body: dict[str, Any]) -> BrokerEvent:
    event_id, at, account = _common(body, "event_ulid")
    symbol = body.get("symbol") or None
    return BrokerEvent("nta", event_id, at, account, str(body["entry_type"]), symbol=symbol)


_PARSERS: dict[EventStream, Callable[[dict[str, Any]], BrokerEvent]] = {
    "trades": _trade,
    "funding": _funding,
    "nta": _activity,
}


def _time(value: Any) -> datetime:
    """RFC 3339 with up to nine fractional digits (Python keeps six)."""
    text = str(value).replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:
        digits = rest[: len(rest) - len(rest.lstrip("0123456789"))]
        text = f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits) :]}"
    return datetime.fromisoformat(text)
