"""The positions topic: each subscribed socket hears the positions whose price moved, figured
as the broker figures them, and nothing about any other account."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any
from uuid import UUID

from aiohttp import ClientWebSocketResponse

from portfolio_rt.core.money import money
from tests.fixtures.live import Live, next_message, settle, until, wait_for

ROW = {
    "symbol",
    "qty",
    "current_price",
    "market_value",
    "today_pl",
    "today_plpc",
    "unrealized_pl",
    "unrealized_plpc",
    "weight_pct",
}


def held(live: Live, account: UUID) -> dict[str, Decimal]:
    return {p.symbol: p.qty for p in live.sandbox.ledger.positions(account)}


def assert_priced(
    live: Live,
    account: UUID,
    message: dict[str, Any],
    prices: dict[str, Decimal] | None = None,
) -> None:
    """Every row's value is qty x its price to the cent, the price the one published (or
    else the stream's latest)."""
    qty = held(live, account)
    for row in message["positions"]:
        assert set(row) == ROW
        assert Decimal(row["qty"]) == qty[row["symbol"]]
        if prices is not None:
            price = prices[row["symbol"]]
        else:
            trade = live.sandbox.ticker.latest_trade(row["symbol"])
            assert trade is not None
            price = trade.price
        assert Decimal(row["current_price"]) == price
        assert row["market_value"] == str(money(qty[row["symbol"]] * price))


async def subscribed(live: Live, account: UUID, symbols: int) -> ClientWebSocketResponse:
    ws = await live.socket(account)
    assert (await next_message(ws))["type"] == "snapshot"
    await settle(live, account, symbols)
    await ws.send_json({"type": "subscribe", "topics": ["positions"]})
    return ws


async def test_first_message_is_complete_and_reconciles_with_the_positions_route(
    live: Live,
) -> None:
    maya = live.sandbox.personas["maya"]
    ws = await subscribed(live, maya, 4)
    assert (await wait_for(ws, lambda m: m["type"] == "subscribed"))["topics"] == [
        "positions",
        "value",
    ]
    first = await wait_for(ws, lambda m: m["type"] == "positions")
    assert first["complete"] is True
    assert {r["symbol"] for r in first["positions"]} == set(held(live, maya))
    weights = [r["weight_pct"] for r in first["positions"]]
    assert abs(sum(weights) - 100) <= 0.01 * len(weights)
    total = sum((Decimal(r["market_value"]) for r in first["positions"]), Decimal(0))
    assert Decimal(first["total_market_value"]) == total  # the rows add up to it

    # The broker's own rows at the same prices: the same money, to the cent. The sandbox's
    # positions are valued at its market's price of the moment, the stream's at its latest
    # trade: ask for fresh trades, follow the pushes to them, and compare when the route
    # answers at those prices (the market may move between the two; then again).
    shown = {r["symbol"]: r for r in first["positions"]}
    ticker = live.sandbox.ticker
    for _ in range(5):
        before = {s: ticker.latest_trade(s) for s in shown}
        ticker.request_ticks(shown)
        await until(lambda b=before: all(ticker.latest_trade(s) is not t for s, t in b.items()))
        prices = {s: trade.price for s in shown if (trade := ticker.latest_trade(s))}

        def caught_up(m: dict[str, Any], prices: dict[str, Decimal] = prices) -> bool:
            if m["type"] == "positions":
                shown.update({r["symbol"]: r for r in m["positions"]})
            return all(Decimal(shown[s]["current_price"]) == p for s, p in prices.items())

        if not caught_up({"type": "none"}):
            await wait_for(ws, caught_up)
        rest = await live.client.get("/api/portfolio/positions", headers=live.bearer(maya))
        assert rest.status == 200
        by_symbol = {r["symbol"]: r for r in (await rest.json())["positions"]}
        if all(Decimal(by_symbol[s]["current_price"]) == p for s, p in prices.items()):
            break
    else:
        raise AssertionError("the positions route never answered at the pushed prices")
    assert_priced(live, maya, {"positions": list(shown.values())}, prices)
    value = sum(Decimal(r["market_value"]) for r in shown.values())
    for row in shown.values():
        broker = by_symbol[row["symbol"]]
        for field in ("market_value", "unrealized_pl", "today_pl"):
            assert row[field] == broker[field], (row["symbol"], field)
        for field in ("unrealized_plpc", "today_plpc"):
            assert abs(row[field] - broker[field]) <= 0.01, (row["symbol"], field)
        # a row not pushed again keeps its last weight: the page weighs rows by their values
        weight = float(Decimal(row["market_value"]) * 100 / value)
        assert abs(weight - broker["weight_pct"]) <= 0.01
    await ws.close()


async def test_a_moved_price_reaches_its_holders_and_nothing_unmoved_is_resent(
    live: Live,
) -> None:
    maya = live.sandbox.personas["maya"]
    jordan = live.sandbox.personas["jordan"]
    assert "VTI" not in held(live, jordan)
    assert "NVDA" not in held(live, maya)
    maya_ws = await subscribed(live, maya, 4)
    jordan_ws = await subscribed(live, jordan, len(held(live, jordan)))
    await wait_for(maya_ws, lambda m: m["type"] == "positions" and m["complete"])
    await wait_for(jordan_ws, lambda m: m["type"] == "positions" and m["complete"])

    live.publish({"VTI": "311.17"})
    moved = await wait_for(
        maya_ws,
        lambda m: (
            m["type"] == "positions" and any(r["current_price"] == "311.17" for r in m["positions"])
        ),
    )
    assert moved["complete"] is False
    assert [r["symbol"] for r in moved["positions"]] == ["VTI"]
    assert_priced(live, maya, moved)

    live.publish({"NVDA": "901.33"})
    theirs = await wait_for(
        jordan_ws,
        lambda m: m["type"] == "positions" and any(r["symbol"] == "NVDA" for r in m["positions"]),
    )
    assert [r["symbol"] for r in theirs["positions"]] == ["NVDA"]
    assert_priced(live, jordan, theirs)
    # Maya's socket heard nothing of NVDA, and nothing more of VTI, in the meantime.
    await asyncio.sleep(0.4)
    while (msg := await _pending(maya_ws)) is not None:
        if msg["type"] == "positions":
            assert all(r["symbol"] not in held(live, jordan) for r in msg["positions"])
            assert [r["symbol"] for r in msg["positions"]] != ["VTI"]
    await maya_ws.close()
    await jordan_ws.close()


