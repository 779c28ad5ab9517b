"""Prometheus metrics: one registry per application, served at `GET /metrics`.

Every collector is named `portfolio_rt_*` and lives in the app's own `CollectorRegistry`
(never the process-wide default), so tests can build many apps in one process. Code reaches
it as `app[METRICS]` and calls the small methods below; labels are always drawn from small,
fixed sets (route templates, never raw paths; no account ids), so a scraper's series count
stays bounded whatever the traffic.

/metrics carries no account data. It is on by default for in-cluster scraping; set
`server.metrics_enabled = false` to remove the route, or `PORTFOLIO_RT_METRICS_TOKEN` to
require `Authorization: Bearer <token>` (see docs/deploy.md).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Hashable, Mapping, Set, Sized
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from aiohttp import web
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Enum,
    Gauge,
    Histogram,
    Info,
    ProcessCollector,
    generate_latest,
)

from .. import __version__
from ..core.errors import Unauthorized

# The classic text exposition format, which every Prometheus-compatible scraper reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

NAMESPACE = "portfolio_rt"

# States of one market-data stream connection (`feed` label: "stocks", "crypto", ...); the
# stream reader's own states, plus `standby`:
#   idle          not started yet (or nothing to subscribe)
#   connecting    opening the socket, authenticating, subscribing
#   live          subscribed and receiving
#   reconnecting  waiting out a back-off after a failure
#   auth_failed   Alpaca refused the credentials or the feed; needs an operator
#   stopped       shut down
#   standby       another instance holds the Redis lease and reads the stream
StreamState = Literal[
    "idle", "connecting", "live", "reconnecting", "auth_failed", "stopped", "standby"
]
STREAM_STATES: tuple[StreamState, ...] = (
    "idle",
    "connecting",
    "live",
    "reconnecting",
    "auth_failed",
    "stopped",
    "standby",
)

# What one call to Alpaca came to (`outcome` label of the upstream counters).
UpstreamOutcome = Literal[
    "2xx", "3xx", "4xx", "429", "5xx", "timeout", "connection_error", "cancelled"
]
# What one read-cache lookup came to: a fresh entry, a join of an in-flight call, a new call,
# or an old answer served because Alpaca failed.
CacheResult = Literal["hit", "shared", "miss", "stale"]

_HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Request latency buckets (seconds): cached reads answer in ~1 ms, Alpaca calls in 50-500 ms.
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
UNMATCHED_ROUTE = "unmatched"


class ReaderView(Protocol):
    """What the metrics read from one stream reader (portfolio_rt.stream.reader)."""

    @property
    def state(self) -> str: ...
    @property
    def subscribed(self) -> Set[str]: ...
    @property
    def reconnects(self) -> int: ...


class FeedView(Protocol):
    @property
    def readers(self) -> Mapping[str, ReaderView]: ...
    @property
    def started(self) -> bool: ...


class BusView(Protocol):
    @property
    def is_leader(self) -> bool: ...
    async def ping(self, timeout_s: float = ...) -> bool: ...


class RealtimeView(Protocol):
    """What the metrics read from the realtime engine at each scrape (no hooks needed)."""

    @property
    def feed(self) -> FeedView | None: ...
    @property
    def bus(self) -> BusView | None: ...
    @property
    def hub(self) -> Sized: ...
    def event_streams(self) -> Mapping[str, str]:
        """Each broker event stream this instance follows, and its state."""
        ...


@dataclass
class _RateMeter:
    """Events per second over the last `window_s` whole seconds; O(1) per event."""

    window_s: int = 10
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[int, float] = field(default_factory=dict)

    def add(self, count: float) -> None:
        second = int(self.clock())
        self._buckets[second] = self._buckets.get(second, 0.0) + count
        if len(self._buckets) > self.window_s + 2:
            self._prune(second)

    def rate(self) -> float:
        now = int(self.clock())
        self._prune(now)
        # Complete seconds only: the current one is still filling.
        total = sum(n for s, n in self._buckets.items() if s < now)
        return total / self.window_s

    def _prune(self, now: int) -> None:
        for second in [s for s in self._buckets if s < now - self.window_s]:
            del self._buckets[second]


class Metrics:
    """The service's collectors. Call the methods; the attributes are there for tests."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        r = self.registry
        ns = NAMESPACE
        Info("build", "Version of the running service.", namespace=ns, registry=r).info(
            {"version": __version__}
        )
        ProcessCollector(namespace=ns, registry=r)

        # HTTP API
        self.http_requests = Counter(
            "http_requests",
            "HTTP requests handled, by route template, method and status.",
            ["route", "method", "status"],
            namespace=ns,
            registry=r,
        )
        self.http_request_duration = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route template, method and status "
            "(WebSocket sessions are not included).",
            ["route", "method", "status"],
            namespace=ns,
            registry=r,
            buckets=_LATENCY_BUCKETS,
        )

        # Alpaca REST (the broker gateway)
        self.upstream_requests = Counter(
            "upstream_requests",
            "Requests sent to Alpaca, by API, method and outcome (status class, 429, "
            "timeout, connection_error, cancelled).",
            ["api", "method", "outcome"],
            namespace=ns,
            registry=r,
        )
        self.upstream_errors = Counter(
            "upstream_errors",
            "Failed requests to Alpaca, by API and error class (4xx, 429, 5xx, timeout, "
            "connection_error, bad_response).",
            ["api", "error"],
            namespace=ns,
            registry=r,
        )
        self.upstream_request_duration = Histogram(
            "upstream_request_duration_seconds",
            "Time of one request to Alpaca, by API and method.",
            ["api", "method"],
            namespace=ns,
            registry=r,
            buckets=_LATENCY_BUCKETS,
        )
        self.upstream_retries = Counter(
            "upstream_retries",
            "Reads to Alpaca sent again after a retryable failure.",
            ["api"],
            namespace=ns,
            registry=r,
        )
        self.upstream_rejected = Counter(
            "upstream_circuit_rejections",
            "Calls to Alpaca refused without being sent because the circuit breaker is open.",
            ["api"],
            namespace=ns,
            registry=r,
        )
        self.upstream_circuit_open = Gauge(
            "upstream_circuit_open",
            "1 while the circuit breaker to Alpaca is open or half-open, else 0.",
            namespace=ns,
            registry=r,
        )
        self.cache_lookups = Counter(
            "broker_cache_lookups",
            "Read-cache lookups of Alpaca answers, by kind of answer and result "
            "(hit, shared in-flight call, miss, stale answer served while Alpaca fails).",
            ["kind", "result"],
            namespace=ns,
            registry=r,
        )

        # Market-data stream
        self.stream_state_enum = Enum(
            "stream_state",
            "State of each market-data stream connection.",
            ["feed"],
            states=list(STREAM_STATES),
            namespace=ns,
            registry=r,
        )
        self.stream_reconnects = Counter(
            "stream_reconnects",
            "Market-data stream reconnect attempts.",
            ["feed"],
            namespace=ns,
            registry=r,
        )
        self.stream_messages = Counter(
            "stream_messages",
            "Market-data messages received, by feed and type (trade, quote, bar, ...); "
            "rate() of it is messages per second.",
            ["feed", "type"],
            namespace=ns,
            registry=r,
        )
        self._message_rate = _RateMeter()
        self.stream_messages_per_second = Gauge(
            "stream_messages_per_second",
            "Market-data messages received per second, all feeds, over the last 10 s.",
            namespace=ns,
            registry=r,
        )
        self.stream_messages_per_second.set_function(self._message_rate.rate)
        self.stream_subscribed_symbols = Gauge(
            "stream_subscribed_symbols",
            "Symbols currently subscribed on each market-data stream.",
            ["feed"],
            namespace=ns,
            registry=r,
        )
        self.stream_leader = Gauge(
            "stream_leader",
            "1 when this instance reads the market-data stream (holds the Redis lease), else 0.",
            namespace=ns,
            registry=r,
        )

        # Live WebSocket hub
        self.ws_clients = Gauge(
            "ws_clients",
            "Browser WebSocket connections open now.",
            namespace=ns,
            registry=r,
        )
        self.ws_pushes = Counter(
            "ws_pushes",
            "Messages pushed to browser WebSockets (snapshots, updates, status).",
            ["type"],
            namespace=ns,
            registry=r,
        )
        self._ws_pushes: dict[str, Counter] = {}
        self.realtime_flush_duration = Histogram(
            "realtime_flush_duration_seconds",
            "Time one flusher step took: revaluing one push phase's moved accounts and "
            "writing their updates (realtime.push_phases steps per push interval).",
            namespace=ns,
            registry=r,
            buckets=_LATENCY_BUCKETS,
        )
        self.event_loop_lag = Histogram(
            "event_loop_lag_seconds",
            "How late a 250 ms timer fired: what every request and socket on this instance "
            "waited, at that moment, behind other work.",
            namespace=ns,
            registry=r,
            buckets=_LATENCY_BUCKETS,
        )
        self.ws_dropped_clients = Counter(
            "ws_dropped_clients",
            "Browser WebSockets closed or refused by the service, by reason: slow or stuck "
            "(could not keep up), too_many (the account's socket cap), session_ended (logout "
            "or expiry).",
            ["reason"],
            namespace=ns,
            registry=r,
        )

        # Broker events
        self.events_applied = Counter(
            "events_applied",
            "Broker events applied (committed once for the deployment), by stream and kind "
            "(the trade event, the funding entity:status, or the activity type).",
            ["stream", "kind"],
            namespace=ns,
            registry=r,
        )
        self.events_lag = Histogram(
            "events_lag_seconds",
            "From a broker event's time to its application here.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            namespace=ns,
            registry=r,
        )
        self.events_reconnects = Counter(
            "events_reconnects",
            "Reconnections of a broker event stream.",
            ["stream"],
            namespace=ns,
            registry=r,
        )
        self.events_bad = Counter(
            "events_bad",
            "Event stream messages that were not events (skipped).",
            ["stream"],
            namespace=ns,
            registry=r,
        )
        self.events_live = Gauge(
            "events_live",
            "1 while this instance follows the stream and it is connected.",
            ["stream"],
            namespace=ns,
            registry=r,
        )
        self.reconcile_drift = Counter(
            "reconcile_drift_accounts",
            "Accounts whose positions the reconciliation found different from the holdings "
            "index although events were live: each one is an event that went missing.",
            namespace=ns,
            registry=r,
        )

        # Redis
        self.redis_configured = Gauge(
            "redis_configured",
            "1 when redis.url is set (several instances share state), else 0.",
            namespace=ns,
            registry=r,
        )
        self.redis_up = Gauge(
            "redis_up",
            "1 while the last Redis operation succeeded, 0 after a failure.",
            namespace=ns,
            registry=r,
        )

        self._realtime: RealtimeView | None = None
        self._reconnects_seen: dict[str, int] = {}
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._lookup_children: dict[tuple[str, str], Any] = {}

    # -- HTTP --------------------------------------------------------------------------------

    def observe_request(self, route: str, method: str, status: int, duration_s: float) -> None:
        """One answered HTTP request (`route` is the route's template, e.g. `/api/assets/{x}`).

        The labelled children are looked up once per (route, method, status) and kept: this
        runs for every request, and prometheus_client's `labels()` costs more than the rest of
        the bookkeeping together."""
        key = (route, method, status)
        children = self._request_children.get(key)
        if children is None:
            labels = (route, method if method in _HTTP_METHODS else "other", str(status))
            children = (
                self.http_requests.labels(*labels),
                self.http_request_duration.labels(*labels),
            )
            self._request_children[key] = children
        children[0].inc()
        if status != 101:  # a WebSocket session's length is not a latency
            children[1].observe(duration_s)

    # -- Alpaca REST -------------------------------------------------------------------------

    def upstream_call(
        self, api: str, method: str, outcome: UpstreamOutcome, duration_s: float
    ) -> None:
        """One request sent to Alpaca and how it ended."""
        self.upstream_requests.labels(api, method, outcome).inc()
        self.upstream_request_duration.labels(api, method).observe(duration_s)
        if outcome not in ("2xx", "cancelled"):
            self.upstream_errors.labels(api, outcome).inc()

    def upstream_bad_response(self, api: str) -> None:
        """Alpaca answered 2xx with a body that is not the JSON expected."""
        self.upstream_errors.labels(api, "bad_response").inc()

    def upstream_retry(self, api: str) -> None:
        self.upstream_retries.labels(api).inc()

    def upstream_circuit_rejected(self, api: str) -> None:
        self.upstream_rejected.labels(api).inc()

    def cache_lookup(self, key: Hashable, result: CacheResult) -> None:
        """One read-cache lookup; the kind is the key's first element ("positions", ...)."""
        kind = key[0] if isinstance(key, tuple) and key and isinstance(key[0], str) else "other"
        child = self._lookup_children.get((kind, result))
        if child is None:
            child = self._lookup_children[(kind, result)] = self.cache_lookups.labels(kind, result)
        child.inc()

    # -- market-data stream (called by the stream reader) -----------------------------------

    def stream_state(self, feed: str, state: StreamState) -> None:
        self.stream_state_enum.labels(feed).state(state)

    def stream_reconnected(self, feed: str) -> None:
        """Count one reconnect attempt (call it when a new connection attempt starts)."""
        self.stream_reconnects.labels(feed).inc()

    def stream_received(self, feed: str, message_type: str, count: int = 1) -> None:
        """Count received messages (`message_type`: trade, quote, bar, ...); O(1)."""
        self.stream_messages.labels(feed, message_type).inc(count)
        self._message_rate.add(count)

    def stream_subscribed(self, feed: str, symbols: int) -> None:
        self.stream_subscribed_symbols.labels(feed).set(symbols)

    def stream_is_leader(self, leader: bool) -> None:
        self.stream_leader.set(1 if leader else 0)

    # -- WebSocket hub (called by the hub) ---------------------------------------------------

    def ws_client_opened(self) -> None:
        self.ws_clients.inc()

    def ws_client_closed(self) -> None:
        self.ws_clients.dec()

    def ws_pushed(self, message_type: str, count: int = 1) -> None:
        """Messages written to browsers (`message_type`: snapshot, update, status, error)."""
        child = self._ws_pushes.get(message_type)
        if child is None:  # the label lookup once per type: this runs per message
            child = self._ws_pushes[message_type] = self.ws_pushes.labels(message_type)
        child.inc(count)

    def realtime_flushed(self, duration_s: float) -> None:
        self.realtime_flush_duration.observe(duration_s)

    def loop_lagged(self, seconds: float) -> None:
        self.event_loop_lag.observe(seconds)

    def ws_client_dropped(self, reason: str = "slow") -> None:
        self.ws_dropped_clients.labels(reason).inc()

    # -- broker events -----------------------------------------------------------------------

    def event_applied(self, stream: str, kind: str, lag_s: float) -> None:
        self.events_applied.labels(stream, kind).inc()
        self.events_lag.observe(lag_s)

    def event_bad(self, stream: str) -> None:
        self.events_bad.labels(stream).inc()

    def events_reconnected(self, stream: str) -> None:
        self.events_reconnects.labels(stream).inc()

    def drift_found(self, accounts: int) -> None:
        self.reconcile_drift.inc(accounts)

    # -- Redis -------------------------------------------------------------------------------

    def redis_state(self, up: bool) -> None:
        self.redis_up.set(1 if up else 0)

    # -- state read at scrape time -----------------------------------------------------------

    def watch_realtime(self, engine: RealtimeView | None) -> None:
        """Read the stream readers' state, subscriptions and reconnects, the number of open
        sockets, the stream lease and Redis' health from `engine` at each scrape (None: stop)."""
        self._realtime = engine
        self._reconnects_seen.clear()

    async def refresh(self) -> None:
        """Bring the scrape-time values up to date (called by GET /metrics before rendering)."""
        engine = self._realtime
        if engine is None:
            return
        self.ws_clients.set(len(engine.hub))
        for stream, state in engine.event_streams().items():
            self.events_live.labels(stream).set(1 if state == "live" else 0)
        feed, bus = engine.feed, engine.bus
        if bus is not None:
            self.stream_is_leader(bus.is_leader)
            self.redis_state(await bus.ping())
        elif feed is not None:
            self.stream_is_leader(feed.started)
        if feed is None:
            return
        standby = bus is not None and not bus.is_leader
        for name, reader in feed.readers.items():
            state = "standby" if standby and not feed.started else reader.state
            if state in STREAM_STATES:
                self.stream_state(name, state)
            self.stream_subscribed(name, len(reader.subscribed))
            seen = self._reconnects_seen.get(name, 0)
            total = reader.reconnects
            if total > seen:
                self.stream_reconnects.labels(name).inc(total - seen)
            self._reconnects_seen[name] = total

    # -- exposition --------------------------------------------------------------------------

    def render(self) -> bytes:
        return generate_latest(self.registry)


METRICS = web.AppKey("metrics", Metrics)
METRICS_TOKEN = web.AppKey("metrics_token", str)

routes = web.RouteTableDef()


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition of this app's registry."""
    token = request.app[METRICS_TOKEN]
    if token:
        given = request.headers.get("Authorization", "")
        # Header bytes that are not UTF-8 arrive as surrogate escapes: compare bytes as sent.
        sent = given.encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(sent, f"Bearer {token}".encode()):
            raise Unauthorized("Send the metrics token as 'Authorization: Bearer <token>'.")
    metrics = request.app[METRICS]
    await metrics.refresh()
    return web.Response(
        body=metrics.render(),
        headers={"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"},
    )


def route_template(request: web.Request) -> str:
    """The matched route's template (`/api/assets/{symbol_or_id}`), never the raw path."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED_ROUTE
