"""Broker events reach the page the moment Alpaca reports them: a buy placed at the broker
(not through this service) moves an open socket's value and the positions route at once; a
completed deposit moves cash, not today's return; a dropped event stream resumes where it
stopped, applying every event once."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal
from typing import Any
from uuid import UUID

import aiohttp
import pytest

from portfolio_rt.core.money import money
from portfolio_rt.live.changes import AccountChange
from portfolio_rt.live.engine import RealtimeEngine
from tests.fixtures.funds import link_bank
from tests.fixtures.live import Live, next_message, settle, until, wait_for
from tests.fixtures.logs import CapturedLogs
from tests.fixtures.settings import SANDBOX_KEY, SANDBOX_SECRET

AUTH = aiohttp.BasicAuth(SANDBOX_KEY, SANDBOX_SECRET)


def consumer(engine: RealtimeEngine):  # type: ignore[no-untyped-def]
    assert engine.events is not None
    return engine.events


async def events_live(live: Live) -> None:
    await until(lambda: consumer(live.engine).healthy, within_s=10)


async def buy_at_the_broker(live: Live, account: UUID, symbol: str, qty: str) -> dict[str, Any]:
    """An order placed straight at the broker (the app's own trading screen), not here."""
    async with (
        aiohttp.ClientSession(auth=AUTH) as session,
        session.post(
            f"{live.running.broker_url}/v1/trading/accounts/{account}/orders",
            json={"symbol": symbol, "qty": qty, "side": "buy", "type": "market",
                  "time_in_force": "day"},
        ) as response,
    ):  # fmt: skip
        assert response.status == 200, await response.text()
        order: dict[str, Any] = await response.json()
    assert order["status"] == "accepted"  # the fill comes later, as an event
    return order


async def test_a_buy_at_the_broker_moves_the_open_page_and_the_positions_route(
    live: Live,
) -> None:
    maya = live.sandbox.personas["maya"]
    await events_live(live)
    ws = await live.socket(maya)
    assert (await next_message(ws))["type"] == "snapshot"
    await settle(live, maya, symbols=1)
    headers = live.bearer(maya)
    before = await (await live.client.get("/api/portfolio/positions", headers=headers)).json()
    assert "NVDA" not in {p["symbol"] for p in before["positions"]}

    placed = time.monotonic()
    order = await buy_at_the_broker(live, maya, "NVDA", "3")
    changed = await wait_for(ws, lambda m: m["type"] == "changed" and "positions" in m["what"])
    assert set(changed["what"]) >= {"positions", "orders", "activities"}
    fill_to_page = time.monotonic() - placed
    assert fill_to_page < 0.3 + 0.1 + 1.0, fill_to_page  # fill delay + push interval + 1 s
    # Bought at the market price the total is unchanged; the next move of NVDA moves it by
    # 3 shares' worth, so the live value holds the new position (and the cash it cost).
    await settle(live, maya, symbols=len(before["positions"]) + 1)
    price = live.sandbox.ticker.latest_trade("NVDA")
    assert price is not None
    live.publish({"NVDA": str(price.price + 10)})
    expected = live.expected_equity(maya)
    await wait_for(ws, lambda m: m["type"] == "update" and Decimal(m["equity"]) == expected)

    now = await (await live.client.get("/api/portfolio/positions", headers=headers)).json()
    held = {p["symbol"]: p for p in now["positions"]}
    assert held["NVDA"]["qty"] == "3"
    orders = await (
        await live.client.get("/api/portfolio/orders?status=closed", headers=headers)
    ).json()
    assert order["id"] in {o["id"] for o in orders["orders"]}
    await ws.close()


async def test_a_completed_deposit_moves_cash_not_todays_return(live: Live) -> None:
    jordan = live.sandbox.personas["jordan"]
    await events_live(live)
    ws = await live.socket(jordan)
    snapshot = await next_message(ws)
    headers = live.bearer(jordan)
    bank = await link_bank(live.client, headers)
    response = await live.client.post(
        "/api/funds/deposits",
        json={"amount": "250.00", "relationship_id": bank["id"]},
        headers=headers | {"Idempotency-Key": "events-deposit-0001"},
    )
    assert response.status == 201, await response.text()
    await wait_for(ws, lambda m: m["type"] == "changed" and "transfers" in m["what"])
    # The sandbox clears it after transfer_delay_s (0.5 s in tests): cash moves then.
    await wait_for(
        ws,
        lambda m: m["type"] == "changed" and {"transfers", "activities"} <= set(m["what"]),
        within_s=10,
    )
    after = await wait_for(
        ws,
        lambda m: (
            m["type"] == "update"
            and Decimal(m["equity"]) >= Decimal(snapshot["equity"]) + Decimal("200")
        ),
        within_s=10,
    )
    # A deposit is not a gain: today's return moved only with prices (none here).
    assert after["today_return"]["amount"] == snapshot["today_return"]["amount"]
    summary = await (await live.client.get("/api/portfolio/summary", headers=headers)).json()
    assert Decimal(summary["cash"]) == money(live.sandbox.ledger.balances(jordan).cash)
    await ws.close()


async def test_a_dropped_event_stream_resumes_and_applies_every_event_once(
    live: Live,
) -> None:
    maya = live.sandbox.personas["maya"]
    await events_live(live)
    events = consumer(live.engine)
    start = len(live.sandbox.events.events("trades"))
    live.sandbox.faults.add(
        {"route": "/v2/events/trades", "on": "data", "kind": "disconnect", "count": 2}
    )
    for symbol in ("AAPL", "MSFT", "KO"):
        await buy_at_the_broker(live, maya, symbol, "1")
    emitted = live.sandbox.events.events("trades")

    def all_applied() -> bool:
        applied = {i for s, i in events.recent if s == "trades"}
        return len(emitted) - start >= 6 and {e.ulid for e in emitted[start:]} <= applied

    await until(all_applied, within_s=15)
    applied = [i for s, i in events.recent if s == "trades"]
    assert len(applied) == len(set(applied))  # none twice
    assert events.followers["trades"].reconnects >= 2
    assert events.readiness()["reconnects"] >= 2


@pytest.mark.parametrize("kind", ["malformed"])
async def test_a_malformed_event_is_skipped_and_counted(live: Live, kind: str) -> None:
    maya = live.sandbox.personas["maya"]
    await events_live(live)
    live.sandbox.faults.add({"route": "/v2/events/trades", "on": "data", "kind": kind, "count": 1})
    await buy_at_the_broker(live, maya, "KO", "1")
    emitted = live.sandbox.events.events("trades")
    last = emitted[-1].ulid
    await until(lambda: any(i >= last for _, i in consumer(live.engine).recent), within_s=10)
    assert consumer(live.engine).followers["trades"].reconnects == 0


async def test_ready_reports_the_consumer(live: Live) -> None:
    await events_live(live)
    body = await (await live.client.get("/ready")).json()
    events = body["checks"]["events"]
    assert events["role"] == "single"
    assert events["flowing"] is True
    assert events["streams"] == {"trades": "live", "funding": "live", "nta": "live"}
    await asyncio.sleep(0)


async def test_the_reconciliation_counts_drift_while_events_flow(
    live: Live, captured_logs: CapturedLogs
) -> None:
    """An event that went missing shows as an account whose positions the collection finds
    different from the index: counted, logged, and put right."""
    maya = str(live.sandbox.personas["maya"])
    await events_live(live)
    engine = live.engine
    assert engine.collector is not None
    await engine.collector.collect_once()  # the start's collection
    truth = dict(engine.index.positions(maya))
    engine.index.set_account(maya, truth | {"ZZZZ": 5.0})  # what a lost event would leave
    await engine.collector.collect_once()
    assert engine.index.positions(maya) == truth
    text = engine.metrics.render().decode() if engine.metrics is not None else ""
    assert "portfolio_rt_reconcile_drift_accounts_total 1.0" in text
    drift = [line for line in captured_logs.lines() if line["event"] == "realtime.reconcile_drift"]
    assert drift[-1]["accounts"] == 1


async def test_a_resume_point_alpaca_refuses_is_a_gap_reconciled_then_followed_from_now(
    live: Live,
) -> None:
    maya = live.sandbox.personas["maya"]
    await events_live(live)
    events = consumer(live.engine)
    await buy_at_the_broker(live, maya, "KO", "1")
    await until(lambda: len(events.recent) >= 2)  # a checkpoint now exists
    assert live.engine.collector is not None
    collections = live.engine.collector.collections
    # The connection drops, and Alpaca will not replay from the checkpoint (history gone).
    faults = live.sandbox.faults
    faults.add({"route": "/v2/events/trades", "kind": "status", "status": 410, "count": 1})
    faults.add({"route": "/v2/events/trades", "on": "data", "kind": "disconnect", "count": 1})
    await buy_at_the_broker(live, maya, "PEP", "1")
    collector = live.engine.collector
    await until(lambda: events.gaps == 1, within_s=10)
    await until(lambda: collector.collections > collections)  # every account reconciled
    await until(lambda: events.followers["trades"].state == "live", within_s=10)
    before = len(events.recent)
    await buy_at_the_broker(live, maya, "KO", "1")
    await until(lambda: len(events.recent) >= before + 2, within_s=10)  # from now on
    await asyncio.sleep(0.5)
    ids = [event_id for _, event_id in events.recent]
    assert len(ids) == len(set(ids))  # nothing from before the gap came twice


async def test_shares_moved_without_a_position_in_the_event_are_read_once(live: Live) -> None:
    """A share journal or a split says positions changed but not to what: the instance that
    keeps the whole index reads that account's positions (one call)."""
    maya = str(live.sandbox.personas["maya"])
    await events_live(live)
    engine = live.engine
    assert engine.collector is not None
    await engine.collector.collect_once()
    truth = dict(engine.index.positions(maya))
    engine.index.set_account(maya, {})  # out of step, as a share journal would leave it
    engine.apply_change(
        AccountChange("nta", "01ZZZZZZZZZZZZZZZZZZZZZZZZ", time.time(), maya, "JNLS",
                      ("positions", "activities"), refresh="all")
    )  # fmt: skip
    await until(lambda: engine.index.positions(maya) == truth)
