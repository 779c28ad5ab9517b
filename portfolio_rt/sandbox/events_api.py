"""The Broker API's event streams, served as server-sent events.

`GET /v1|v2/events/…` answers `text/event-stream`: first the history the query asks for
(`since`/`until` dates, `since_id`/`until_id` ids, `since_ulid`/`until_ulid` ULIDs; with none
of them, no history), then every new event as it happens, one `data:` line of JSON and a
blank line each, with a `:` comment line as a heartbeat while nothing happens. Reaching the
query's `until…` ends the stream (200). Both ends of a window are inclusive.

Faults (`POST /sandbox/faults`) reach these streams through rules with `"on": "data"` on the
stream's path: `disconnect` closes the connection before an event, `latency` holds an event
(and the heartbeats) back, `malformed` sends a broken `data:` line before an event.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import orjson
from aiohttp import web

from . import event_json
from .events import Event, EventLog, Stream, Window
from .keys import SANDBOX
from .params import ApiError, malformed
from .serialize import error_json
from .ulid import is_ulid

HEARTBEAT_S = web.AppKey("sse_heartbeat_s", float)
"""Seconds between heartbeat comments on an idle stream."""
STOPPING = web.AppKey("sse_stopping", asyncio.Event)
"""Set at shutdown: every stream ends."""
_POLL_S = 0.25
"""How often an idle stream checks that its reader is still there."""


@dataclass(frozen=True)
class Endpoint:
    stream: Stream
    serialize: event_json.Serializer
    ulid_ids: bool
    """v2: `since_id`/`until_id` are ULIDs (an integer is taken as the v1 id too)."""
    ulid_params: bool
    """v1: `since_ulid`/`until_ulid` exist beside the integer ids."""
    account_filter: bool = False
    """`id` narrows the stream to one account."""


ENDPOINTS: dict[str, Endpoint] = {
    "/v1/events/trades": Endpoint("trades", event_json.trade_v1, False, True),
    "/v2/events/trades": Endpoint("trades", event_json.trade_v2, True, False),
    "/v1/events/transfers/status": Endpoint("funding", event_json.transfer_v1, False, True),
    "/v2/events/funding/status": Endpoint("funding", event_json.funding_v2, True, False),
    "/v1/events/accounts/status": Endpoint(
        "accounts", event_json.account_v1, False, True, account_filter=True
    ),
    "/v1/events/journals/status": Endpoint(
        "journals", event_json.journal_v1, False, True, account_filter=True
    ),
    "/v2/events/journals/status": Endpoint(
        "journals", event_json.journal_v2, True, False, account_filter=True
    ),
    "/v1/events/nta": Endpoint("nta", event_json.nta_v1, False, True, account_filter=True),
}


def parse_window(endpoint: Endpoint, query: dict[str, str]) -> Window:
    """The query's window, with Alpaca's rules (400 otherwise)."""
    since, until = _date(query, "since"), _date(query, "until")
    since_id, until_id = query.get("since_id"), query.get("until_id")
    since_ulid = _ulid(query, "since_ulid") if endpoint.ulid_params else None
    until_ulid = _ulid(query, "until_ulid") if endpoint.ulid_params else None
    if sum(x is not None for x in (since, since_id, since_ulid)) > 1:
        raise malformed("since, since_id and since_ulid can't be used at the same time")
    if until is not None and since is None:
        raise malformed("since is required if until is specified")
    if until_id is not None and since_id is None:
        raise malformed("since_id is required if until_id is specified")
    if until_ulid is not None and since_ulid is None:
        raise malformed("since_ulid is required if until_ulid is specified")
    window = Window(since=since, until=until, since_ulid=since_ulid, until_ulid=until_ulid)
    if since_id is not None:
        first, last = _id(endpoint, "since_id", since_id), None
        if until_id is not None:
            last = _id(endpoint, "until_id", until_id)
        if isinstance(first, str):
            if last is not None and not isinstance(last, str):
                raise malformed("since_id and until_id must be of the same kind")
            return Window(since_ulid=first, until_ulid=last)
        if isinstance(last, str):
            raise malformed("since_id and until_id must be of the same kind")
        return Window(since_id=first, until_id=last)
    return window


def _date(query: dict[str, str], name: str) -> date | None:
    raw = query.get(name)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise malformed(f"{name} must be a date (YYYY-MM-DD)") from None


def _ulid(query: dict[str, str], name: str) -> str | None:
    raw = query.get(name)
    if raw is None:
        return None
    if not is_ulid(raw):
        raise malformed(f"{name} must be a ULID")
    return raw.upper()


def _id(endpoint: Endpoint, name: str, raw: str) -> int | str:
    if raw.isdigit():
        return int(raw)
    if endpoint.ulid_ids and is_ulid(raw):
        return raw.upper()
    kind = "a ULID" if endpoint.ulid_ids else "an integer"
    raise malformed(f"{name} must be {kind}")


async def event_stream(request: web.Request) -> web.StreamResponse:
    endpoint = ENDPOINTS[request.path]
    query = dict(request.query)
    try:
        window = parse_window(endpoint, query)
        account = _account(endpoint, query)
    except ApiError as exc:
        body = orjson.dumps(error_json(exc.code, exc.message))
        return web.Response(body=body, status=exc.status, content_type="application/json")
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    with contextlib.suppress(ConnectionError):  # the reader went away
        await _stream(request, response, endpoint, window, account)
    return response


async def _stream(
    request: web.Request,
    response: web.StreamResponse,
    endpoint: Endpoint,
    window: Window,
    account: UUID | None,
) -> None:
    sandbox = request.app[SANDBOX]
    log = sandbox.events
    events = log.events(endpoint.stream)
    index = window.start(events)
    heartbeat_s = request.app[HEARTBEAT_S]
    while True:
        sandbox.ledger.advance()
        while index < len(events):
            event = events[index]
            index += 1
            if window.beyond(event):
                await response.write_eof()
                return
            if account is not None and event.account_id != account:
                continue
            if not await _send(request, response, endpoint, event):
                return
        if window.ended_by(sandbox.now().date()):
            await response.write_eof()
            return
        if not await _idle(request, log, endpoint.stream, len(events), heartbeat_s):
            return
        if len(events) == index:
            await response.write(b": heartbeat\n\n")


async def _idle(
    request: web.Request, log: EventLog, stream: Stream, seen: int, heartbeat_s: float
) -> bool:
    """Wait for a new event or the next heartbeat; False once the reader went away or the
    server is stopping (a stream never holds a shutdown up)."""
    waited = 0.0
    while waited < heartbeat_s and len(log.events(stream)) == seen:
        transport = request.transport
        if transport is None or transport.is_closing() or request.app[STOPPING].is_set():
            return False
        step = min(_POLL_S, heartbeat_s - waited)
        await log.wait(stream, step)
        waited += step
    return True


def _account(endpoint: Endpoint, query: dict[str, str]) -> UUID | None:
    if not endpoint.account_filter or not query.get("id"):
        return None
    try:
        return UUID(query["id"])
    except ValueError:
        raise malformed("id must be an account id (UUID)") from None


async def _send(
    request: web.Request, response: web.StreamResponse, endpoint: Endpoint, event: Event
) -> bool:
    """Write one event (after any fault that fires for it); False when the stream is cut."""
    body = endpoint.serialize(event)
    if body is None:
        return True
    rule = request.app[SANDBOX].faults.match_stream(request.path, "data")
    if rule is not None:
        if rule.kind in ("disconnect", "drop"):
            if request.transport is not None:
                request.transport.abort()
            return False
        if rule.kind == "latency":
            await asyncio.sleep(rule.latency_ms / 1000)
        if rule.kind == "malformed":
            await response.write(b'data: {"event": "fill", "order": {"id": \n\n')
    await response.write(b"data: " + orjson.dumps(body) + b"\n\n")
    return True


def setup(app: web.Application, heartbeat_s: float = 15.0) -> None:
    app[HEARTBEAT_S] = heartbeat_s
    app[STOPPING] = asyncio.Event()

    async def stop_streams(app: web.Application) -> None:
        app[STOPPING].set()

    app.on_shutdown.append(stop_streams)
    for path in ENDPOINTS:
        app.router.add_get(path, event_stream, allow_head=False)
