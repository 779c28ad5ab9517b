"""Every Broker route's response validates against Alpaca's broker-api.json.

Where the document is wrong, or stricter than Alpaca's real responses (reference notes), the
body is adjusted for that one check and the reason is written next to it: alpaca-py
compatibility wins over the document. The exceptions:

1. TradeAccount: the pattern-day-trader fields Alpaca removed in 2026-07 are still required.
2. PortfolioHistory: `profit_loss_pct` items and `base_value` are non-nullable numbers here;
   Alpaca sends `null` when the base is zero (alpaca-py models them Optional).
3. Activity: a `oneOf` of two open schemas without required keys, so it can never pass;
   each activity is checked against the branch that applies.
4. `GET …/orders:by_client_order_id` (alpaca-py's literal-colon path) is not in the document;
   its body is checked against the `Order` component.
5. Error bodies: the document gives some error responses a string schema or none; Alpaca
   answers `{"code", "message"}`, checked against the `Error` component.
6. Transfer: `hold_until` is a non-nullable date-time here; Alpaca answers `null` when nothing
   is held (a 2024 capture in alpaca-py's tests/broker/broker_client/test_funding_routes.py).
7. AccountConfigurations: `ptp_no_exception_entry` is a string here, a boolean in the Trading
   API document and in alpaca-py's `AccountConfiguration` (which rejects a string it cannot
   read as one). `GET …/account/configurations` and `GET …/documents/{document_id}` (alpaca-py
   asks both) are not in the document: their bodies are checked against the components.
8. Answers the document gives no schema: removing a watchlist's asset (200, the watchlist, as
   the Trading API documents it) is checked against `Watchlist`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import aiohttp
import pytest

from portfolio_rt.sandbox.app import RunningSandbox
from tests.fixtures.settings import SANDBOX_KEY, SANDBOX_SECRET

from .openapi_check import validate_component, validate_response

SPEC = "broker-api"
ROUTING = "121000358"

# Exception 1: Alpaca removed the pattern-day-trader fields from TradeAccount responses in
# 2026-07 (alpaca-py 0.44 docstrings, test_get_trade_account_by_id_without_deprecated_pdt_fields);
# the Nov-2025 document still lists them as required.
REMOVED_PDT_FIELDS = {
    "daytrading_buying_power": "0",
    "bod_dtbp": "0",
    "pattern_day_trader": False,
    "daytrade_count": 0,
}


def trade_account_for_spec(body: dict[str, Any]) -> dict[str, Any]:
    return body | REMOVED_PDT_FIELDS


def history_for_spec(body: dict[str, Any]) -> dict[str, Any]:
    """Exception 2: the document's `profit_loss_pct` items and `base_value` are non-nullable
    numbers, but Alpaca answers `null` where the base is zero (the 2026 spec allows
    `number|null`; alpaca-py models them Optional and its tests use nulls)."""
    return body | {
        "profit_loss_pct": [0 if v is None else v for v in body["profit_loss_pct"]],
        "base_value": 0 if body["base_value"] is None else body["base_value"],
    }


def transfer_for_spec(body: dict[str, Any]) -> dict[str, Any]:
    """Exception 6: drop a `null` `hold_until` (Alpaca sends it; the document forbids null)."""
    if "hold_until" in body and body["hold_until"] is None:
        return {k: v for k, v in body.items() if k != "hold_until"}
    return body


def transfers_for_spec(body: Any) -> Any:
    """Exception 6 for a list of transfers (or a single one)."""
    if isinstance(body, list):
        return [transfer_for_spec(t) for t in body]
    return transfer_for_spec(body)


def check_activities(body: list[dict[str, Any]]) -> None:
    """Exception 3: `Activity` is `oneOf: [TradeActivity, NonTradeActivity]`, two schemas with
    no required keys and open properties, so every activity matches both and `oneOf` always
    fails. Check the base keys and the branch that applies instead."""
    assert isinstance(body, list)
    for item in body:
        assert isinstance(item["id"], str)
        validate_component(SPEC, "ActivityType", item["activity_type"])
        branch = "TradeActivity" if item["activity_type"] == "FILL" else "NonTradeActivity"
        validate_component(SPEC, branch, item)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    auth = aiohttp.BasicAuth(SANDBOX_KEY, SANDBOX_SECRET)
    async with aiohttp.ClientSession(auth=auth) as session:
        yield session


class Walker:
    """Calls routes and records every schema violation, so one run reports all of them."""

    def __init__(self, http: aiohttp.ClientSession, server: RunningSandbox) -> None:
        self.http = http
        self.base = server.broker_url
        self.failures: list[str] = []
        self.checked: list[str] = []

    async def call(
        self, method: str, path: str, *, params: Any = None, json: Any = None
    ) -> tuple[int, Any]:
        async with self.http.request(
            method, self.base + path, params=params, json=json, allow_redirects=False
        ) as resp:
            text = await resp.text()
            return resp.status, (await resp.json() if text else None)

    async def check(
        self,
        method: str,
        template: str,
        path: str,
        status: int,
        *,
        params: Any = None,
        json: Any = None,
        adjust: Any = None,
        component: str | None = None,
    ) -> Any:
        got, body = await self.call(method, path, params=params, json=json)
        label = f"{method} {template} -> {got}"
        self.checked.append(label)
        if got != status:
            self.failures.append(f"{label}: expected {status}, body {str(body)[:300]}")
            return body
        if body is None:
            return body
        try:
            target = adjust(body) if adjust else body
            if component is not None:
                validate_component(SPEC, component, target)
            else:
                validate_response(SPEC, method, template, status, target)
        except AssertionError as exc:
            self.failures.append(f"{label}: {exc}")
        return body

    async def check_error(self, method: str, path: str, status: int, **kw: Any) -> None:
        """Error bodies are Alpaca's `Error` schema `{code, message}`."""
        got, body = await self.call(method, path, **kw)
        self.checked.append(f"{method} {path} -> {got} (error)")
        if got != status:
            self.failures.append(f"{method} {path}: expected {status}, got {got} {body}")
            return
        try:
            validate_component(SPEC, "Error", body)
        except AssertionError as exc:
            self.failures.append(f"{method} {path} error body: {exc}")

    def assert_clean(self) -> None:
        assert not self.failures, "\n\n".join(self.failures)


