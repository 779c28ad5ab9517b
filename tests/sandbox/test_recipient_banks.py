"""Recipient banks (`…/recipient_banks`) and the wire transfers made through them: validation,
QUEUED → APPROVED, one active bank per account, deletion, and wires moving cash end to end."""

from __future__ import annotations

import asyncio
import re
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

import pytest

from portfolio_rt.sandbox.app import RunningSandbox

from .broker_calls import Broker, broker

BANKS = "/v1/accounts/{}/recipient_banks"
TRANSFERS = "/v1/accounts/{}/transfers"
ROUTING = "121000358"
DOMESTIC = {
    "name": "First Wire Bank",
    "bank_code": ROUTING,
    "bank_code_type": "ABA",
    "account_number": "000123456789",
}
INTERNATIONAL = {
    "name": "Deutsche Bank",
    "bank_code": "DEUTDEFF500",
    "bank_code_type": "BIC",
    "account_number": "DE89370400440532013000",
    "country": "DEU",
    "state_province": "Hesse",
    "postal_code": "60325",
    "city": "Frankfurt am Main",
    "street_address": "Taunusanlage 12",
}
NANO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7,9}Z$")


async def wait_until(check: Any, within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the condition never held")
        await asyncio.sleep(0.05)


async def cash(api: Broker, account: str) -> Decimal:
    status, trade = await api.call("GET", f"/v1/trading/accounts/{account}/account")
    assert status == 200
    return Decimal(trade["cash"])


async def test_a_domestic_bank_is_queued_then_approved(
    fresh_sandbox_server: RunningSandbox,
) -> None:
    async with broker(fresh_sandbox_server) as api:
        alex = api.persona("alex")
        status, bank = await api.call("POST", BANKS.format(alex), json=DOMESTIC)
        assert status == 200
        assert bank["id"] == str(uuid5(UUID(alex), "recipient_bank:1"))
        assert {k: bank[k] for k in DOMESTIC} == DOMESTIC
        assert (bank["account_id"], bank["status"]) == (alex, "QUEUED")
        assert all(bank[k] == "" for k in ("country", "state_province", "postal_code", "city"))
        assert NANO_TIME.match(bank["created_at"])

        async def approved() -> bool:
            _, banks = await api.call("GET", BANKS.format(alex))
            return bool(banks[0]["status"] == "APPROVED")

        await wait_until(approved)
        funding = [
            (e.body["status_from"], e.body["status_to"])
            for e in fresh_sandbox_server.sandbox.events.events("funding")
            if e.body["entity_type"] == "WireBank"
        ]
        assert funding == [(None, "QUEUED"), ("QUEUED", "APPROVED")]


async def test_an_international_bank_carries_its_address(
    fresh_sandbox_server: RunningSandbox,
) -> None:
    async with broker(fresh_sandbox_server) as api:
        alex = api.persona("alex")
        status, bank = await api.call(
            "POST", BANKS.format(alex), json=INTERNATIONAL | {"bank_code": "deutdeff"}
        )
        assert status == 200
        assert {k: bank[k] for k in INTERNATIONAL} == INTERNATIONAL | {"bank_code": "DEUTDEFF"}


async def test_one_active_bank_at_a_time_and_deleting_cancels(
    fresh_sandbox_server: RunningSandbox,
) -> None:
    async with broker(fresh_sandbox_server) as api:
        alex, sam = api.persona("alex"), api.persona("sam")
        path = BANKS.format(alex)
        _, first = await api.call("POST", path, json=DOMESTIC)
        assert await api.call("POST", path, json=INTERNATIONAL) == (
            409,
            {"code": 40910000, "message": "a bank relationship already exists for this account"},
        )
        not_found = (404, {"code": 40410000, "message": "bank not found"})
        assert await api.call("DELETE", f"{BANKS.format(sam)}/{first['id']}") == not_found
        assert await api.call("DELETE", f"{path}/{first['id']}") == (204, None)
        assert await api.call("DELETE", f"{path}/{first['id']}") == not_found
        assert await api.call("GET", path) == (200, [])
        status, inactive = await api.call("GET", path, params={"status": "INACTIVE"})
        assert [(b["id"], b["status"]) for b in inactive] == [(first["id"], "CANCELED")]
        status, second = await api.call("POST", path, json=INTERNATIONAL)
        assert (status, second["id"]) == (200, str(uuid5(UUID(alex), "recipient_bank:2")))
        status, active = await api.call("GET", path, params={"status": "ACTIVE"})
        assert [b["id"] for b in active] == [second["id"]]
        status, named = await api.call("GET", path, params={"bank_name": "deutsche bank"})
        assert [b["id"] for b in named] == [second["id"]]
        assert await api.call("GET", path, params={"bank_name": "Other"}) == (200, [])
        status, body = await api.call("GET", path, params={"status": "GONE"})
        assert (status, body["message"]) == (422, "status must be one of ACTIVE, INACTIVE")
        status, body = await api.call("DELETE", f"{path}/not-a-uuid")
        assert (status, body["message"]) == (400, "bank_id is not a valid UUID")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (DOMESTIC | {"bank_code": "123456789"}, "bank_code must be a valid 9-digit ABA"),
        (DOMESTIC | {"account_number": "12"}, "account_number must be 4 to 17 letters or digits"),
        (DOMESTIC | {"account_number": "12-34-56"}, "account_number must be 4 to 17"),
        (DOMESTIC | {"city": "Chicago"}, "city is only for international (BIC) banks"),
        (DOMESTIC | {"bank_code_type": "IBAN"}, "bank_code_type must be one of ABA, BIC"),
        ({k: v for k, v in DOMESTIC.items() if k != "name"}, "name is required"),
        ({k: v for k, v in DOMESTIC.items() if k != "bank_code"}, "bank_code is required"),
        (INTERNATIONAL | {"bank_code": "DEUT"}, "bank_code must be an 8 or 11 character BIC"),
        (INTERNATIONAL | {"city": ""}, "city is required for international (BIC) banks"),
        (INTERNATIONAL | {"postal_code": "60"}, "postal_code must be at least 3 characters"),
        (INTERNATIONAL | {"account_number": "DE89 3704"}, "account_number must be letters"),
    ],
)
async def test_bank_validation(
    sandbox_server: RunningSandbox, body: dict[str, str], message: str
) -> None:
    async with broker(sandbox_server) as api:
        pat = api.persona("pat")
        status, answer = await api.call("POST", BANKS.format(pat), json=body)
        assert status == 422
        assert answer["message"].startswith(message)
        assert await api.call("GET", BANKS.format(pat)) == (200, [])


