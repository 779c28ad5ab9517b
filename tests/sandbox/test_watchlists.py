"""Watchlists (`…/watchlists` and below): the seven operations, full Asset objects, Alpaca's
422s for names and symbols, and each account seeing only its own."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

import pytest

from portfolio_rt.sandbox.app import RunningSandbox

from .broker_calls import Broker, broker

LISTS = "/v1/trading/accounts/{}/watchlists"
PRICE_FIELDS = ("last_price", "last_close_pct_change")  # they move with the live market


async def create(api: Broker, account: str, name: str, symbols: list[str]) -> dict[str, Any]:
    status, body = await api.call(
        "POST", LISTS.format(account), json={"name": name, "symbols": symbols}
    )
    assert status == 200, body
    assert isinstance(body, dict)
    return body


def symbols(watchlist: dict[str, Any]) -> list[str]:
    assets = watchlist["assets"]
    assert isinstance(assets, list)
    return [a["symbol"] for a in assets]


async def test_the_seven_operations(fresh_sandbox_server: RunningSandbox) -> None:
    async with broker(fresh_sandbox_server) as api:
        sam = api.persona("sam")
        base = LISTS.format(sam)
        created = await create(api, sam, "Tech", ["AAPL", "msft", "AAPL"])
        assert created["id"] == str(uuid5(UUID(sam), "watchlist:1"))
        assert created["account_id"] == sam
        assert created["created_at"] == created["updated_at"]
        assert symbols(created) == ["AAPL", "MSFT"]  # each asset once, in order
        status, asset = await api.call("GET", "/v1/assets/AAPL")
        first = created["assets"][0]
        for key in PRICE_FIELDS:
            assert key in first
        drop = set(PRICE_FIELDS)
        assert {k: v for k, v in first.items() if k not in drop} == {
            k: v for k, v in asset.items() if k not in drop
        }
        status, listed = await api.call("GET", base)
        assert status == 200
        assert listed == [{k: v for k, v in created.items() if k != "assets"}]
        one = f"{base}/{created['id']}"
        status, got = await api.call("GET", one)
        assert (status, symbols(got)) == (200, ["AAPL", "MSFT"])
        status, added = await api.call("POST", one, json={"symbol": "BTCUSD"})
        assert (status, symbols(added)) == (200, ["AAPL", "MSFT", "BTC/USD"])
        status, removed = await api.call("DELETE", f"{one}/BTC/USD")  # the pair's slash
        assert (status, symbols(removed)) == (200, ["AAPL", "MSFT"])
        status, removed = await api.call("DELETE", f"{one}/msft")
        assert (status, symbols(removed)) == (200, ["AAPL"])
        status, renamed = await api.call("PUT", one, json={"name": "Core"})
        assert (status, renamed["name"], symbols(renamed)) == (200, "Core", ["AAPL"])
        status, replaced = await api.call("PUT", one, json={"symbols": ["SPY", "QQQ"]})
        assert (status, replaced["name"], symbols(replaced)) == (200, "Core", ["SPY", "QQQ"])
        status, emptied = await api.call("PUT", one, json={"name": "Core", "symbols": []})
        assert (status, emptied["assets"]) == (200, [])
        assert await api.call("DELETE", one) == (204, None)
        assert await api.call("GET", one) == (
            404,
            {"code": 40410000, "message": "watchlist not found"},
        )
        assert await api.call("GET", base) == (200, [])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"name": "", "symbols": []}, "name is required"),
        ({"name": "   ", "symbols": []}, "name is required"),
        ({"symbols": ["AAPL"]}, "name is required"),
        ({"name": "x" * 65, "symbols": []}, "name must be at most 64 characters"),
        ({"name": "Bad", "symbols": ["AAPL", "NOPE"]}, "asset not found: NOPE"),
        ({"name": "Bad", "symbols": "AAPL"}, "symbols must be a list of symbols"),
        ({"name": "Bad", "symbols": [1]}, "symbols must be a list of symbols"),
        ({"name": 7, "symbols": []}, "name must be a string"),
    ],
)
async def test_create_validation(
    sandbox_server: RunningSandbox, body: dict[str, object], message: str
) -> None:
    async with broker(sandbox_server) as api:
        pat = api.persona("pat")
        status, answer = await api.call("POST", LISTS.format(pat), json=body)
        assert (status, answer) == (422, {"code": 40010001, "message": message})
        assert await api.call("GET", LISTS.format(pat)) == (200, [])


async def test_names_are_unique_within_an_account(fresh_sandbox_server: RunningSandbox) -> None:
    async with broker(fresh_sandbox_server) as api:
        sam, maya = api.persona("sam"), api.persona("maya")
        first = await create(api, sam, "Income", ["KO"])
        second = await create(api, sam, "Growth", ["NVDA"])
        unique = (422, {"code": 40010001, "message": "watchlist name must be unique"})
        status, body = await api.call(
            "POST", LISTS.format(sam), json={"name": "Income", "symbols": []}
        )
        assert (status, body) == unique
        assert (
            await api.call("PUT", f"{LISTS.format(sam)}/{second['id']}", json={"name": "Income"})
            == unique
        )
        status, same = await api.call(
            "PUT", f"{LISTS.format(sam)}/{first['id']}", json={"name": "Income"}
        )
        assert (status, same["name"]) == (200, "Income")  # keeping its own name is no clash
        await create(api, maya, "Income", [])  # another account may use the name
        assert second["id"] == str(uuid5(UUID(sam), "watchlist:2"))


async def test_adding_and_removing_single_assets(fresh_sandbox_server: RunningSandbox) -> None:
    async with broker(fresh_sandbox_server) as api:
        sam = api.persona("sam")
        one = f"{LISTS.format(sam)}/{(await create(api, sam, 'Mine', ['AAPL']))['id']}"
        assert await api.call("POST", one, json={"symbol": "AAPL"}) == (
            422,
            {"code": 40010001, "message": "AAPL is already in the watchlist"},
        )
        assert await api.call("POST", one, json={"symbol": "NOPE"}) == (
            422,
            {"code": 40010001, "message": "asset not found: NOPE"},
        )
        assert (await api.call("POST", one, json={}))[1]["message"] == "symbol is required"
        assert await api.call("DELETE", f"{one}/MSFT") == (
            404,
            {"code": 40410000, "message": "asset in the watchlist not found"},
        )
        status, body = await api.call("PUT", one, json={})
        assert (status, body["message"]) == (422, "one of name or symbols is required")


async def test_another_accounts_watchlist_is_not_found(
    fresh_sandbox_server: RunningSandbox,
) -> None:
    async with broker(fresh_sandbox_server) as api:
        sam, maya = api.persona("sam"), api.persona("maya")
        theirs = (await create(api, sam, "Private", ["AAPL"]))["id"]
        not_found = (404, {"code": 40410000, "message": "watchlist not found"})
        path = f"{LISTS.format(maya)}/{theirs}"
        assert await api.call("GET", path) == not_found
        assert await api.call("PUT", path, json={"name": "Mine"}) == not_found
        assert await api.call("POST", path, json={"symbol": "MSFT"}) == not_found
        assert await api.call("DELETE", f"{path}/AAPL") == not_found
        assert await api.call("DELETE", path) == not_found
        assert await api.call("GET", LISTS.format(maya)) == (200, [])
        status, still = await api.call("GET", f"{LISTS.format(sam)}/{theirs}")
        assert (status, symbols(still)) == (200, ["AAPL"])
        status, body = await api.call("GET", f"{LISTS.format(maya)}/not-a-uuid")
        assert (status, body["message"]) == (400, "watchlist_id is not a valid UUID")
        status, body = await api.call("GET", LISTS.format("00000000-0000-4000-8000-000000000000"))
        assert (status, body["message"]) == (404, "account not found")
