"""The Broker API routes over raw HTTP: parsing, validation, pagination and Alpaca's errors."""

from __future__ import annotations

import io
import random
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import aiohttp
import pytest

from portfolio_rt.sandbox.app import RunningSandbox
from portfolio_rt.sandbox.world import Sandbox
from tests.fixtures.settings import SANDBOX_KEY, SANDBOX_SECRET

MISSING = "00000000-0000-4000-8000-000000000000"
ROUTING = "121000358"  # passes the ABA checksum


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    auth = aiohttp.BasicAuth(SANDBOX_KEY, SANDBOX_SECRET)
    async with aiohttp.ClientSession(auth=auth) as session:
        yield session


async def call(
    http: aiohttp.ClientSession,
    server: RunningSandbox,
    method: str,
    path: str,
    *,
    params: Any = None,
    json: Any = None,
    data: Any = None,
) -> tuple[int, Any]:
    async with http.request(
        method,
        server.broker_url + path,
        params=params,
        json=json,
        data=data,
        allow_redirects=False,
    ) as resp:
        text = await resp.text()
        if text and resp.content_type != "application/json":
            raise AssertionError(f"{method} {path}: {resp.status} non-JSON body {text[:200]!r}")
        return resp.status, (await resp.json() if text else None)


def persona(server: RunningSandbox, name: str) -> str:
    return str(server.sandbox.personas[name])


def ledger_fingerprint(sandbox: Sandbox, account: str) -> tuple[object, ...]:
    account_id = UUID(account)
    ledger = sandbox.ledger
    return (
        len(ledger.orders(account_id, status="all", limit=500)),
        len(ledger.transfers(account_id)),
        len(ledger.banks(account_id)),
        ledger.balances(account_id).cash,
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/accounts/{id}"),
        ("GET", "/v1/trading/accounts/{id}/account"),
        ("GET", "/v1/trading/accounts/{id}/positions"),
        ("GET", "/v1/trading/accounts/{id}/positions/AAPL"),
        ("GET", "/v1/trading/accounts/{id}/account/portfolio/history"),
        ("GET", "/v1/trading/accounts/{id}/orders"),
        ("DELETE", "/v1/trading/accounts/{id}/orders"),
        ("GET", "/v1/accounts/{id}/transfers"),
        ("GET", "/v1/accounts/{id}/ach_relationships"),
    ],
)
async def test_unknown_account_is_alpacas_json_404(
    sandbox_server: RunningSandbox, http: aiohttp.ClientSession, method: str, path: str
) -> None:
    status, body = await call(http, sandbox_server, method, path.format(id=MISSING))
    assert status == 404
    assert body == {"code": 40410000, "message": "account not found"}