async def wire(api: Broker, account: str, **fields: Any) -> tuple[int, Any]:
    body = {"transfer_type": "wire", "direction": "INCOMING", "timing": "immediate"} | fields
    return await api.call("POST", TRANSFERS.format(account), json=body)


async def test_wires_move_cash_in_and_out(fresh_sandbox_server: RunningSandbox) -> None:
    async with broker(fresh_sandbox_server) as api:
        alex = api.persona("alex")
        _, bank = await api.call("POST", BANKS.format(alex), json=DOMESTIC)
        status, deposit = await wire(
            api, alex, bank_id=bank["id"], amount="5000", additional_information="ref 77"
        )
        assert status == 200
        assert (deposit["type"], deposit["bank_id"], deposit["status"]) == (
            "wire",
            bank["id"],
            "QUEUED",
        )
        assert "relationship_id" not in deposit
        assert deposit["additional_information"] == "ref 77"
        status, outgoing = await wire(
            api, alex, bank_id=bank["id"], amount="1", direction="OUTGOING"
        )
        assert (status, outgoing["message"]) == (403, "insufficient funds for the withdrawal")

        async def deposited() -> bool:
            return await cash(api, alex) == Decimal(5000)

        await wait_until(deposited)
        status, withdrawal = await wire(
            api, alex, bank_id=bank["id"], amount="1200.25", direction="OUTGOING"
        )
        assert (status, withdrawal["direction"]) == (200, "OUTGOING")

        async def withdrawn() -> bool:
            return await cash(api, alex) == Decimal("3799.75")

        await wait_until(withdrawn)
        status, activities = await api.call(
            "GET", "/v1/accounts/activities", params={"account_id": alex, "direction": "asc"}
        )
        assert [(a["activity_type"], a["net_amount"], a["description"]) for a in activities] == [
            ("CSD", "5000", "Wire deposit"),
            ("CSW", "-1200.25", "Wire withdrawal"),
        ]
        _, transfers = await api.call("GET", TRANSFERS.format(alex))  # newest first
        wires = [(t["direction"], t["status"]) for t in transfers if t["type"] == "wire"]
        assert wires == [("OUTGOING", "COMPLETE"), ("INCOMING", "COMPLETE")]


async def test_a_queued_wire_can_be_canceled(fresh_sandbox_server: RunningSandbox) -> None:
    async with broker(fresh_sandbox_server) as api:
        alex = api.persona("alex")
        _, bank = await api.call("POST", BANKS.format(alex), json=DOMESTIC)
        _, deposit = await wire(api, alex, bank_id=bank["id"], amount="100")
        assert await api.call("DELETE", f"{TRANSFERS.format(alex)}/{deposit['id']}") == (204, None)
        await asyncio.sleep(0.7)  # past the transfer delay: nothing arrives
        assert await cash(api, alex) == 0
        _, transfers = await api.call("GET", TRANSFERS.format(alex))
        assert [t["status"] for t in transfers if t["type"] == "wire"] == ["CANCELED"]


async def test_a_wire_needs_an_active_bank_of_the_account(
    fresh_sandbox_server: RunningSandbox,
) -> None:
    async with broker(fresh_sandbox_server) as api:
        alex, sam = api.persona("alex"), api.persona("sam")
        _, bank = await api.call("POST", BANKS.format(sam), json=DOMESTIC)
        not_a_bank = (422, {"code": 42210000, "message": "bank_id does not match a recipient bank"})
        assert await wire(api, alex, bank_id=bank["id"], amount="10") == not_a_bank
        status, body = await wire(api, alex, amount="10")
        assert (status, body["message"]) == (422, "bank_id is required for wire transfers")
        status, body = await wire(api, alex, relationship_id=bank["id"], amount="10")
        assert (status, body["message"]) == (422, "bank_id is required for wire transfers")
        await api.call("DELETE", f"{BANKS.format(sam)}/{bank['id']}")
        assert await wire(api, sam, bank_id=bank["id"], amount="10") == not_a_bank
        # an ACH relationship's id is no recipient bank
        _, ach = await api.call("GET", f"/v1/accounts/{sam}/ach_relationships")
        assert await wire(api, sam, bank_id=ach[0]["id"], amount="10") == not_a_bank
        _, transfers = await api.call("GET", TRANSFERS.format(alex))
        assert [t for t in transfers if t["type"] == "wire"] == []
