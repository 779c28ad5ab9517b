"""What moves an account's live value: its own prices, fills and deposits — and nothing else."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from tests.fixtures.funds import link_bank
from tests.fixtures.live import Live, next_message, settle, until, wait_for


def is_update(m: dict[str, Any]) -> bool:
    return m["type"] == "update"


async def test_a_second_accounts_socket_never_sees_the_firsts_values(live: Live) -> None:
    maya, jordan = live.sandbox.personas["maya"], live.sandbox.personas["jordan"]
    maya_ws, jordan_ws = await live.socket(maya), await live.socket(jordan)
    jordan_snapshot = await next_message(jordan_ws)
    assert jordan_snapshot["account_id"] == str(jordan)
    await next_message(maya_ws)
    await settle(live, maya, 4)
    await settle(live, jordan, 8)
    seen: list[dict[str, Any]] = []
    for price in ("301.00", "302.00", "303.00"):
        live.publish({"VTI": price})  # only maya holds VTI
        expected = live.expected_equity(maya)
        await wait_for(maya_ws, lambda m, e=expected: is_update(m) and m["equity"] == str(e))
    try:
        async with asyncio.timeout(0.5):
            while True:
                seen.append(await next_message(jordan_ws))
    except TimeoutError:
        pass
    maya_values = {str(live.expected_equity(maya))}
    assert all(m.get("equity") not in maya_values for m in seen)
    assert all(m["type"] in ("update", "status") for m in seen)
    await maya_ws.close()
    await jordan_ws.close()


async def test_a_deposit_completing_today_is_not_todays_return(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    headers = live.bearer(maya)
    ws = await live.socket(maya)
    await next_message(ws)
    await settle(live, maya, 4)
    live.publish({"VTI": "300.00", "QQQ": "500.00", "BND": "70.00", "VXUS": "60.00"})
    expected = live.expected_equity(maya)
    before = await wait_for(ws, lambda m: is_update(m) and m["equity"] == str(expected))

    bank = await link_bank(live.client, headers)
    response = await live.client.post(
        "/api/funds/deposits",
        json={"amount": "1000.00", "relationship_id": bank["id"]},
        headers=headers | {"Idempotency-Key": "live-deposit-0001"},
    )
    assert response.status == 201, await response.text()
    after = await wait_for(
        ws,
        lambda m: is_update(m) and Decimal(m["equity"]) == Decimal(before["equity"]) + 1000,
    )
    assert after["today_return"]["amount"] == before["today_return"]["amount"]
    await ws.close()


async def test_a_fill_outside_the_service_moves_the_value_within_a_collector_cycle(
    live: Live,
) -> None:
    maya = live.sandbox.personas["maya"]
    ws = await live.socket(maya)
    await next_message(ws)
    await settle(live, maya, 4)
    live.sandbox.ledger.submit_order(
        maya, symbol="AAPL", side="buy", type="market", time_in_force="day", qty="2"
    )
    await settle(live, maya, 5)  # the collector saw AAPL and the stream now carries it
    live.publish({"AAPL": "250.00", "VTI": "300.00"})
    expected = live.expected_equity(maya)
    update = await wait_for(ws, lambda m: is_update(m) and m["equity"] == str(expected))
    assert update["seq"] > 1
    await ws.close()


async def test_closing_a_socket_leaves_no_writer_and_unwatches_the_account(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    ws = await live.socket(maya)
    await next_message(ws)
    assert str(maya) in live.engine.revaluer.books
    await ws.close()
    await until(
        lambda: (
            str(maya) not in live.engine.revaluer.books
            and not [t for t in asyncio.all_tasks() if t.get_name().startswith("live-writer")]
        )
    )
