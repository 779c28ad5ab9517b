"""Trade configurations (`GET`/`PATCH …/account/configurations`): the values, their validation,
and the two settings the ledger enforces on new orders (`suspend_trade`, `fractional_trading`)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from portfolio_rt.sandbox.app import RunningSandbox
from portfolio_rt.sandbox.serialize import USER_CONFIGURATIONS
from portfolio_rt.sandbox.trade_config import DEFAULT, TradeConfiguration

from .broker_calls import Broker, broker

CONFIG = "/v1/trading/accounts/{}/account/configurations"
DEFAULTS = {
    "dtbp_check": "entry",
    "trade_confirm_email": "all",
    "suspend_trade": False,
    "no_shorting": True,
    "fractional_trading": True,
    "max_margin_multiplier": "1",
    "max_options_trading_level": 0,
    "pdt_check": "entry",
    "ptp_no_exception_entry": False,
    "disable_overnight_trading": False,
}


def order(symbol: str, **terms: Any) -> dict[str, Any]:
    return {"symbol": symbol, "side": "buy", "type": "market", "time_in_force": "day"} | terms


def test_a_new_account_starts_with_what_its_trading_account_shows() -> None:
    assert DEFAULT.json() == DEFAULTS
    shown = {k: v for k, v in TradeConfiguration().json().items() if k in USER_CONFIGURATIONS}
    assert shown == USER_CONFIGURATIONS


async def test_get_answers_the_defaults(sandbox_server: RunningSandbox) -> None:
    async with broker(sandbox_server) as api:
        assert await api.call("GET", CONFIG.format(api.persona("sam"))) == (200, DEFAULTS)


async def test_patch_changes_what_is_given_and_answers_everything(
    fresh_sandbox_server: RunningSandbox,
) -> None:
    async with broker(fresh_sandbox_server) as api:
        sam, maya = api.persona("sam"), api.persona("maya")
        body = {
            "trade_confirm_email": "none",
            "max_margin_multiplier": 2,  # a number is read as Alpaca's string
            "max_options_trading_level": 3,
            "ptp_no_exception_entry": "true",  # broker-api.json types it as a string
            "dtbp_check": None,  # alpaca-py sends unset fields as null: left as they are
            "pdt_check": "both",
            "not_a_setting": 1,
        }
        status, answer = await api.call("PATCH", CONFIG.format(sam), json=body)
        assert status == 200
        assert answer == DEFAULTS | {
            "trade_confirm_email": "none",
            "max_margin_multiplier": "2",
            "max_options_trading_level": 3,
            "ptp_no_exception_entry": True,
            "pdt_check": "both",
        }
        assert await api.call("GET", CONFIG.format(sam)) == (200, answer)
        assert await api.call("GET", CONFIG.format(maya)) == (200, DEFAULTS)
        status, trade = await api.call("GET", f"/v1/trading/accounts/{sam}/account")
        assert trade["user_configurations"]["trade_confirm_email"] == "none"
        assert trade["user_configurations"]["max_options_trading_level"] == 3
        assert trade["multiplier"] == "1"  # a cash account whatever the setting
        assert await api.call("PATCH", CONFIG.format(sam), json={}) == (200, answer)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"dtbp_check": "sometimes"}, "dtbp_check must be one of both, entry, exit"),
        ({"pdt_check": 1}, "pdt_check must be one of both, entry, exit"),
        ({"trade_confirm_email": "weekly"}, "trade_confirm_email must be one of all, none"),
        ({"suspend_trade": "yes"}, "suspend_trade must be true or false"),
        ({"no_shorting": 1}, "no_shorting must be true or false"),
        ({"fractional_trading": "maybe"}, "fractional_trading must be true or false"),
        ({"max_margin_multiplier": "3"}, "max_margin_multiplier must be one of 1, 2, 4"),
        ({"max_options_trading_level": 4}, "max_options_trading_level must be one of 0, 1, 2, 3"),
        ({"max_options_trading_level": True}, "max_options_trading_level must be one of"),
        ({"max_options_trading_level": 1.5}, "max_options_trading_level must be one of"),
        ({"disable_overnight_trading": []}, "disable_overnight_trading must be true or false"),
    ],
)
async def test_patch_validation(
    sandbox_server: RunningSandbox, body: dict[str, Any], message: str
) -> None:
    async with broker(sandbox_server) as api:
        sam = api.persona("sam")
        status, answer = await api.call(
            "PATCH", CONFIG.format(sam), json={"trade_confirm_email": "none"} | body
        )
        assert status == 422
        assert answer["message"].startswith(message)
        assert answer["code"] == 40010001
        assert await api.call("GET", CONFIG.format(sam)) == (200, DEFAULTS)  # nothing changed


async def test_a_body_that_is_not_an_object_is_400(sandbox_server: RunningSandbox) -> None:
    async with broker(sandbox_server) as api:
        status, answer = await api.call("PATCH", CONFIG.format(api.persona("sam")), json=[1])
        assert (status, answer["message"]) == (400, "request body must be a JSON object")


async def orders_count(api: Broker, account: str) -> int:
    status, orders = await api.call(
        "GET", f"/v1/trading/accounts/{account}/orders", params={"status": "all", "limit": 500}
    )
    assert status == 200
    return len(orders)


async def test_suspended_trading_refuses_every_new_order(
    fresh_sandbox_server: RunningSandbox,
) -> None:
    async with broker(fresh_sandbox_server) as api:
        maya = api.persona("maya")
        orders = f"/v1/trading/accounts/{maya}/orders"
        status, resting = await api.call(
            "POST",
            orders,
            json=order("T", qty=1, type="limit", limit_price="1", time_in_force="gtc"),
        )
        assert status == 200
        await api.call("PATCH", CONFIG.format(maya), json={"suspend_trade": True})
        count = await orders_count(api, maya)
        refused = (403, {"code": 40310000, "message": "new orders are rejected by user request"})
        assert await api.call("POST", orders, json=order("T", qty=1)) == refused
        assert await api.call("POST", orders, json=order("T", notional="10")) == refused
        assert await api.call("DELETE", f"/v1/trading/accounts/{maya}/positions/VTI") == refused
        assert (
            await api.call("PATCH", f"{orders}/{resting['id']}", json={"limit_price": "2"})
            == refused
        )
        assert await orders_count(api, maya) == count
        status, trade = await api.call("GET", f"/v1/trading/accounts/{maya}/account")
        assert trade["trade_suspended_by_user"] is True
        assert trade["user_configurations"]["suspend_trade"] is True
        # Canceling stays possible, and lifting the suspension lets orders in again.
        assert (await api.call("DELETE", f"{orders}/{resting['id']}"))[0] == 204
        await api.call("PATCH", CONFIG.format(maya), json={"suspend_trade": False})
        assert (await api.call("POST", orders, json=order("T", qty=1)))[0] == 200


async def test_without_fractional_trading_stock_orders_are_whole_shares(
    fresh_sandbox_server: RunningSandbox,
) -> None:
    async with broker(fresh_sandbox_server) as api:
        maya = api.persona("maya")
        orders = f"/v1/trading/accounts/{maya}/orders"
        await api.call("PATCH", CONFIG.format(maya), json={"fractional_trading": False})
        fractional = await api.call("POST", orders, json=order("T", qty="0.5"))
        assert fractional == (422, {"code": 40010001, "message": "qty must be integer"})
        notional = await api.call("POST", orders, json=order("T", notional="25"))
        assert notional == (422, {"code": 40010001, "message": "qty is required"})
        assert (await api.call("POST", orders, json=order("T", qty="2")))[0] == 200
        crypto = order("BTC/USD", qty="0.0001", time_in_force="gtc")  # always fractional
        assert (await api.call("POST", orders, json=crypto))[0] == 200
        vti = fresh_sandbox_server.sandbox.ledger.position(UUID(maya), "VTI").qty
        assert vti != vti.to_integral_value()  # closing all of it would be a fractional sell
        status, body = await api.call("DELETE", f"/v1/trading/accounts/{maya}/positions/VTI")
        assert (status, body["message"]) == (422, "qty must be integer")