async def _pending(ws: ClientWebSocketResponse) -> dict[str, Any] | None:
    """The next message already received, None when none is waiting."""
    try:
        return await next_message(ws, within_s=0.05)
    except TimeoutError:
        return None


async def test_value_only_sockets_get_no_positions_and_unsubscribing_stops_them(
    live: Live,
) -> None:
    maya = live.sandbox.personas["maya"]
    plain = await live.socket(maya)
    assert (await next_message(plain))["type"] == "snapshot"
    ws = await subscribed(live, maya, 4)
    await wait_for(ws, lambda m: m["type"] == "positions")
    await ws.send_json({"type": "unsubscribe", "topics": ["positions"]})
    assert await wait_for(ws, lambda m: m["type"] == "subscribed") == {
        "type": "subscribed",
        "topics": ["value"],
    }
    live.publish({"VTI": "305.55"})
    for sock in (plain, ws):
        update = await wait_for(sock, lambda m: m["type"] == "update")
        assert update["equity"] == str(live.expected_equity(maya))
    await asyncio.sleep(0.3)
    for sock in (plain, ws):
        while (msg := await _pending(sock)) is not None:
            assert msg["type"] != "positions"
    await plain.close()
    await ws.close()


async def test_unknown_topics_and_messages_get_an_error_and_the_socket_stays_open(
    live: Live,
) -> None:
    maya = live.sandbox.personas["maya"]
    ws = await live.socket(maya)
    assert (await next_message(ws))["type"] == "snapshot"
    for bad in (
        {"type": "subscribe", "topics": ["orders"]},
        {"type": "subscribe", "topics": "positions"},
        {"type": "subscribe"},
        {"type": "dance"},
    ):
        await ws.send_json(bad)
        error = await wait_for(ws, lambda m: m["type"] == "error")
        assert error["code"] == "bad_request"
        assert error["message"]
    await ws.send_str("not json")
    assert (await wait_for(ws, lambda m: m["type"] == "error"))["code"] == "bad_request"
    await ws.send_json({"type": "subscribe", "topics": ["positions"]})
    assert (await wait_for(ws, lambda m: m["type"] == "subscribed"))["topics"] == [
        "positions",
        "value",
    ]
    assert not ws.closed
    await ws.close()


async def test_a_second_tab_gets_its_own_complete_message(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    first = await subscribed(live, maya, 4)
    await wait_for(first, lambda m: m["type"] == "positions" and m["complete"])
    second = await subscribed(live, maya, 4)
    opened = await wait_for(second, lambda m: m["type"] == "positions")
    assert opened["complete"] is True
    assert len(opened["positions"]) == 4
    live.publish({"BND": "71.01"})
    for ws in (first, second):
        moved = await wait_for(
            ws,
            lambda m: m["type"] == "positions" and not m["complete"],
        )
        assert [r["symbol"] for r in moved["positions"]] == ["BND"]
        assert_priced(live, maya, moved)
    await first.close()
    await second.close()


async def test_a_fill_brings_a_complete_message_with_the_new_cost_basis(live: Live) -> None:
    """A fill changes a holding's quantity and cost basis: the next messages are complete,
    and no row ever pairs the new quantity with the old basis (its returns are null until
    the account is read again, then the broker's)."""
    maya = live.sandbox.personas["maya"]
    events = live.engine.events
    assert events is not None
    await until(lambda: events.healthy, within_s=10)
    ws = await subscribed(live, maya, 4)
    before = await wait_for(ws, lambda m: m["type"] == "positions" and m["complete"])
    old = next(r for r in before["positions"] if r["symbol"] == "VTI")

    await live.buy_at_the_broker(maya, "VTI", "2")
    after = Decimal(old["qty"]) + 2
    await until(lambda: held(live, maya)["VTI"] == after)  # orders fill asynchronously

    def settled(m: dict[str, Any]) -> bool:
        if m["type"] != "positions":
            return False
        row = next((r for r in m["positions"] if r["symbol"] == "VTI"), None)
        if row is None or Decimal(row["qty"]) != after:
            return False
        assert m["complete"] is True  # a new quantity comes in a complete message
        if row["unrealized_pl"] is None:  # between the fill and the account's new facts
            assert row["today_pl"] is None
            return False
        return True

    fresh = await wait_for(ws, settled)
    row = next(r for r in fresh["positions"] if r["symbol"] == "VTI")
    rest = await live.client.get("/api/portfolio/positions", headers=live.bearer(maya))
    broker = next(r for r in (await rest.json())["positions"] if r["symbol"] == "VTI")

    def cost(r: dict[str, Any]) -> Decimal:
        return Decimal(r["market_value"]) - Decimal(r["unrealized_pl"])

    # The row's return is against the broker's new cost basis (to a cent of rounding), which
    # grew by what the two shares cost.
    assert abs(cost(row) - Decimal(broker["cost_basis"])) <= Decimal("0.01")
    bought = cost(row) - cost(old)
    assert abs(bought - 2 * Decimal(row["current_price"])) <= Decimal("0.05") * bought
    await ws.close()
