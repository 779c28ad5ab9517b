"""GET /api/portfolio/analytics: scores and exposures for every persona, through the API."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from aiohttp.test_utils import TestClient

from portfolio_rt.sandbox.personas import PERSONAS
from portfolio_rt.sandbox.world import Sandbox
from portfolio_rt.state import RUNTIME

Auth = Callable[..., dict[str, str]]


async def fetch(api: TestClient, auth_for: Auth, sandbox: Sandbox, name: str) -> dict:  # type: ignore[type-arg]
    response = await api.get(
        "/api/portfolio/analytics", headers=auth_for(api, sandbox.personas[name])
    )
    assert response.status == 200, await response.text()
    return dict(await response.json())


@pytest.mark.parametrize("name", PERSONAS)
async def test_shape_and_exposures_sum_to_the_account(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox, name: str
) -> None:
    body = await fetch(api, auth_for, shared_sandbox, name)
    for score in (body["risk"], body["diversification"]):
        assert 1 <= score["score"] <= 10
        assert score["label"]
        assert score["summary"].endswith(".")
        assert all({"name", "value", "explanation"} <= set(f) for f in score["factors"])
    for breakdown in (body["exposures"]["asset_class"], body["exposures"]["sector"]):
        if breakdown:
            assert abs(sum(e["pct"] for e in breakdown) - 100) < 0.05
            total = sum(Decimal(e["market_value"]) for e in breakdown)
            equity = shared_sandbox.ledger.balances(shared_sandbox.personas[name]).equity
            assert abs(total - equity) <= equity * Decimal("0.01") + 1
    assert body["methodology_version"]


@pytest.mark.parametrize("name", PERSONAS)
async def test_holdings_shares_weigh_back_to_the_breakdowns(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox, name: str
) -> None:
    """What the page does at live prices: each holding's value spread by its shares, plus the
    cash, gives every bucket's amount."""
    body = await fetch(api, auth_for, shared_sandbox, name)
    exposures = body["exposures"]
    account = shared_sandbox.personas[name]
    values = {p.symbol: abs(p.market_value) for p in shared_sandbox.ledger.positions(account)}
    assert {h["symbol"] for h in exposures["holdings"]} == set(values)
    for view in ("asset_class", "sector"):
        amounts: dict[str, Decimal] = {}
        for holding in exposures["holdings"]:
            assert abs(sum(s["share"] for s in holding[view]) - 1) < 1e-9
            for part in holding[view]:
                value = values[holding["symbol"]] * Decimal(repr(part["share"]))
                amounts[part["name"]] = amounts.get(part["name"], Decimal(0)) + value
        if Decimal(exposures["cash"]) > 0:
            amounts["Cash"] = amounts.get("Cash", Decimal(0)) + Decimal(exposures["cash"])
        expected = {e["name"]: Decimal(e["market_value"]) for e in exposures[view]}
        assert set(expected) == {k for k, v in amounts.items() if v > 0}
        for bucket, amount in expected.items():
            # the sandbox's prices may tick between the answer and this read
            assert abs(amounts[bucket] - amount) <= amount * Decimal("1e-4") + 1, (view, bucket)


async def test_personas_score_as_calibrated(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    jordan = await fetch(api, auth_for, shared_sandbox, "jordan")
    maya = await fetch(api, auth_for, shared_sandbox, "maya")
    sam = await fetch(api, auth_for, shared_sandbox, "sam")
    assert jordan["risk"]["score"] >= 7
    assert jordan["diversification"]["score"] <= 4
    assert 3 <= maya["risk"]["score"] <= 7
    assert maya["diversification"]["score"] >= 6
    assert sam["diversification"]["score"] > jordan["diversification"]["score"]


async def test_new_account_gets_a_meaningful_answer(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    alex = await fetch(api, auth_for, shared_sandbox, "alex")
    assert alex["risk"]["label"]
    assert alex["diversification"]["summary"]


async def test_result_is_reused_and_bars_fetched_once_a_day(
    api: TestClient, auth_for: Auth, shared_sandbox: Sandbox
) -> None:
    await fetch(api, auth_for, shared_sandbox, "pat")
    gateway = api.app[RUNTIME].gateway
    calls = gateway.http.calls
    await fetch(api, auth_for, shared_sandbox, "pat")
    assert gateway.http.calls == calls  # positions and account cached, result reused
