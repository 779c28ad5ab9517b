"""Summary, history and positions for every demo user, reconciled with the broker's ledger."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from uuid import UUID

import pytest
from aiohttp.test_utils import TestClient

from portfolio_rt.sandbox.personas import PERSONAS
from portfolio_rt.sandbox.world import Sandbox

Auth = Callable[..., dict[str, str]]


@pytest.mark.parametrize("persona", PERSONAS)
async def test_summary_reconciles_with_the_ledger(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox, persona: str
) -> None:
    account_id = shared_sandbox.personas[persona]
    response = await api.get("/api/portfolio/summary", headers=auth_for(api, account_id))
    assert response.status == 200, await response.text()
    body = await response.json()
    balances = shared_sandbox.ledger.balances(account_id)
    equity = Decimal(body["equity"])
    # The market moves between the two reads; the ledger's equity is within cents of ours.
    assert abs(equity - balances.equity) <= max(Decimal("0.01"), balances.equity * Decimal("0.002"))
    assert Decimal(body["cash"]) == balances.cash.quantize(Decimal("0.01"))
    assert Decimal(body["last_equity"]) == balances.last_equity.quantize(Decimal("0.01"))
    net = Decimal(body["net_deposits"])
    assert Decimal(body["all_time_return"]["amount"]) == (equity - net).quantize(Decimal("0.01"))
    assert isinstance(body["market_open"], bool)
    assert body["stale"] is False


async def test_new_account_summary_has_no_percentages(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    account_id = shared_sandbox.personas["alex"]
    body = await (await api.get("/api/portfolio/summary", headers=auth_for(api, account_id))).json()
    assert body["equity"] == "0.00"
    assert body["all_time_return"]["pct"] is None


@pytest.mark.parametrize("period", ["1D", "1w", "1M", "3M", "6M", "YTD", "1Y", "max"])
async def test_history_every_period(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox, period: str
) -> None:
    account_id = shared_sandbox.personas["maya"]
    response = await api.get(
        f"/api/portfolio/history?period={period}", headers=auth_for(api, account_id)
    )
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["period"] == period.upper()
    assert len(body["timestamp"]) == len(body["equity"]) == len(body["profit_loss"]) > 0
    assert body["timestamp"] == sorted(body["timestamp"])
    first, last = Decimal(body["equity"][0]), Decimal(body["equity"][-1])
    deposits = [Decimal(v) for v in body["net_deposits"]]
    gain = Decimal(body["change"]["amount"])
    # The range's change is its gain: the value's move with the money moved in left out.
    assert gain == Decimal(body["profit_loss"][-1])
    assert body["change"]["direction"] == ("up" if gain >= 0 else "down")
    if body["period"] == "MAX":  # from the opening: the value now minus everything put in
        assert gain == last - deposits[-1]
    elif body["period"] != "1D":  # from the first point (1D: from the last close)
        assert gain == (last - first) - (deposits[-1] - deposits[0])


async def test_max_history_starts_at_account_creation(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    account_id = shared_sandbox.personas["maya"]
    headers = auth_for(api, account_id)
    body = await (await api.get("/api/portfolio/history?period=MAX", headers=headers)).json()
    created = shared_sandbox.ledger.account(account_id).created_at
    one_year = await (await api.get("/api/portfolio/history?period=1Y", headers=headers)).json()
    assert body["timestamp"][0] < one_year["timestamp"][0]  # not capped at a year
    assert abs(body["timestamp"][0] - created.timestamp()) < 5 * 86400


async def test_unknown_period_lists_the_allowed_values(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    account_id = shared_sandbox.personas["maya"]
    response = await api.get("/api/portfolio/history?period=2Y", headers=auth_for(api, account_id))
    assert response.status == 400
    error = (await response.json())["error"]
    assert error["details"] == {"field": "period"}
    assert "1D, 1W, 1M, 3M, 6M, YTD, 1Y, MAX" in error["message"]


@pytest.mark.parametrize("persona", PERSONAS)
async def test_positions_match_the_ledger(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox, persona: str
) -> None:
    account_id = shared_sandbox.personas[persona]
    response = await api.get("/api/portfolio/positions", headers=auth_for(api, account_id))
    assert response.status == 200, await response.text()
    body = await response.json()
    ledger = {p.symbol: p for p in shared_sandbox.ledger.positions(account_id)}
    assert {p["symbol"] for p in body["positions"]} == set(ledger)
    for row in body["positions"]:
        assert Decimal(row["qty"]) == ledger[row["symbol"]].qty
        assert Decimal(row["cost_basis"]) == ledger[row["symbol"]].cost_basis.quantize(
            Decimal("0.01")
        )
        assert row["name"]
        assert row["sector"]
        assert row["first_bought_at"] is not None
    if body["positions"]:
        assert abs(sum(r["weight_pct"] for r in body["positions"]) - 100) < 0.5


async def test_pat_has_about_300_positions(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    account_id = shared_sandbox.personas["pat"]
    body = await (
        await api.get("/api/portfolio/positions", headers=auth_for(api, account_id))
    ).json()
    assert len(body["positions"]) >= 250


def _accounts(sandbox: Sandbox) -> list[UUID]:
    return list(sandbox.personas.values())


ROUTES = (
    "/api/portfolio/summary",
    "/api/portfolio/history?period=1W",
    "/api/portfolio/positions",
    "/api/portfolio/analytics",
    "/api/portfolio/orders?status=all&limit=20",
    "/api/portfolio/activities?limit=20",
    "/api/funds/bank-accounts",
    "/api/funds/transfers",
)


@pytest.mark.parametrize("persona", PERSONAS)
async def test_every_route_answers_for_every_demo_user(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox, persona: str
) -> None:
    headers = auth_for(api, shared_sandbox.personas[persona])
    for path in ROUTES:
        response = await api.get(path, headers=headers)
        assert response.status == 200, (persona, path, await response.text())
        assert response.content_type == "application/json"


async def test_orders_and_activities_are_the_callers_own(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    for persona in ("jordan", "sam"):
        account = shared_sandbox.personas[persona]
        headers = auth_for(api, account)
        orders = await (await api.get("/api/portfolio/orders?limit=500", headers=headers)).json()
        own = {str(o.id) for o in shared_sandbox.ledger.orders(account, status="all", limit=500)}
        assert {o["id"] for o in orders["orders"]} <= own
        transfers = await (await api.get("/api/funds/transfers", headers=headers)).json()
        own_transfers = {str(t.id) for t in shared_sandbox.ledger.transfers(account)}
        assert {t["id"] for t in transfers["transfers"]} <= own_transfers
