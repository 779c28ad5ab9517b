"""Add funds: link a bank, deposit exactly once per Idempotency-Key, follow the transfer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from portfolio_rt.sandbox.world import Sandbox
from portfolio_rt.state import IDEMPOTENCY, RUNTIME
from tests.fixtures.funds import BANK, link_bank

Auth = Callable[..., dict[str, str]]


async def test_linked_bank_numbers_are_masked(
    fresh_api: TestClient, auth_for: Auth, fresh_sandbox: Sandbox
) -> None:
    headers = auth_for(fresh_api, fresh_sandbox.personas["alex"])
    bank = await link_bank(fresh_api, headers)
    assert bank["account_number"] == "••••6789"
    assert "123456789" not in str(bank)
    listed = await (await fresh_api.get("/api/funds/bank-accounts", headers=headers)).json()
    assert bank["id"] in [b["id"] for b in listed["bank_accounts"]]
    assert "000123456789" not in str(listed)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("routing_number", "121000359"),  # check digit wrong
        ("routing_number", "12100035"),
        ("account_number", "12ab"),
        ("account_type", "brokerage"),
        ("owner_name", ""),
        ("owner_name", " Maya"),
        ("routing_number", "121000358\n"),  # `$` in a Python pattern would let it through
        ("routing_number", "١٢١٠٠٠٣٥٨"),  # digits, but not ASCII ones
        ("account_number", "0001 2345 6789"),
        ("account_number", "٠٠٠١٢٣٤٥٦٧٨٩"),
        ("nickname", 7),
        ("color", "blue"),  # not a field of the request
    ],
)
async def test_bad_bank_details_are_400(
    fresh_api: TestClient, auth_for: Auth, fresh_sandbox: Sandbox, field: str, value: str
) -> None:
    headers = auth_for(fresh_api, fresh_sandbox.personas["alex"])
    response = await fresh_api.post(
        "/api/funds/bank-accounts", json=BANK | {field: value}, headers=headers
    )
    assert response.status == 400
    assert (await response.json())["error"]["details"]["field"] == field


async def test_deposit_retry_with_same_key_moves_money_once(
    fresh_api: TestClient, auth_for: Auth, fresh_sandbox: Sandbox
) -> None:
    account = fresh_sandbox.personas["maya"]
    headers = auth_for(fresh_api, account)
    bank = await link_bank(fresh_api, headers)
    body = {"amount": "250.00", "relationship_id": bank["id"]}
    keyed = headers | {"Idempotency-Key": "deposit-attempt-0001"}
    before = len(fresh_sandbox.ledger.transfers(account))
    responses = await asyncio.gather(
        *[fresh_api.post("/api/funds/deposits", json=body, headers=keyed) for _ in range(5)]
    )
    statuses = sorted(r.status for r in responses)
    assert statuses.count(201) >= 1
    assert set(statuses) <= {201, 409}
    again = await fresh_api.post("/api/funds/deposits", json=body, headers=keyed)
    assert again.status == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    first = await next(r for r in responses if r.status == 201).json()
    assert (await again.json())["id"] == first["id"]
    assert len(fresh_sandbox.ledger.transfers(account)) == before + 1


async def test_same_key_different_body_is_422(
    fresh_api: TestClient, auth_for: Auth, fresh_sandbox: Sandbox
) -> None:
    headers = auth_for(fresh_api, fresh_sandbox.personas["maya"])
    bank = await link_bank(fresh_api, headers)
    keyed = headers | {"Idempotency-Key": "deposit-attempt-0002"}
    ok = await fresh_api.post(
        "/api/funds/deposits",
        json={"amount": "10.00", "relationship_id": bank["id"]},
        headers=keyed,
    )
    assert ok.status == 201
    changed = await fresh_api.post(
        "/api/funds/deposits",
        json={"amount": "99.00", "relationship_id": bank["id"]},
        headers=keyed,
    )
    assert changed.status == 422


@pytest.mark.parametrize(
    "amount",
    [
        "0", "0.00", "-5.00", "10.001", "abc", "50000.01", "NaN", "Infinity", "1e2", "05",
        " 5", "5\n", 12.5, 0, 50001, True, None,
    ],
)  # fmt: skip
async def test_bad_amounts_are_400_and_move_nothing(
    fresh_api: TestClient, auth_for: Auth, fresh_sandbox: Sandbox, amount: object
) -> None:
    account = fresh_sandbox.personas["maya"]
    headers = auth_for(fresh_api, account) | {"Idempotency-Key": "deposit-attempt-0003"}
    before = len(fresh_sandbox.ledger.transfers(account))
    response = await fresh_api.post(
        "/api/funds/deposits",
        json={"amount": amount, "relationship_id": "15ef9978-cb1e-4872-9565-bd0a720b8b76"},
        headers=headers,
    )
    assert response.status == 400
    assert len(fresh_sandbox.ledger.transfers(account)) == before


async def test_deposit_requires_an_idempotency_key(
    fresh_api: TestClient, auth_for: Auth, fresh_sandbox: Sandbox
) -> None:
    headers = auth_for(fresh_api, fresh_sandbox.personas["maya"])
    response = await fresh_api.post(
        "/api/funds/deposits",
        json={"amount": "10.00", "relationship_id": "15ef9978-cb1e-4872-9565-bd0a720b8b76"},
        headers=headers,
    )
    assert response.status == 400
    assert "Idempotency-Key" in (await response.json())["error"]["message"]


async def test_deposit_to_unknown_bank_is_refused_without_money_moving(
    fresh_api: TestClient, auth_for: Auth, fresh_sandbox: Sandbox
) -> None:
    account = fresh_sandbox.personas["maya"]
    headers = auth_for(fresh_api, account) | {"Idempotency-Key": "deposit-attempt-0004"}
    before = len(fresh_sandbox.ledger.transfers(account))
    response = await fresh_api.post(
        "/api/funds/deposits",
        json={"amount": "10.00", "relationship_id": "15ef9978-cb1e-4872-9565-bd0a720b8b76"},
        headers=headers,
    )
    assert response.status == 404
    assert (await response.json())["error"]["details"] == {"field": "relationship_id"}
    assert len(fresh_sandbox.ledger.transfers(account)) == before


async def test_another_accounts_bank_is_not_found(
    fresh_api: TestClient, auth_for: Auth, fresh_sandbox: Sandbox
) -> None:
    maya, alex = fresh_sandbox.personas["maya"], fresh_sandbox.personas["alex"]
    alex_bank = await link_bank(fresh_api, auth_for(fresh_api, alex))
    before = len(fresh_sandbox.ledger.transfers(maya)), len(fresh_sandbox.ledger.transfers(alex))
    response = await fresh_api.post(
        "/api/funds/deposits",
        json={"amount": "10.00", "relationship_id": alex_bank["id"]},
        headers=auth_for(fresh_api, maya) | {"Idempotency-Key": "deposit-attempt-0005"},
    )
    assert response.status == 404
    after = len(fresh_sandbox.ledger.transfers(maya)), len(fresh_sandbox.ledger.transfers(alex))
    assert after == before


@pytest.mark.parametrize("amount", ["0.01", "25", "25.5", "49999.99", "50000", 40, 4641.0])
async def test_every_amount_the_schema_allows_is_taken(
    fresh_api: TestClient, auth_for: Auth, fresh_sandbox: Sandbox, amount: object
) -> None:
    account = fresh_sandbox.personas["maya"]
    headers = auth_for(fresh_api, account)
    bank = await link_bank(fresh_api, headers)
    response = await fresh_api.post(
        "/api/funds/deposits",
        json={"amount": amount, "relationship_id": bank["id"]},
        headers=headers | {"Idempotency-Key": f"deposit-amount-{amount}"},
    )
    assert response.status == 201, await response.text()
    assert Decimal((await response.json())["amount"]) == Decimal(str(amount))


async def test_a_bank_without_a_nickname_may_say_null(
    fresh_api: TestClient, auth_for: Auth, fresh_sandbox: Sandbox
) -> None:
    headers = auth_for(fresh_api, fresh_sandbox.personas["alex"])
    response = await fresh_api.post(
        "/api/funds/bank-accounts", json=BANK | {"nickname": None}, headers=headers
    )
    assert response.status == 201
    assert (await response.json())["nickname"] is None


async def test_completed_deposit_shows_in_transfers_and_cash(
    fresh_api: TestClient, auth_for: Auth, fresh_sandbox: Sandbox
) -> None:
    account = fresh_sandbox.personas["alex"]
    headers = auth_for(fresh_api, account)
    bank = await link_bank(fresh_api, headers)
    cash_before = fresh_sandbox.ledger.balances(account).cash
    response = await fresh_api.post(
        "/api/funds/deposits",
        json={"amount": "125.50", "relationship_id": bank["id"]},
        headers=headers | {"Idempotency-Key": "deposit-attempt-0005"},
    )
    transfer = await response.json()
    assert transfer["status"] in {"QUEUED", "SENT_TO_CLEARING", "APPROVED", "PENDING"}
    for _ in range(60):
        listed = await (await fresh_api.get("/api/funds/transfers", headers=headers)).json()
        mine = next(t for t in listed["transfers"] if t["id"] == transfer["id"])
        if mine["status"] == "COMPLETE":
            break
        await asyncio.sleep(0.2)
    assert mine["status"] == "COMPLETE"
    assert fresh_sandbox.ledger.balances(account).cash == cash_before + Decimal("125.50")


async def test_lost_answer_is_reconciled_not_sent_twice(
    fresh_api: TestClient, auth_for: Auth, fresh_sandbox: Sandbox
) -> None:
    """Alpaca took the deposit but the answer never came back (timeout): the retry with the
    same key finds that transfer and returns it instead of depositing again."""
    account = fresh_sandbox.personas["maya"]
    headers = auth_for(fresh_api, account)
    bank = await link_bank(fresh_api, headers)
    runtime_http = fresh_api.app[RUNTIME].gateway.http
    runtime_http._timeout = aiohttp.ClientTimeout(total=0.3)
    fresh_sandbox.faults.add(
        {"route": "/v1/accounts/*/transfers", "method": "POST", "kind": "latency",
         "latency_ms": 800, "count": 1}
    )  # fmt: skip
    body = {"amount": "42.00", "relationship_id": bank["id"]}
    keyed = headers | {"Idempotency-Key": "deposit-lost-answer-1"}
    before = len(fresh_sandbox.ledger.transfers(account))
    first = await fresh_api.post("/api/funds/deposits", json=body, headers=keyed)
    assert first.status == 504
    await asyncio.sleep(1.0)  # the sandbox finishes creating the transfer
    retry = await fresh_api.post("/api/funds/deposits", json=body, headers=keyed)
    assert retry.status == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert len(fresh_sandbox.ledger.transfers(account)) == before + 1


async def test_attempt_that_never_arrived_is_sent_once_settled(
    fresh_api: TestClient, auth_for: Auth, fresh_sandbox: Sandbox
) -> None:
    """The connection dropped before Alpaca saw the deposit: after the settle window the
    retry sends it, exactly once."""
    account = fresh_sandbox.personas["maya"]
    headers = auth_for(fresh_api, account)
    bank = await link_bank(fresh_api, headers)
    store = fresh_api.app[IDEMPOTENCY]
    store.settle_after_s = 3600  # not settled: however slow the machine, the retry waits
    fresh_sandbox.faults.add(
        {"route": "/v1/accounts/*/transfers", "method": "POST", "kind": "drop", "count": 1}
    )
    body = {"amount": "43.00", "relationship_id": bank["id"]}
    keyed = headers | {"Idempotency-Key": "deposit-never-arrived-1"}
    before = len(fresh_sandbox.ledger.transfers(account))
    first = await fresh_api.post("/api/funds/deposits", json=body, headers=keyed)
    assert first.status == 503
    too_soon = await fresh_api.post("/api/funds/deposits", json=body, headers=keyed)
    assert too_soon.status == 409
    store.settle_after_s = 0  # the settle window has passed
    retry = await fresh_api.post("/api/funds/deposits", json=body, headers=keyed)
    assert retry.status == 201
    again = await fresh_api.post("/api/funds/deposits", json=body, headers=keyed)
    assert (await again.json())["id"] == (await retry.json())["id"]
    assert len(fresh_sandbox.ledger.transfers(account)) == before + 1
