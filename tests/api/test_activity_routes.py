"""Orders and activities: filters, validation, and cursors that page through everything."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import pytest
from aiohttp.test_utils import TestClient

from portfolio_rt.sandbox.records import ActivityRecord
from portfolio_rt.sandbox.world import Sandbox

Auth = Callable[..., dict[str, str]]


def all_ledger_activities(sandbox: Sandbox, account: UUID) -> list[ActivityRecord]:
    """Every activity of the account, read through the ledger's own page tokens."""
    out: list[ActivityRecord] = []
    token = None
    while True:
        page = sandbox.ledger.activities(account_id=account, page_size=100, page_token=token)
        out.extend(page)
        if len(page) < 100:
            return out
        token = page[-1].id


def all_ledger_order_ids(sandbox: Sandbox, account: UUID) -> set[str]:
    filled = {
        str(a.order_id)
        for a in all_ledger_activities(sandbox, account)
        if a.activity_type == "FILL"
    }
    still_open = {str(o.id) for o in sandbox.ledger.orders(account, status="open", limit=500)}
    return filled | still_open


async def test_orders_cursor_pages_through_all_without_gaps_or_repeats(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    account = shared_sandbox.personas["pat"]
    headers = auth_for(api, account)
    expected = all_ledger_order_ids(shared_sandbox, account)
    seen: list[str] = []
    cursor = None
    for _ in range(1000):
        url = "/api/portfolio/orders?limit=37" + (f"&cursor={cursor}" if cursor else "")
        body = await (await api.get(url, headers=headers)).json()
        seen.extend(o["id"] for o in body["orders"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert set(seen) == expected


async def test_orders_filters(api: TestClient, auth_for: Auth, shared_sandbox: Sandbox) -> None:
    headers = auth_for(api, shared_sandbox.personas["jordan"])
    body = await (await api.get("/api/portfolio/orders?side=buy&limit=500", headers=headers)).json()
    assert body["orders"]
    assert {o["side"] for o in body["orders"]} == {"buy"}
    symbol = body["orders"][0]["symbol"]
    only = await (
        await api.get(f"/api/portfolio/orders?symbols={symbol}&limit=500", headers=headers)
    ).json()
    assert {o["symbol"] for o in only["orders"]} == {symbol}


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=501",
        "limit=ten",
        "status=pending",
        "side=short",
        "after=yesterday",
        "cursor=garbage!",
        "symbols=%3Cscript%3E",
    ],
)
async def test_bad_order_queries_are_400(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox, query: str
) -> None:
    headers = auth_for(api, shared_sandbox.personas["jordan"])
    response = await api.get(f"/api/portfolio/orders?{query}", headers=headers)
    assert response.status == 400, query
    assert (await response.json())["error"]["code"] == "bad_request"


async def test_activities_page_through_everything(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    account = shared_sandbox.personas["sam"]
    headers = auth_for(api, account)
    expected = {a.id for a in all_ledger_activities(shared_sandbox, account)}
    seen: list[str] = []
    cursor = None
    for _ in range(1000):
        url = "/api/portfolio/activities?limit=50" + (f"&cursor={cursor}" if cursor else "")
        body = await (await api.get(url, headers=headers)).json()
        seen.extend(a["id"] for a in body["activities"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert set(seen) == expected


async def test_activity_type_filter(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    headers = auth_for(api, shared_sandbox.personas["sam"])
    body = await (
        await api.get("/api/portfolio/activities?types=dividend&limit=100", headers=headers)
    ).json()
    assert body["activities"]
    assert {a["type"] for a in body["activities"]} == {"dividend"}
    assert all(float(a["amount"]) > 0 for a in body["activities"])
    bad = await api.get("/api/portfolio/activities?types=bonus", headers=headers)
    assert bad.status == 400


async def test_asset_details_with_sector(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    headers = auth_for(api, shared_sandbox.personas["maya"])
    body = await (await api.get("/api/assets/aapl", headers=headers)).json()
    assert body["symbol"] == "AAPL"
    assert body["class"] == "us_equity"
    assert body["sector"] == "Information Technology"
    assert body["industry"] == "Technology Hardware, Storage & Peripherals"
    etf = await (await api.get("/api/assets/SPY", headers=headers)).json()
    assert etf["sector"] == "Diversified"
    assert etf["industry"] is None
    missing = await api.get("/api/assets/NOPE", headers=headers)
    assert missing.status == 404