async def test_malformed_account_id_is_a_json_400(
    sandbox_server: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    status, body = await call(http, sandbox_server, "GET", "/v1/accounts/not-a-uuid")
    assert status == 400
    assert isinstance(body["code"], int)
    assert "account_id" in body["message"]


async def test_trailing_slash_is_not_redirected_and_answers_json(
    sandbox_server: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    account = persona(sandbox_server, "maya")
    status, body = await call(http, sandbox_server, "GET", f"/v1/accounts/{account}/")
    assert status == 404
    assert body["code"] == 40410000


async def test_unknown_paths_and_methods_answer_json(
    sandbox_server: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    status, body = await call(http, sandbox_server, "GET", "/v1/no/such/route")
    assert status == 404
    assert isinstance(body["code"], int)
    status, body = await call(http, sandbox_server, "PUT", "/v1/accounts")
    assert status == 405
    assert isinstance(body["message"], str)


async def test_get_account_ignores_alpaca_pys_stray_params_query(
    sandbox_server: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    account = persona(sandbox_server, "maya")
    status, body = await call(
        http, sandbox_server, "GET", f"/v1/accounts/{account}", params={"params": ""}
    )
    assert status == 200
    assert body["id"] == account
    assert body["contact"]["email_address"]


async def test_list_accounts_filters_by_query_status_and_creation(
    sandbox_server: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    maya = sandbox_server.sandbox.ledger.account(sandbox_server.sandbox.personas["maya"])
    status, body = await call(
        http,
        sandbox_server,
        "GET",
        "/v1/accounts",
        params=[("query", maya.email), ("status", "ACTIVE"), ("status", "APPROVED")],
    )
    assert status == 200
    assert [a["id"] for a in body] == [str(maya.id)]
    _, everyone = await call(http, sandbox_server, "GET", "/v1/accounts", params={"sort": "asc"})
    created = [a["created_at"] for a in everyone]
    assert created == sorted(created)
    after = maya.created_at.isoformat()
    _, later = await call(
        http, sandbox_server, "GET", "/v1/accounts", params={"created_after": after}
    )
    assert all(a["created_at"] > maya.created_at.isoformat()[:19] for a in later)
    assert str(maya.id) not in {a["id"] for a in later}
    _, slim = await call(
        http, sandbox_server, "GET", "/v1/accounts", params={"entities": "identity"}
    )
    assert "contact" not in slim[0]
    assert "identity" in slim[0]


async def test_list_accounts_rejects_unknown_status(
    sandbox_server: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    status, body = await call(
        http, sandbox_server, "GET", "/v1/accounts", params={"status": "SLEEPING"}
    )
    assert status == 422
    assert "status" in body["message"]


async def test_single_position_by_symbol_and_by_asset_id(
    sandbox_server: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    account = persona(sandbox_server, "maya")
    _, positions = await call(
        http, sandbox_server, "GET", f"/v1/trading/accounts/{account}/positions"
    )
    held = positions[0]
    for key in (held["symbol"], held["asset_id"]):
        status, body = await call(
            http, sandbox_server, "GET", f"/v1/trading/accounts/{account}/positions/{key}"
        )
        assert status == 200
        assert body["symbol"] == held["symbol"]
    status, body = await call(
        http, sandbox_server, "GET", f"/v1/trading/accounts/{account}/positions/ZZZZ"
    )
    assert status == 404
    assert body["code"] == 40410000


async def test_bulk_positions_pages_end_with_an_empty_map(
    sandbox_server: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    seen: set[str] = set()
    for page in range(1, 50):
        status, body = await call(
            http, sandbox_server, "GET", "/v1/accounts/positions", params={"page": page}
        )
        assert status == 200
        assert body["as_of"]
        if not body["positions"]:
            break
        assert not seen & body["positions"].keys()
        seen |= body["positions"].keys()
    else:
        raise AssertionError("bulk positions never reached an empty page")
    assert persona(sandbox_server, "maya") in seen
    assert persona(sandbox_server, "alex") not in seen


@pytest.mark.parametrize(
    "params",
    [
        {"period": "1D"},
        {"period": "1W", "timeframe": "15Min"},
        {"period": "1M", "timeframe": "1D"},
        {"period": "3M"},
        {"period": "1A", "timeframe": "1D", "cashflow_types": "ALL"},
        {"period": "1W", "timeframe": "1H", "extended_hours": "True"},
        {"period": "1D", "timeframe": "5Min", "intraday_reporting": "continuous"},
        {"period": "1D", "timeframe": "1Min", "pnl_reset": "no_reset"},
        {"start": "2025-01-02T14:30:00+00:00", "timeframe": "1D"},
        {"start": "2025-01-02T14:30:00Z", "end": "2025-03-03T21:00:00Z", "timeframe": "1D"},
        {"period": "1M", "date_end": "2025-06-30"},
        {"period": "1M", "cashflow_types": "CSD,DIV"},
    ],
)
async def test_portfolio_history_accepts_alpacas_parameters(
    sandbox_server: RunningSandbox, http: aiohttp.ClientSession, params: dict[str, str]
) -> None:
    account = persona(sandbox_server, "sam")
    status, body = await call(
        http,
        sandbox_server,
        "GET",
        f"/v1/trading/accounts/{account}/account/portfolio/history",
        params=params,
    )
    assert status == 200, body
    assert len(body["timestamp"]) == len(body["equity"]) == len(body["profit_loss"])
    assert all(isinstance(t, int) for t in body["timestamp"])


@pytest.mark.parametrize(
    "params",
    [
        {"period": "1X"},
        {"period": "D"},
        {"timeframe": "2Min"},
        {"start": "yesterday"},
        {"period": "1M", "start": "2025-01-02T00:00:00Z", "end": "2025-02-01T00:00:00Z"},
        {"intraday_reporting": "always"},
        {"pnl_reset": "weekly"},
        {"extended_hours": "maybe"},
        {"cashflow_types": "BOGUS"},
        {"period": "3M", "timeframe": "15Min"},  # intraday only for up to 30 days
    ],
)
async def test_portfolio_history_rejects_bad_parameters_with_422(
    sandbox_server: RunningSandbox, http: aiohttp.ClientSession, params: dict[str, str]
) -> None:
    account = persona(sandbox_server, "sam")
    status, body = await call(
        http,
        sandbox_server,
        "GET",
        f"/v1/trading/accounts/{account}/account/portfolio/history",
        params=params,
    )
    assert status == 422
    assert isinstance(body["code"], int)


async def test_order_accepts_numbers_and_decimal_strings_and_ignores_unknown_fields(
    fresh_sandbox_server: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    account = persona(fresh_sandbox_server, "maya")
    path = f"/v1/trading/accounts/{account}/orders"
    as_number = {"symbol": "AAPL", "qty": 0.5, "side": "buy", "type": "market"}
    as_string = {"symbol": "AAPL", "qty": "0.5", "side": "buy", "type": "market"}
    for body in (as_number, as_string):
        status, order = await call(
            http,
            fresh_sandbox_server,
            "POST",
            path,
            json=body | {"time_in_force": "day", "wat": {"nested": 1}, "commission": 1.0},
        )
        assert status == 200, order
        assert order["qty"] == "0.5"


async def test_order_by_client_order_id_uses_the_colon_path(
    fresh_sandbox_server: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    account = persona(fresh_sandbox_server, "maya")
    client_id = f"colon-{uuid4()}"
    status, order = await call(
        http,
        fresh_sandbox_server,
        "POST",
        f"/v1/trading/accounts/{account}/orders",
        json={
            "symbol": "SPY",
            "qty": 1,
            "side": "buy",
            "type": "limit",
            "limit_price": "1.00",
            "time_in_force": "gtc",
            "client_order_id": client_id,
        },
    )
    assert status == 200, order
    status, found = await call(
        http,
        fresh_sandbox_server,
        "GET",
        f"/v1/trading/accounts/{account}/orders:by_client_order_id",
        params={"client_order_id": client_id},
    )
    assert status == 200
    assert found["id"] == order["id"]
    status, _ = await call(
        http,
        fresh_sandbox_server,
        "GET",
        f"/v1/trading/accounts/{account}/orders:by_client_order_id",
        params={"client_order_id": "nobody"},
    )
    assert status == 404


@pytest.mark.parametrize(
    "body",
    [
        {"symbol": "AAPL", "side": "buy", "type": "market", "time_in_force": "day"},
        {"symbol": "AAPL", "qty": 1, "notional": 5, "side": "buy", "type": "market"},
        {"symbol": "AAPL", "qty": 0, "side": "buy", "type": "market", "time_in_force": "day"},
        {"symbol": "AAPL", "qty": "-1", "side": "buy", "type": "market", "time_in_force": "day"},
        {"symbol": "AAPL", "qty": "abc", "side": "buy", "type": "market", "time_in_force": "day"},
        {"symbol": "AAPL", "qty": 1, "side": "hold", "type": "market", "time_in_force": "day"},
        {"symbol": "AAPL", "qty": 1, "side": "buy", "type": "limit", "time_in_force": "day"},
        {"symbol": "AAPL", "qty": 1, "side": "buy", "type": "market", "time_in_force": "week"},
        {"symbol": "AAPL", "qty": 1, "side": "buy", "type": "stop", "time_in_force": "day"},
        {"qty": 1, "side": "buy", "type": "market", "time_in_force": "day"},
        {"symbol": "NOPE", "qty": 1, "side": "buy", "type": "market", "time_in_force": "day"},
    ],
)
async def test_invalid_orders_are_refused_without_touching_the_ledger(
    sandbox_server: RunningSandbox, http: aiohttp.ClientSession, body: dict[str, Any]
) -> None:
    account = persona(sandbox_server, "maya")
    before = ledger_fingerprint(sandbox_server.sandbox, account)
    status, error = await call(
        http, sandbox_server, "POST", f"/v1/trading/accounts/{account}/orders", json=body
    )
    assert status in (400, 403, 404, 422)
    assert isinstance(error["code"], int)
    assert isinstance(error["message"], str)
    assert ledger_fingerprint(sandbox_server.sandbox, account) == before


@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b"\xff\xfe", b""])
async def test_bad_json_bodies_are_400_and_change_nothing(
    sandbox_server: RunningSandbox, http: aiohttp.ClientSession, raw: bytes
) -> None:
    account = persona(sandbox_server, "maya")
    before = ledger_fingerprint(sandbox_server.sandbox, account)
    for path in (
        f"/v1/trading/accounts/{account}/orders",
        f"/v1/accounts/{account}/transfers",
        f"/v1/accounts/{account}/ach_relationships",
    ):
        status, error = await call(http, sandbox_server, "POST", path, data=raw)
        assert status == 400, path
        assert error["code"] == 40010000
    assert ledger_fingerprint(sandbox_server.sandbox, account) == before


@pytest.mark.parametrize(
    "changes",
    [
        {"bank_routing_number": "121000359"},  # checksum fails
        {"bank_routing_number": "12100035"},
        {"bank_account_number": "12"},
        {"bank_account_number": "12-34-56"},
        {"bank_account_type": "BROKERAGE"},
        {"account_owner_name": ""},
    ],
)
async def test_ach_relationship_validation(
    sandbox_server: RunningSandbox, http: aiohttp.ClientSession, changes: dict[str, str]
) -> None:
    account = persona(sandbox_server, "alex")
    before = ledger_fingerprint(sandbox_server.sandbox, account)
    body = {
        "account_owner_name": "Alex Doe",
        "bank_account_type": "CHECKING",
        "bank_account_number": "123456789",
        "bank_routing_number": ROUTING,
    }
    status, error = await call(
        http,
        sandbox_server,
        "POST",
        f"/v1/accounts/{account}/ach_relationships",
        json=body | changes,
    )
    assert status == 422, error
    assert ledger_fingerprint(sandbox_server.sandbox, account) == before


@pytest.mark.parametrize("amount", ["0", "-5", "10.001", "abc", "", None, "1e3"])
async def test_transfer_amount_must_be_a_positive_two_decimal_string(
    sandbox_server: RunningSandbox, http: aiohttp.ClientSession, amount: str | None
) -> None:
    account = persona(sandbox_server, "maya")
    _, banks = await call(http, sandbox_server, "GET", f"/v1/accounts/{account}/ach_relationships")
    before = ledger_fingerprint(sandbox_server.sandbox, account)
    status, error = await call(
        http,
        sandbox_server,
        "POST",
        f"/v1/accounts/{account}/transfers",
        json={
            "transfer_type": "ach",
            "relationship_id": banks[0]["id"],
            "amount": amount,
            "direction": "INCOMING",
        },
    )
    assert status == 422, error
    assert ledger_fingerprint(sandbox_server.sandbox, account) == before


async def test_transfers_offset_pagination_ends_with_an_empty_page(
    sandbox_server: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    account = persona(sandbox_server, "maya")
    path = f"/v1/accounts/{account}/transfers"
    _, everything = await call(http, sandbox_server, "GET", path)
    assert len(everything) >= 3
    collected: list[str] = []
    offset = 0
    while True:
        status, page = await call(
            http, sandbox_server, "GET", path, params={"limit": 2, "offset": offset}
        )
        assert status == 200
        if not page:
            break
        collected += [t["id"] for t in page]
        offset += len(page)
    assert collected == [t["id"] for t in everything]
    _, past = await call(http, sandbox_server, "GET", path, params={"offset": 10_000})
    assert past == []
    _, incoming = await call(http, sandbox_server, "GET", path, params={"direction": "INCOMING"})
    assert {t["direction"] for t in incoming} == {"INCOMING"}


async def test_activities_page_token_pagination_ends_with_an_empty_page(
    sandbox_server: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    account = persona(sandbox_server, "sam")
    params: dict[str, Any] = {"account_id": account, "page_size": 7}
    ids: list[str] = []
    for _ in range(500):
        status, page = await call(
            http, sandbox_server, "GET", "/v1/accounts/activities", params=params
        )
        assert status == 200
        if not page:
            break
        assert len(page) <= 7
        ids += [a["id"] for a in page]
        params["page_token"] = page[-1]["id"]
    else:
        raise AssertionError("activities pagination never ended")
    assert len(ids) == len(set(ids))
    assert ids == sorted(ids, reverse=True)
    assert {a["account_id"] for a in page} <= {account}


async def test_activities_by_type_path_and_filters(
    sandbox_server: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    account = persona(sandbox_server, "sam")
    status, divs = await call(
        http,
        sandbox_server,
        "GET",
        "/v1/accounts/activities/DIV",
        params={"account_id": account, "direction": "asc"},
    )
    assert status == 200
    assert divs
    assert {a["activity_type"] for a in divs} == {"DIV"}
    assert [a["id"] for a in divs] == sorted(a["id"] for a in divs)
    _, mixed = await call(
        http,
        sandbox_server,
        "GET",
        "/v1/accounts/activities",
        params={"account_id": account, "activity_types": "CSD,FILL"},
    )
    assert {a["activity_type"] for a in mixed} <= {"CSD", "FILL"}
    status, _ = await call(
        http, sandbox_server, "GET", "/v1/accounts/activities", params={"page_size": 101}
    )
    assert status == 422
    status, _ = await call(
        http, sandbox_server, "GET", "/v1/accounts/activities/NOPE", params={"page_size": 1}
    )
    assert status == 422
    status, none = await call(
        http, sandbox_server, "GET", "/v1/accounts/activities", params={"account_id": MISSING}
    )
    assert status == 200
    assert none == []


async def test_cancel_all_orders_answers_207_per_order(
    fresh_sandbox_server: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    account = persona(fresh_sandbox_server, "maya")
    path = f"/v1/trading/accounts/{account}/orders"
    for price in ("1.00", "2.00"):
        status, _ = await call(
            http,
            fresh_sandbox_server,
            "POST",
            path,
            json={
                "symbol": "SPY",
                "qty": "1",
                "side": "buy",
                "type": "limit",
                "limit_price": price,
                "time_in_force": "gtc",
            },
        )
        assert status == 200
    status, results = await call(http, fresh_sandbox_server, "DELETE", path)
    assert status == 207
    assert len(results) >= 2
    assert {r["status"] for r in results} == {200}
    _, still_open = await call(http, fresh_sandbox_server, "GET", path)
    assert still_open == []


FUZZ_VALUES: tuple[Any, ...] = (
    None,
    "",
    " ",
    "0",
    "-1",
    "1",
    "1.5",
    "1e400",
    "NaN",
    "Infinity",
    "abc",
    "2025-01-02",
    "2025-13-45T99:99:99Z",
    "2025-01-02T14:30:00+00:00",
    "2025-01-02T14:30:00 00:00",
    "True",
    "ALL",
    "buy",
    "limit",
    "day",
    "AAPL",
    "BTC/USD",
    "1A",
    "0D",
    "99999999999999999999",
    "x" * 300,
    "\u0000",
    "💥",
    0,
    -5,
    1.5,
    10**30,
    True,
    [],
    {},
    [1, "a"],
    {"nested": {"deep": []}},
)


def fuzz_body(rng: random.Random, keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: rng.choice(FUZZ_VALUES) for k in keys if rng.random() < 0.8}


def fuzz_params(rng: random.Random, keys: tuple[str, ...]) -> dict[str, str]:
    values = [v for v in FUZZ_VALUES if isinstance(v, str)]
    return {k: rng.choice(values) for k in keys if rng.random() < 0.6}


async def test_fuzzed_requests_never_answer_5xx_or_non_json(
    fresh_sandbox_server: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    rng = random.Random(20240102)
    account = persona(fresh_sandbox_server, "jordan")
    trading = f"/v1/trading/accounts/{account}"
    order_keys = (
        "symbol",
        "qty",
        "notional",
        "side",
        "type",
        "time_in_force",
        "limit_price",
        "client_order_id",
        "extended_hours",
        "order_class",
    )
    bodies: list[tuple[str, str, tuple[str, ...]]] = [
        ("POST", f"{trading}/orders", order_keys),
        ("PATCH", f"{trading}/orders/{MISSING}", ("qty", "limit_price", "time_in_force")),
        (
            "POST",
            f"/v1/accounts/{account}/transfers",
            ("transfer_type", "relationship_id", "amount", "direction", "timing"),
        ),
        (
            "POST",
            f"/v1/accounts/{account}/ach_relationships",
            ("account_owner_name", "bank_account_type", "bank_account_number", "nickname"),
        ),
    ]
    queries: list[tuple[str, tuple[str, ...]]] = [
        (
            f"{trading}/account/portfolio/history",
            ("period", "timeframe", "start", "end", "date_end", "extended_hours", "pnl_reset"),
        ),
        (f"{trading}/orders", ("status", "limit", "after", "until", "direction", "symbols")),
        ("/v1/accounts/activities", ("activity_types", "date", "after", "page_size", "page_token")),
        (f"/v1/accounts/{account}/transfers", ("direction", "limit", "offset")),
        ("/v1/accounts", ("query", "created_after", "status", "sort", "entities")),
        ("/v1/accounts/positions", ("page",)),
    ]
    for _ in range(60):
        for method, path, keys in bodies:
            status, body = await call(
                http, fresh_sandbox_server, method, path, json=fuzz_body(rng, keys)
            )
            assert status < 500, (path, body)
        for path, keys in queries:
            status, body = await call(
                http, fresh_sandbox_server, "GET", path, params=fuzz_params(rng, keys)
            )
            assert status < 500, (path, body)


async def test_oversized_body_is_a_json_413(
    sandbox_server: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    account = persona(sandbox_server, "maya")
    status, body = await call(
        http,
        sandbox_server,
        "POST",
        f"/v1/trading/accounts/{account}/orders",
        data=io.BytesIO(b'{"symbol": "AAPL", "padding": "' + b"x" * (2 * 1024 * 1024) + b'"}'),
    )
    assert status == 413
    assert isinstance(body["code"], int)


async def test_crypto_position_by_pair_without_slash(
    sandbox_server: RunningSandbox, http: aiohttp.ClientSession
) -> None:
    account = persona(sandbox_server, "jordan")
    _, positions = await call(
        http, sandbox_server, "GET", f"/v1/trading/accounts/{account}/positions"
    )
    crypto = next(p for p in positions if p["asset_class"] == "crypto")
    status, body = await call(
        http,
        sandbox_server,
        "GET",
        f"/v1/trading/accounts/{account}/positions/{crypto['symbol'].replace('/', '')}",
    )
    assert status == 200
    assert body["symbol"] == crypto["symbol"]
    assert body["exchange"] == "CRYPTO"
