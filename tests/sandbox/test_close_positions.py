"""Closing positions (`DELETE …/positions[/{symbol_or_asset_id}]`): market sells placed through
the ledger's order path, their validation, and the 207 answer of closing everything."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from uuid import UUID

import pytest

from portfolio_rt.sandbox.app import RunningSandbox
from portfolio_rt.sandbox.closing import close_all_positions, close_qty
from portfolio_rt.sandbox.records import LedgerError
from portfolio_rt.sandbox.world import Sandbox

from .broker_calls import broker

POSITIONS = "/v1/trading/accounts/{}/positions"


@pytest.mark.parametrize(
    ("held", "qty", "percentage", "expected"),
    [
        (Decimal("12.5"), None, None, Decimal("12.5")),
        (Decimal("12.5"), Decimal(3), None, Decimal(3)),
        (Decimal(10), None, Decimal(25), Decimal(2)),  # whole shares stay whole: 2.5 -> 2
        (Decimal("10.5"), None, Decimal(25), Decimal("2.625")),
        (Decimal("0.123456789"), None, Decimal(50), Decimal("0.061728394")),
        (Decimal(7), None, Decimal(100), Decimal(7)),
    ],
)
def test_close_quantity(
    held: Decimal, qty: Decimal | None, percentage: Decimal | None, expected: Decimal
) -> None:
    assert close_qty(held, qty, percentage) == expected


def test_a_percentage_below_one_share_of_a_whole_position_is_refused() -> None:
    with pytest.raises(LedgerError) as caught:
        close_qty(Decimal(3), None, Decimal(10))
    assert caught.value.status == 422


async def test_closing_part_of_a_position_sells_it_at_market(
    fresh_sandbox_server: RunningSandbox,
) -> None:
    sandbox = fresh_sandbox_server.sandbox
    async with broker(fresh_sandbox_server) as api:
        maya = api.persona("maya")
        before = sandbox.ledger.position(UUID(maya), "VTI").qty
        status, order = await api.call(
            "DELETE", f"{POSITIONS.format(maya)}/VTI", params={"qty": "2.25"}
        )
        assert status == 200
        assert (order["symbol"], order["side"], order["type"], order["qty"]) == (
            "VTI",
            "sell",
            "market",
            "2.25",
        )
        assert (order["time_in_force"], order["status"], order["position_intent"]) == (
            "day",
            "accepted",
            "sell_to_close",
        )
        for _ in range(100):  # it fills after the fill delay, like any order
            status, got = await api.call("GET", f"/v1/trading/accounts/{maya}/orders/{order['id']}")
            if got["status"] == "filled":
                break
            await asyncio.sleep(0.05)
        assert got["status"] == "filled"
        assert sandbox.ledger.position(UUID(maya), "VTI").qty == before - Decimal("2.25")


async def test_closing_a_crypto_position_by_its_pair_without_slash(
    fresh_sandbox_server: RunningSandbox,
) -> None:
    async with broker(fresh_sandbox_server) as api:
        jordan = api.persona("jordan")
        status, held = await api.call("GET", f"{POSITIONS.format(jordan)}/BTCUSD")
        assert status == 200
        status, order = await api.call("DELETE", f"{POSITIONS.format(jordan)}/BTCUSD")
        assert status == 200
        assert (order["symbol"], order["qty"], order["time_in_force"]) == (
            "BTC/USD",
            held["qty"],
            "gtc",
        )


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"qty": "1", "percentage": "50"}, 422, "only one of qty or percentage can be given"),
        ({"percentage": "0"}, 422, "percentage must be greater than 0 and at most 100"),
        ({"percentage": "100.5"}, 422, "percentage must be greater than 0 and at most 100"),
        ({"percentage": "fifty"}, 422, "percentage must be a decimal number"),
        ({"qty": "-1"}, 422, "qty must be greater than 0"),
        ({"qty": "0.0000000001"}, 422, "qty must have at most 9 decimal places"),
        ({"qty": "1000000"}, 403, "insufficient qty available for order"),
    ],
)
async def test_close_position_validation(
    sandbox_server: RunningSandbox, params: dict[str, str], status: int, message: str
) -> None:
    async with broker(sandbox_server) as api:
        maya = api.persona("maya")
        got, body = await api.call("DELETE", f"{POSITIONS.format(maya)}/VTI", params=params)
        assert got == status
        assert body["message"].startswith(message)


async def test_closing_what_is_not_held_is_404(sandbox_server: RunningSandbox) -> None:
    async with broker(sandbox_server) as api:
        maya = api.persona("maya")
        status, body = await api.call("DELETE", f"{POSITIONS.format(maya)}/TSLA")
        assert (status, body) == (404, {"code": 40410000, "message": "position does not exist"})
        status, body = await api.call("DELETE", f"{POSITIONS.format(maya)}/NOSUCH")
        assert status == 404


async def test_close_all_with_nothing_held_is_an_empty_207(
    sandbox_server: RunningSandbox,
) -> None:
    async with broker(sandbox_server) as api:
        alex = api.persona("alex")
        assert await api.call("DELETE", POSITIONS.format(alex)) == (207, [])
        status, body = await api.call(
            "DELETE", POSITIONS.format(alex), params={"cancel_orders": "maybe"}
        )
        assert (status, body["message"]) == (422, "cancel_orders must be true or false")


async def test_close_all_reports_each_position_and_can_cancel_orders_first(
    fresh_sandbox_server: RunningSandbox,
) -> None:
    async with broker(fresh_sandbox_server) as api:
        maya = api.persona("maya")
        path = POSITIONS.format(maya)
        status, positions = await api.call("GET", path)
        held = {p["symbol"]: p["qty"] for p in positions}
        vti = held["VTI"]
        status, _ = await api.call(
            "POST",
            f"/v1/trading/accounts/{maya}/orders",
            json={
                "symbol": "VTI",
                "qty": vti,
                "side": "sell",
                "type": "limit",
                "limit_price": "99999",
                "time_in_force": "gtc",
            },
        )
        assert status == 200
        status, results = await api.call("DELETE", path)
        assert status == 207
        by_symbol = {r["symbol"]: r for r in results}
        assert set(by_symbol) == set(held)
        refused = by_symbol["VTI"]
        assert refused["status"] == 403
        assert refused["body"] == {
            "available": "0",
            "code": 40310000,
            "existing_qty": vti,
            "held_for_orders": vti,
            "message": f"insufficient qty available for order (requested: {vti}, available: 0)",
            "symbol": "VTI",
        }
        closed = [r for r in results if r["symbol"] != "VTI"]
        assert {r["status"] for r in closed} == {200}
        assert all(r["body"]["qty"] == held[r["symbol"]] for r in closed)
        # With cancel_orders the resting sell goes first, then VTI can be closed too.
        status, again = await api.call("DELETE", path, params={"cancel_orders": "True"})
        assert status == 207
        vti_result = next(r for r in again if r["symbol"] == "VTI")
        assert (vti_result["status"], vti_result["body"]["qty"]) == (200, vti)
        status, open_orders = await api.call("GET", f"/v1/trading/accounts/{maya}/orders")
        assert [o["symbol"] for o in open_orders if o["type"] == "limit"] == []


def test_close_all_in_the_ledger_sells_every_holding(fresh_sandbox: Sandbox) -> None:
    ledger = fresh_sandbox.ledger
    sam = fresh_sandbox.personas["sam"]
    held = {view.symbol: view.qty for view in ledger.positions(sam)}
    results = close_all_positions(ledger, sam)
    assert {r.view.symbol for r in results} == set(held)
    assert all(r.order is not None and r.order.qty == held[r.view.symbol] for r in results)
    assert all(r.json()["status"] == 200 for r in results)