async def test_read_routes_validate(
    sandbox_server: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    w = Walker(http, sandbox_server)
    personas = sandbox_server.sandbox.personas
    await w.check("GET", "/v1/accounts", "/v1/accounts", 200)
    await w.check(
        "GET", "/v1/accounts", "/v1/accounts", 200, params={"entities": "contact,identity"}
    )
    tpl = "/v1/trading/accounts/{account_id}"
    for name, account in personas.items():
        a = str(account)
        await w.check("GET", "/v1/accounts/{account_id}", f"/v1/accounts/{a}", 200)
        await w.check(
            "GET",
            f"{tpl}/account",
            f"/v1/trading/accounts/{a}/account",
            200,
            adjust=trade_account_for_spec,
        )
        positions = await w.check(
            "GET", f"{tpl}/positions", f"/v1/trading/accounts/{a}/positions", 200
        )
        if positions:
            await w.check(
                "GET",
                f"{tpl}/positions/{{symbol_or_asset_id}}",
                f"/v1/trading/accounts/{a}/positions/{positions[0]['symbol']}",
                200,
            )
        variants = [{"period": "1D"}]
        if name in ("maya", "sam"):  # every shape once; the others only need one call
            variants += [
                {"period": "1M", "timeframe": "1D"},
                {"period": "1A"},
                {"period": "1W", "timeframe": "15Min", "cashflow_types": "ALL"},
            ]
        for params in variants:
            await w.check(
                "GET",
                f"{tpl}/account/portfolio/history",
                f"/v1/trading/accounts/{a}/account/portfolio/history",
                200,
                params=params,
                adjust=history_for_spec,
            )
        await w.check(
            "GET",
            f"{tpl}/orders",
            f"/v1/trading/accounts/{a}/orders",
            200,
            params={"status": "all", "limit": 500},
        )
        await w.check(
            "GET",
            "/v1/accounts/{account_id}/transfers",
            f"/v1/accounts/{a}/transfers",
            200,
            adjust=transfers_for_spec,
        )
        await w.check(
            "GET",
            "/v1/accounts/{account_id}/ach_relationships",
            f"/v1/accounts/{a}/ach_relationships",
            200,
        )
        status, activities = await w.call(
            "GET", "/v1/accounts/activities", params={"account_id": a}
        )
        assert status == 200, name
        try:
            check_activities(activities)
        except AssertionError as exc:
            w.failures.append(f"activities of {name}: {exc}")
    status, divs = await w.call("GET", "/v1/accounts/activities/DIV")
    assert status == 200
    check_activities(divs)
    await w.check("GET", "/v1/accounts/positions", "/v1/accounts/positions", 200)
    await w.check(
        "GET", "/v1/accounts/positions", "/v1/accounts/positions", 200, params={"page": 999}
    )
    missing = str(uuid4())
    await w.check_error("GET", f"/v1/accounts/{missing}", 404)
    await w.check_error("GET", "/v1/accounts/not-a-uuid", 400)
    await w.check_error("GET", f"/v1/trading/accounts/{personas['alex']}/positions/ZZZZ", 404)
    w.assert_clean()


async def test_write_routes_validate(
    fresh_sandbox_server: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    w = Walker(http, fresh_sandbox_server)
    maya = str(fresh_sandbox_server.sandbox.personas["maya"])
    alex = str(fresh_sandbox_server.sandbox.personas["alex"])
    tpl = "/v1/trading/accounts/{account_id}"
    orders = f"/v1/trading/accounts/{maya}/orders"
    market = await w.check(
        "POST",
        f"{tpl}/orders",
        orders,
        200,
        json={"symbol": "AAPL", "qty": 1, "side": "buy", "type": "market", "time_in_force": "day"},
    )
    client_id = f"spec-{uuid4()}"
    limit = await w.check(
        "POST",
        f"{tpl}/orders",
        orders,
        200,
        json={
            "symbol": "SPY",
            "qty": "2",
            "side": "buy",
            "type": "limit",
            "limit_price": "1.00",
            "time_in_force": "gtc",
            "client_order_id": client_id,
        },
    )
    await w.check("GET", f"{tpl}/orders/{{order_id}}", f"{orders}/{market['id']}", 200)
    # Not in the Nov-2025 document (the SDK's literal-colon path); it answers an Order.
    await w.check(
        "GET",
        "by_client_order_id",
        f"/v1/trading/accounts/{maya}/orders:by_client_order_id",
        200,
        params={"client_order_id": client_id},
        component="Order",
    )
    replaced = await w.check(
        "PATCH",
        f"{tpl}/orders/{{order_id}}",
        f"{orders}/{limit['id']}",
        200,
        json={"limit_price": "1.10", "qty": "3"},
    )
    await w.check("DELETE", f"{tpl}/orders/{{order_id}}", f"{orders}/{replaced['id']}", 204)
    await w.check(
        "POST",
        f"{tpl}/orders",
        orders,
        200,
        json={
            "symbol": "SPY",
            "qty": "1",
            "side": "buy",
            "type": "limit",
            "limit_price": "1.00",
            "time_in_force": "gtc",
        },
    )
    await w.check("DELETE", f"{tpl}/orders", orders, 207)
    await w.check_error(
        "POST",
        orders,
        403,
        json={
            "symbol": "AAPL",
            "qty": 10_000_000,
            "side": "buy",
            "type": "market",
            "time_in_force": "day",
        },
    )
    await w.check_error(
        "POST", orders, 422, json={"symbol": "AAPL", "side": "buy", "type": "market"}
    )
    banks_path = f"/v1/accounts/{alex}/ach_relationships"
    banks = await w.check("GET", "/v1/accounts/{account_id}/ach_relationships", banks_path, 200)
    for bank in banks:
        await w.check(
            "DELETE",
            "/v1/accounts/{account_id}/ach_relationships/{ach_relationship_id}",
            f"{banks_path}/{bank['id']}",
            204,
        )
    bank = await w.check(
        "POST",
        "/v1/accounts/{account_id}/ach_relationships",
        banks_path,
        200,
        json={
            "account_owner_name": "Alex Doe",
            "bank_account_type": "SAVINGS",
            "bank_account_number": "987654321",
            "bank_routing_number": ROUTING,
            "nickname": "Savings",
        },
    )
    transfers_path = f"/v1/accounts/{alex}/transfers"
    transfer = await w.check(
        "POST",
        "/v1/accounts/{account_id}/transfers",
        transfers_path,
        200,
        adjust=transfers_for_spec,
        json={
            "transfer_type": "ach",
            "relationship_id": bank["id"],
            "amount": "50.00",
            "direction": "INCOMING",
            "timing": "immediate",
        },
    )
    await w.check(
        "GET",
        "/v1/accounts/{account_id}/transfers",
        transfers_path,
        200,
        params={"limit": 1, "offset": 0},
        adjust=transfers_for_spec,
    )
    await w.check(
        "DELETE",
        "/v1/accounts/{account_id}/transfers/{transfer_id}",
        f"{transfers_path}/{transfer['id']}",
        204,
    )
    w.assert_clean()


def test_the_checker_reports_missing_fields_bad_formats_and_enums() -> None:
    body = [{"id": "not-a-uuid", "status": "SLEEPING", "created_at": "yesterday"}]
    with pytest.raises(AssertionError) as caught:
        validate_response(SPEC, "GET", "/v1/accounts/{account_id}/ach_relationships", 200, body)
    report = str(caught.value)
    assert "'account_id' is a required property" in report
    assert "is not a 'uuid'" in report
    assert "SLEEPING" in report
    assert "is not a 'date-time'" in report


def test_the_checker_refuses_undocumented_routes_and_statuses() -> None:
    with pytest.raises(AssertionError, match="not documented"):
        validate_response(SPEC, "GET", "/v1/nowhere", 200, {})
    with pytest.raises(AssertionError, match="documents no 418"):
        validate_response(SPEC, "GET", "/v1/accounts", 418, [])


def test_the_checker_follows_shared_response_refs() -> None:
    # createOrderForAccount's 403 is `$ref: #/components/responses/Forbidden`, whose schema is a
    # plain string (Alpaca really answers `{"code", "message"}`: error bodies are checked
    # against the `Error` component instead).
    orders = "/v1/trading/accounts/{account_id}/orders"
    validate_response(SPEC, "POST", orders, 403, "forbidden")
    with pytest.raises(AssertionError, match="is not of type 'string'"):
        validate_response(SPEC, "POST", orders, 403, {"code": 40310000, "message": "no"})


def test_the_checker_validates_other_documents() -> None:
    body: dict[str, Any] = {"bars": {"AAPL": []}, "next_page_token": None}
    validate_response("market-data-api", "GET", "/v2/stocks/bars", 200, body)
    with pytest.raises(AssertionError, match="next_page_token"):
        validate_response("market-data-api", "GET", "/v2/stocks/bars", 200, {"bars": {}})


def configuration_for_spec(body: dict[str, Any]) -> dict[str, Any]:
    """Exception 7: the document types `ptp_no_exception_entry` as a string."""
    return body | {"ptp_no_exception_entry": str(body["ptp_no_exception_entry"]).lower()}


async def test_account_extras_validate(
    fresh_sandbox_server: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    """Closing positions, trade configurations, watchlists, trade documents, recipient banks
    and a wire transfer."""
    w = Walker(http, fresh_sandbox_server)
    maya = str(fresh_sandbox_server.sandbox.personas["maya"])
    sam = str(fresh_sandbox_server.sandbox.personas["sam"])
    tpl = "/v1/trading/accounts/{account_id}"
    positions = f"/v1/trading/accounts/{maya}/positions"
    await w.check(
        "DELETE",
        f"{tpl}/positions/{{symbol_or_asset_id}}",
        f"{positions}/VTI",
        200,
        params={"percentage": "50"},
    )
    await w.check("DELETE", f"{tpl}/positions", positions, 207, params={"cancel_orders": "true"})
    config = f"/v1/trading/accounts/{maya}/account/configurations"
    await w.check(
        "GET", "configurations", config, 200, adjust=configuration_for_spec,
        component="AccountConfigurations",
    )  # fmt: skip
    await w.check(
        "PATCH",
        f"{tpl}/account/configurations",
        config,
        200,
        json={"trade_confirm_email": "none", "max_margin_multiplier": "2"},
        adjust=configuration_for_spec,
    )
    lists = f"/v1/trading/accounts/{sam}/watchlists"
    created = await w.check(
        "POST",
        f"{tpl}/watchlists",
        lists,
        200,
        json={"name": "Growth", "symbols": ["NVDA", "AAPL"]},
    )
    one = f"{lists}/{created['id']}"
    await w.check("GET", f"{tpl}/watchlists", lists, 200)
    await w.check("GET", f"{tpl}/watchlists/{{watchlist_id}}", one, 200)
    await w.check("POST", f"{tpl}/watchlists/{{watchlist_id}}", one, 200, json={"symbol": "SPY"})
    await w.check(
        "PUT",
        f"{tpl}/watchlists/{{watchlist_id}}",
        one,
        200,
        json={"name": "Core", "symbols": ["SPY", "QQQ"]},
    )
    await w.check("DELETE", "watchlist asset", f"{one}/QQQ", 200, component="Watchlist")
    await w.check("DELETE", f"{tpl}/watchlists/{{watchlist_id}}", one, 204)
    docs = f"/v1/accounts/{maya}/documents"
    found = await w.check("GET", "/v1/accounts/{account_id}/documents", docs, 200)
    await w.check(
        "GET",
        "/v1/accounts/{account_id}/documents",
        docs,
        200,
        params={"type": "account_statement", "start": "2024-01-01"},
    )
    await w.check("GET", "document", f"{docs}/{found[0]['id']}", 200, component="AccountDocument")
    download = f"{w.base}{docs}/{found[0]['id']}/download"
    async with http.get(download, allow_redirects=False) as resp:
        assert resp.status == 301  # the document has no body for it: a redirect to the PDF
    banks = f"/v1/accounts/{sam}/recipient_banks"
    bank = await w.check(
        "POST",
        "/v1/accounts/{account_id}/recipient_banks",
        banks,
        200,
        json={
            "name": "Wire Bank",
            "bank_code": ROUTING,
            "bank_code_type": "ABA",
            "account_number": "123456789",
        },
    )
    await w.check("GET", "/v1/accounts/{account_id}/recipient_banks", banks, 200)
    await w.check(
        "POST",
        "/v1/accounts/{account_id}/transfers",
        f"/v1/accounts/{sam}/transfers",
        200,
        adjust=transfers_for_spec,
        json={
            "transfer_type": "wire",
            "bank_id": bank["id"],
            "amount": "250.00",
            "direction": "INCOMING",
            "timing": "immediate",
            "additional_information": "test wire",
        },
    )
    await w.check(
        "DELETE",
        "/v1/accounts/{account_id}/recipient_banks/{bank_id}",
        f"{banks}/{bank['id']}",
        204,
    )
    await w.check_error("GET", f"{lists}/{uuid4()}", 404)
    await w.check_error("POST", lists, 422, json={"name": "X", "symbols": ["NOPE"]})
    await w.check_error("DELETE", f"{positions}/TSLA", 404)
    await w.check_error("GET", f"{docs}/{uuid4()}", 404)
    await w.check_error("PATCH", config, 422, json={"suspend_trade": "soon"})
    w.assert_clean()
