"""GET /metrics: Prometheus text from the app's own registry, labelled by route template."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from portfolio_rt.app import create_app
from portfolio_rt.config import with_overrides
from portfolio_rt.ops.metrics import METRICS, STREAM_STATES, Metrics
from portfolio_rt.sandbox.world import Sandbox
from tests.fixtures.settings import alpaca_settings, service_settings

POSITIONS = "/v1/trading/accounts/*/positions"

METRICS_TOKEN = "metrics-token-for-tests-0123456789"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
async def client(aiohttp_client, tmp_path) -> TestClient:  # type: ignore[no-untyped-def]
    return await aiohttp_client(create_app(alpaca_settings()))


async def scrape(client: TestClient, **headers: str) -> str:
    response = await client.get("/metrics", headers=headers)
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return await response.text()


async def test_metrics_are_prometheus_text_all_named_portfolio_rt(client: TestClient) -> None:
    text = await scrape(client)
    names = {family.name for family in text_string_to_metric_families(text)}
    assert names, text
    assert all(name.startswith("portfolio_rt_") for name in names), names
    for expected in (
        "portfolio_rt_http_requests",
        "portfolio_rt_http_request_duration_seconds",
        "portfolio_rt_upstream_requests",
        "portfolio_rt_upstream_errors",
        "portfolio_rt_broker_cache_lookups",
        "portfolio_rt_stream_state",
        "portfolio_rt_stream_reconnects",
        "portfolio_rt_stream_messages",
        "portfolio_rt_stream_messages_per_second",
        "portfolio_rt_stream_subscribed_symbols",
        "portfolio_rt_ws_clients",
        "portfolio_rt_ws_pushes",
        "portfolio_rt_ws_dropped_clients",
        "portfolio_rt_realtime_flush_duration_seconds",
        "portfolio_rt_event_loop_lag_seconds",
        "portfolio_rt_redis_up",
        "portfolio_rt_build_info",
    ):
        assert expected in names, expected


async def test_requests_are_counted_by_route_template_and_status(client: TestClient) -> None:
    for _ in range(3):
        assert (await client.get("/health")).status == 200
    assert (await client.get("/api/assets/AAPL")).status == 401
    assert (await client.get("/api/assets/MSFT")).status == 401
    assert (await client.get("/no/such/page-12345")).status == 404
    text = await scrape(client)
    count = "portfolio_rt_http_requests_total"
    assert value(text, count, route="/health", method="GET", status="200") == 3
    assert value(text, count, route="/api/assets/{symbol_or_id}", method="GET", status="401") == 2
    assert value(text, count, route="unmatched", method="GET", status="404") == 1
    assert "AAPL" not in text  # never the raw path
    assert "page-12345" not in text
    latency = "portfolio_rt_http_request_duration_seconds_count"
    assert value(text, latency, route="/health", method="GET", status="200") == 3


async def test_unknown_methods_do_not_create_series(client: TestClient) -> None:
    await client.request("PURGE", "/health")
    text = await scrape(client)
    assert "PURGE" not in text
    assert (
        value(
            text,
            "portfolio_rt_http_requests_total",
            route="unmatched",
            method="other",
            status="405",
        )
        == 1
    )


async def test_each_app_has_its_own_registry(aiohttp_client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = await aiohttp_client(create_app(alpaca_settings()))
    second = await aiohttp_client(create_app(alpaca_settings()))
    await first.get("/health")
    assert first.app[METRICS].registry is not second.app[METRICS].registry
    assert (
        value(
            await scrape(second),
            "portfolio_rt_http_requests_total",
            route="/health",
            method="GET",
            status="200",
        )
        == 0
    )
    assert REGISTRY.get_sample_value("portfolio_rt_http_requests_total") is None


async def test_metrics_can_be_switched_off(aiohttp_client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = alpaca_settings(server={"metrics_enabled": False})
    client = await aiohttp_client(create_app(settings))
    response = await client.get("/metrics")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


async def test_metrics_token_is_required_when_set(aiohttp_client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = alpaca_settings({"PORTFOLIO_RT_METRICS_TOKEN": METRICS_TOKEN})
    client = await aiohttp_client(create_app(settings))
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": METRICS_TOKEN}):
        response = await client.get("/metrics", headers=headers)
        assert response.status == 401
        assert (await response.json())["error"]["code"] == "unauthorized"
    await scrape(client, Authorization=f"Bearer {METRICS_TOKEN}")


async def test_upstream_calls_and_cache_are_counted(
    api: TestClient, auth_for, shared_sandbox: Sandbox
) -> None:  # type: ignore[no-untyped-def]
    headers = auth_for(api, shared_sandbox.personas["maya"])
    for _ in range(2):
        assert (await api.get("/api/portfolio/positions", headers=headers)).status == 200
    missing = await api.get("/api/assets/NOSUCHSYMBOL", headers=headers)
    assert missing.status == 404
    text = await scrape(api)
    assert (
        value(
            text, "portfolio_rt_upstream_requests_total", api="broker", method="GET", outcome="2xx"
        )
        >= 1
    )
    assert (
        value(
            text, "portfolio_rt_upstream_requests_total", api="broker", method="GET", outcome="4xx"
        )
        == 1
    )
    assert value(text, "portfolio_rt_upstream_errors_total", api="broker", error="4xx") == 1
    assert (
        value(text, "portfolio_rt_broker_cache_lookups_total", kind="positions", result="miss") == 1
    )
    assert (
        value(text, "portfolio_rt_broker_cache_lookups_total", kind="positions", result="hit") == 1
    )
    assert value(text, "portfolio_rt_upstream_circuit_open") == 0
    assert str(shared_sandbox.personas["maya"]) not in text


async def test_upstream_failures_count_errors_retries_and_stale_serves(
    aiohttp_client,
    tmp_path,
    fresh_sandbox_server,
    auth_for,
    fresh_sandbox: Sandbox,  # type: ignore[no-untyped-def]
) -> None:
    settings = with_overrides(service_settings(fresh_sandbox_server), broker={"cache_ttl_s": 0.0})
    client = await aiohttp_client(create_app(settings))
    headers = auth_for(client, fresh_sandbox.personas["maya"])
    assert (await client.get("/api/portfolio/positions", headers=headers)).status == 200
    fresh_sandbox.faults.add({"route": POSITIONS, "method": "GET", "kind": "status", "status": 503})
    stale = await client.get("/api/portfolio/positions", headers=headers)
    assert stale.status == 200
    assert (await stale.json())["stale"] is True
    text = await scrape(client)
    attempts = settings.broker.retry_attempts
    assert (
        value(
            text, "portfolio_rt_upstream_requests_total", api="broker", method="GET", outcome="5xx"
        )
        == attempts + 1
    )
    assert (
        value(text, "portfolio_rt_upstream_errors_total", api="broker", error="5xx") == attempts + 1
    )
    assert value(text, "portfolio_rt_upstream_retries_total", api="broker") == attempts
    assert (
        value(text, "portfolio_rt_broker_cache_lookups_total", kind="positions", result="stale")
        == 1
    )


async def test_malformed_upstream_body_is_a_bad_response(
    fresh_api: TestClient,
    auth_for,
    fresh_sandbox: Sandbox,  # type: ignore[no-untyped-def]
) -> None:
    fresh_sandbox.faults.add({"route": POSITIONS, "method": "GET", "kind": "malformed"})
    headers = auth_for(fresh_api, fresh_sandbox.personas["maya"])
    assert (await fresh_api.get("/api/portfolio/positions", headers=headers)).status == 502
    text = await scrape(fresh_api)
    assert (
        value(text, "portfolio_rt_upstream_errors_total", api="broker", error="bad_response") == 1
    )


async def test_open_circuit_is_reported_and_rejections_counted(
    aiohttp_client,
    tmp_path,
    fresh_sandbox_server,
    auth_for,
    fresh_sandbox: Sandbox,  # type: ignore[no-untyped-def]
) -> None:
    settings = with_overrides(
        service_settings(fresh_sandbox_server),
        broker={"circuit_failure_threshold": 1, "retry_attempts": 0, "circuit_reset_s": 60.0},
    )
    client = await aiohttp_client(create_app(settings))
    fresh_sandbox.faults.add({"route": POSITIONS, "method": "GET", "kind": "status", "status": 500})
    headers = auth_for(client, fresh_sandbox.personas["maya"])
    # The first call's siblings (account, assets, fills) succeed and close the circuit again;
    # once they are cached, the positions failure alone keeps it open.
    assert (await client.get("/api/portfolio/positions", headers=headers)).status == 502
    assert (await client.get("/api/portfolio/positions", headers=headers)).status == 502
    assert (await client.get("/api/portfolio/positions", headers=headers)).status == 503
    text = await scrape(client)
    assert value(text, "portfolio_rt_upstream_circuit_open") == 1
    assert value(text, "portfolio_rt_upstream_circuit_rejections_total", api="broker") == 1


def test_realtime_hooks_update_their_collectors() -> None:
    metrics = Metrics()
    clock = [1000.0]
    metrics._message_rate.clock = lambda: clock[0]
    metrics.stream_state("stocks", "connecting")
    metrics.stream_state("stocks", "live")
    metrics.stream_reconnected("stocks")
    metrics.stream_received("stocks", "trade", 30)
    metrics.stream_received("stocks", "quote", 20)
    metrics.stream_subscribed("stocks", 42)
    metrics.stream_is_leader(True)
    metrics.ws_client_opened()
    metrics.ws_client_opened()
    metrics.ws_client_closed()
    metrics.ws_pushed("update", 5)
    metrics.ws_client_dropped("slow")
    metrics.redis_state(True)
    clock[0] += 1
    text = metrics.render().decode()
    assert (
        value(text, "portfolio_rt_stream_state", feed="stocks", portfolio_rt_stream_state="live")
        == 1
    )
    assert (
        value(
            text, "portfolio_rt_stream_state", feed="stocks", portfolio_rt_stream_state="connecting"
        )
        == 0
    )
    assert value(text, "portfolio_rt_stream_reconnects_total", feed="stocks") == 1
    assert value(text, "portfolio_rt_stream_messages_total", feed="stocks", type="trade") == 30
    assert value(text, "portfolio_rt_stream_messages_per_second") == pytest.approx(50 / 10)
    assert value(text, "portfolio_rt_stream_subscribed_symbols", feed="stocks") == 42
    assert value(text, "portfolio_rt_stream_leader") == 1
    assert value(text, "portfolio_rt_ws_clients") == 1
    assert value(text, "portfolio_rt_ws_pushes_total", type="update") == 5
    assert value(text, "portfolio_rt_ws_dropped_clients_total", reason="slow") == 1
    assert value(text, "portfolio_rt_redis_up") == 1
    clock[0] += 60
    assert value(metrics.render().decode(), "portfolio_rt_stream_messages_per_second") == 0


def test_stream_states_are_a_closed_set() -> None:
    metrics = Metrics()
    with pytest.raises(ValueError, match="sleeping"):
        metrics.stream_state("stocks", "sleeping")  # type: ignore[arg-type]
    assert "live" in STREAM_STATES


async def test_realtime_engine_state_is_read_at_scrape(
    api: TestClient,
    auth_for,  # type: ignore[no-untyped-def]
    shared_sandbox: Sandbox,
) -> None:
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        text = await scrape(api)
        live = value(
            text, "portfolio_rt_stream_state", feed="stocks", portfolio_rt_stream_state="live"
        )
        symbols = value(text, "portfolio_rt_stream_subscribed_symbols", feed="stocks")
        if live == 1 and symbols > 0:
            break
        assert asyncio.get_running_loop().time() < deadline, text
        await asyncio.sleep(0.2)
    assert value(text, "portfolio_rt_stream_leader") == 1
    assert value(text, "portfolio_rt_ws_clients") == 0
    account = shared_sandbox.personas["maya"]
    ws = await api.ws_connect(f"/ws/portfolio/{account}", headers=auth_for(api, account))
    try:
        first = await ws.receive_json(timeout=10)
        assert first["type"] in ("snapshot", "status")
        assert value(await scrape(api), "portfolio_rt_ws_clients") == 1
    finally:
        await ws.close()
    for _ in range(50):
        if value(await scrape(api), "portfolio_rt_ws_clients") == 0:
            break
        await asyncio.sleep(0.05)
    assert value(await scrape(api), "portfolio_rt_ws_clients") == 0


@dataclass
class FakeReader:
    state: str = "idle"
    subscribed: set[str] = field(default_factory=set)
    reconnects: int = 0


@dataclass
class FakeFeed:
    readers: dict[str, FakeReader]
    started: bool = False


@dataclass
class FakeBus:
    is_leader: bool = False
    up: bool = True

    async def ping(self, timeout_s: float = 1.0) -> bool:
        return self.up


@dataclass
class FakeEngine:
    feed: FakeFeed | None
    bus: FakeBus | None
    hub: list[object] = field(default_factory=list)
    streams: dict[str, str] = field(default_factory=dict)

    def event_streams(self) -> dict[str, str]:
        return self.streams


async def test_followers_report_standby_and_redis_health() -> None:
    metrics = Metrics()
    reader = FakeReader()
    engine = FakeEngine(FakeFeed({"stocks": reader}), FakeBus(is_leader=False, up=False))
    metrics.watch_realtime(engine)
    await metrics.refresh()
    text = metrics.render().decode()
    state = "portfolio_rt_stream_state"
    assert value(text, state, feed="stocks", portfolio_rt_stream_state="standby") == 1
    assert value(text, "portfolio_rt_stream_leader") == 0
    assert value(text, "portfolio_rt_redis_up") == 0

    assert engine.bus is not None
    assert engine.feed is not None
    engine.bus.is_leader, engine.bus.up, engine.feed.started = True, True, True
    engine.streams = {"trades": "live", "funding": "reconnecting"}
    reader.state, reader.subscribed, reader.reconnects = "live", {"AAPL", "MSFT"}, 3
    engine.hub.append(object())
    await metrics.refresh()
    reader.reconnects = 4
    await metrics.refresh()
    text = metrics.render().decode()
    assert value(text, state, feed="stocks", portfolio_rt_stream_state="live") == 1
    assert value(text, state, feed="stocks", portfolio_rt_stream_state="standby") == 0
    assert value(text, "portfolio_rt_stream_reconnects_total", feed="stocks") == 4
    assert value(text, "portfolio_rt_stream_subscribed_symbols", feed="stocks") == 2
    assert value(text, "portfolio_rt_stream_leader") == 1
    assert value(text, "portfolio_rt_redis_up") == 1
    assert value(text, "portfolio_rt_ws_clients") == 1
    assert value(text, "portfolio_rt_events_live", stream="trades") == 1
    assert value(text, "portfolio_rt_events_live", stream="funding") == 0

    reader.state = "some_new_state"  # an unknown state never breaks a scrape
    await metrics.refresh()
    metrics.render()
