"""Crafted input gets a clear 4xx, never a 500 nor a broker call it should not make:
amounts beyond any context's precision, a cursor whose time overflows, a bearer token that is
not UTF-8, and asset paths that are no symbol or id."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable

import orjson
import pytest
from aiohttp.test_utils import TestClient

from portfolio_rt.app import create_app
from portfolio_rt.sandbox.world import Sandbox
from tests.fixtures.funds import link_bank
from tests.fixtures.settings import alpaca_settings

Auth = Callable[..., dict[str, str]]


@pytest.mark.parametrize(
    "amount",
    [
        "1e30",
        "1e2",
        "1_000",
        "١٠٠",
        "100.001",
        "-5",
        "0",
        "0.00",
        " 10",
        "NaN",
        "Infinity",
        "1" * 40,
        "10.5.1",
        "",
    ],
)
async def test_a_deposit_amount_must_be_a_plain_decimal(
    fresh_api: TestClient, auth_for: Auth, fresh_sandbox: Sandbox, amount: str
) -> None:
    headers = auth_for(fresh_api, fresh_sandbox.personas["maya"])
    bank = await link_bank(fresh_api, headers)
    response = await fresh_api.post(
        "/api/funds/deposits",
        json={"amount": amount, "relationship_id": bank["id"]},
        headers=headers | {"Idempotency-Key": f"crafted-{abs(hash(amount))}"},
    )
    assert response.status == 400, (amount, await response.text())
    body = await response.json()
    assert body["error"]["details"]["field"] == "amount"


async def test_an_orders_cursor_from_the_year_9999_is_a_400(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    state = {"k": "orders", "t": "9999-12-31T23:59:59.999999+00:00", "ids": []}
    cursor = base64.urlsafe_b64encode(orjson.dumps(state)).rstrip(b"=").decode()
    response = await api.get(
        f"/api/portfolio/orders?cursor={cursor}",
        headers=auth_for(api, shared_sandbox.personas["maya"]),
    )
    assert response.status == 400, await response.text()


async def test_a_non_ascii_metrics_token_is_a_401(aiohttp_client) -> None:  # type: ignore[no-untyped-def]
    settings = alpaca_settings({"PORTFOLIO_RT_METRICS_TOKEN": "metrics-token-0123456789abcdef"})
    client = await aiohttp_client(create_app(settings))
    for header in ("Bearer tökén", "Bearer 令牌"):
        response = await client.get("/metrics", headers={"Authorization": header})
        assert response.status == 401, (header, await response.text())
    # Bytes that are not UTF-8 at all, as a raw client can send them.
    reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    writer.write(
        b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \xff\xfe\r\n"
        b"Connection: close\r\n\r\n"
    )
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    assert status_line.split()[1] == b"401", status_line


@pytest.mark.parametrize(
    "path", ["%2E%2E", "..", ".", "%2E", "a%2Fb", "AAPL..B", ".AAPL", "AAPL%00", "x" * 16]
)
async def test_an_asset_path_that_is_no_symbol_or_id_is_refused_before_the_broker(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox, path: str
) -> None:
    """`%2E%2E` used to match and walk the broker's path up to `/v1/`. (A bare `..` is
    already resolved by the router, which then finds no route.)"""
    response = await api.get(
        f"/api/assets/{path}", headers=auth_for(api, shared_sandbox.personas["maya"])
    )
    assert response.status in (400, 404), (path, await response.text())
    error = (await response.json())["error"]
    if response.status == 400:
        assert error["details"]["field"] == "symbol_or_id"
    else:
        assert error["code"] == "not_found"


@pytest.mark.parametrize("symbol", ["AAPL", "brk.b", "BF-B"])
async def test_real_ticker_shapes_are_looked_up(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox, symbol: str
) -> None:
    response = await api.get(
        f"/api/assets/{symbol}", headers=auth_for(api, shared_sandbox.personas["maya"])
    )
    assert response.status in (200, 404), (symbol, await response.text())
