"""Live values over the socket equal cash + Σ qty × the stream's latest price."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from tests.fixtures.live import Live, next_message, settle, wait_for


async def test_snapshot_then_updates_equal_cash_plus_qty_times_latest_price(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    ws = await live.socket(maya)
    snapshot = await next_message(ws)
    assert snapshot["type"] == "snapshot"
    assert snapshot["account_id"] == str(maya)
    assert snapshot["seq"] == 1
    assert snapshot["status"] in ("live", "reconnecting")
    await settle(live, maya, 4)
    live.publish({"VTI": "300.00", "QQQ": "500.00", "BND": "70.00", "VXUS": "60.00"})
    before = live.expected_equity(maya)
    update = await wait_for(ws, lambda m: m["type"] == "update" and m["equity"] == str(before))
    assert update["seq"] > snapshot["seq"]
    assert set(update) == {"type", "equity", "today_return", "as_of", "seq"}
    assert update["as_of"].endswith("Z")
    live.publish({"VTI": "310.00"})
    after = live.expected_equity(maya)
    moved = await wait_for(ws, lambda m: m["type"] == "update" and m["equity"] == str(after))
    # Each equity is rounded to the cent on its own, so their difference is the expected
    # equities' difference, and within a cent (not always exactly) of the unrounded qty × $10.
    delta = Decimal(moved["equity"]) - Decimal(update["equity"])
    assert delta == after - before
    assert abs(delta - vti_qty(maya, live) * Decimal(10)) <= Decimal("0.01")
    await ws.close()


def vti_qty(account: UUID, live: Live) -> Decimal:
    return next(p.qty for p in live.sandbox.ledger.positions(account) if p.symbol == "VTI")


async def test_stream_messages_and_pushes_are_counted_in_metrics(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    ws = await live.socket(maya)
    await next_message(ws)
    await settle(live, maya, 4)
    live.publish({"VTI": "333.00"})
    await wait_for(ws, lambda m: m["type"] == "update")
    text = await (await live.client.get("/metrics")).text()
    counted: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith(
            (
                "portfolio_rt_stream_messages_total",
                "portfolio_rt_ws_pushes_total",
                "portfolio_rt_realtime_flush_duration_seconds_count",
            )
        ):
            name, value = line.rsplit(" ", 1)
            counted[name] = float(value)
    assert counted['portfolio_rt_stream_messages_total{feed="stocks",type="data"}'] > 0
    assert counted['portfolio_rt_ws_pushes_total{type="snapshot"}'] == 1
    assert counted['portfolio_rt_ws_pushes_total{type="update"}'] >= 1
    assert counted["portfolio_rt_realtime_flush_duration_seconds_count"] >= 1
    await ws.close()
