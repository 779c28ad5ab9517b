"""Query parameters as the document states them: what it allows is answered, what it forbids
is a 400 naming the parameter (the findings a fuzzer and a generated client reported)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from aiohttp.test_utils import TestClient

from portfolio_rt.sandbox.world import Sandbox

Auth = Callable[..., dict[str, str]]


async def get(api: TestClient, headers: dict[str, str], url: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = await api.get(url, headers=headers)
    return response.status, await response.json()


async def test_activities_take_alpacas_own_codes_beside_the_names(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    headers = auth_for(api, shared_sandbox.personas["sam"])
    status, body = await get(api, headers, "/api/portfolio/activities?types=FILL,DIV&limit=100")
    assert status == 200
    codes = {a["code"] for a in body["activities"]}
    assert codes
    assert codes <= {"FILL", "DIV"}
    _, by_name = await get(api, headers, "/api/portfolio/activities?types=fill,DIV&limit=100")
    assert by_name["activities"] == body["activities"]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/portfolio/orders?until=", "until"),
        ("/api/portfolio/activities?until=", "until"),
        ("/api/portfolio/orders?after=2026-01-31T10:00:00", "after"),  # no offset
        ("/api/portfolio/orders?after=yesterday", "after"),
        ("/api/portfolio/orders?limit=%2B5", "limit"),
        ("/api/portfolio/orders?limit=%205", "limit"),
        ("/api/portfolio/orders?limit=5.0", "limit"),
        ("/api/portfolio/orders?limit=5_0", "limit"),
        ("/api/portfolio/orders?limit=501", "limit"),
        ("/api/portfolio/orders?status=pending", "status"),
        ("/api/portfolio/orders?symbols=AAPL,", "symbols"),
        ("/api/portfolio/activities?types=fill,", "types"),
        ("/api/portfolio/activities?types=SPLIT", "types"),
        ("/api/portfolio/realized?year=1999", "year"),
        ("/api/portfolio/realized?year=2101", "year"),
        ("/api/portfolio/history?period=%201M", "period"),
    ],
)
async def test_what_the_document_forbids_is_a_400_naming_the_parameter(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox, url: str, field: str
) -> None:
    status, body = await get(api, auth_for(api, shared_sandbox.personas["maya"]), url)
    assert status == 400, body
    assert body["error"]["details"]["field"] == field


async def test_an_enum_error_lists_the_allowed_values(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    headers = auth_for(api, shared_sandbox.personas["maya"])
    _, body = await get(api, headers, "/api/portfolio/orders?side=short")
    assert body["error"]["details"] == {"field": "side", "allowed": ["buy", "sell"]}


@pytest.mark.parametrize(
    "url",
    [
        "/api/portfolio/orders?after=2016-12-31T23:59:60Z",  # a leap second
        "/api/portfolio/orders?after=2026-01-31t10:00:00.123456789-05:00",
        "/api/portfolio/orders?until=2026-01-31",
        "/api/portfolio/orders?symbols=aapl,BTC/USD,brk.b",
        "/api/portfolio/orders?limit=500",
        "/api/portfolio/history?period=ytd",
        "/api/portfolio/realized?year=2100",
        "/api/portfolio/activities?types=dividend,CFEE&limit=1",
    ],
)
async def test_what_the_document_allows_is_answered(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox, url: str
) -> None:
    status, body = await get(api, auth_for(api, shared_sandbox.personas["maya"]), url)
    assert status == 200, body


async def test_a_year_to_come_has_no_sale_yet(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    headers = auth_for(api, shared_sandbox.personas["sam"])
    _, body = await get(api, headers, "/api/portfolio/realized?year=2100")
    assert body["year"] == 2100
    assert body["lots"] == []
    assert body["totals"]["gain"] == "0.00"


async def test_orders_filtered_by_lower_case_symbols(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    headers = auth_for(api, shared_sandbox.personas["sam"])
    _, every = await get(api, headers, "/api/portfolio/orders?limit=500")
    symbol = every["orders"][0]["symbol"]
    _, some = await get(api, headers, f"/api/portfolio/orders?limit=500&symbols={symbol.lower()}")
    assert some["orders"]
    assert {o["symbol"] for o in some["orders"]} == {symbol}


@pytest.mark.parametrize(("path", "symbol"), [("BTC%2FUSD", "BTC/USD"), ("btcusd", "BTC/USD")])
async def test_a_crypto_pair_is_found_as_the_api_writes_it(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox, path: str, symbol: str
) -> None:
    status, body = await get(
        api, auth_for(api, shared_sandbox.personas["maya"]), f"/api/assets/{path}"
    )
    assert status == 200, body
    assert body["symbol"] == symbol
    assert body["class"] == "crypto"
