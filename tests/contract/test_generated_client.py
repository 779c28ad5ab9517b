"""A client generated from the served document by openapi-python-client, used as a script
author would: log in, call every operation, read typed answers and typed errors."""

from __future__ import annotations

import asyncio
import importlib
import itertools
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import uuid4

import pytest
from aiohttp.test_utils import TestClient

from portfolio_rt.auth.tokens import READ
from portfolio_rt.state import RUNTIME, TOKENS
from tests.fixtures.service import SandboxService

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
_names = itertools.count()


class Generated:
    """The generated package: `api(tag, operation_id)` is an operation's module."""

    def __init__(self, package: ModuleType, base_url: str) -> None:
        self.package = package
        self.base_url = base_url
        self.opened: list[Any] = []

    def api(self, tag: str, operation_id: str) -> Any:
        return importlib.import_module(f"{self.package.__name__}.api.{tag}.{operation_id}")

    def model(self, name: str) -> Any:
        return getattr(importlib.import_module(f"{self.package.__name__}.models"), name)

    def anonymous(self) -> Any:
        return self._opened(self.package.Client(base_url=self.base_url))

    def signed_in(self, token: str) -> Any:
        return self._opened(self.package.AuthenticatedClient(base_url=self.base_url, token=token))

    def _opened(self, client: Any) -> Any:
        self.opened.append(client)
        return client

    async def close(self) -> None:
        for client in self.opened:
            await client.get_async_httpx_client().aclose()


@pytest.fixture
async def demo(sandbox_service: SandboxService) -> TestClient:
    return await sandbox_service(sandbox={"transfer_delay_s": 0.5})


@pytest.fixture
async def client(demo: TestClient, tmp_path: Path) -> AsyncIterator[Generated]:
    """Generated from the document the running service serves, without credentials."""
    document = tmp_path / "openapi.json"
    document.write_bytes(await (await demo.get("/api/openapi.json")).read())
    name = f"portfolio_client_{next(_names)}"
    config = tmp_path / "generator.yaml"
    # No post hooks: formatting the generated code is not what is under test.
    config.write_text(f"post_hooks: []\npackage_name_override: {name}\n")
    process = await asyncio.create_subprocess_exec(
        str(GENERATOR), "generate", "--path", str(document), "--meta", "none",
        "--output-path", str(tmp_path / name), "--config", str(config),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()
    assert b"Warning" not in output, output.decode()  # every operation and model generated
    sys.path.insert(0, str(tmp_path))
    try:
        package = importlib.import_module(name)
    finally:
        sys.path.remove(str(tmp_path))
    generated = Generated(package, str(demo.make_url("")).rstrip("/"))
    yield generated
    await generated.close()


async def log_in(client: Generated, username: str = "maya", password: str = "demo") -> Any:
    body = client.model("LoginRequest")(username=username, password=password)
    login = client.api("session", "login")
    return await login.asyncio_detailed(client=client.anonymous(), body=body)


async def test_logging_in_gives_a_typed_token_and_a_typed_refusal(client: Generated) -> None:
    wrong = await log_in(client, password="not-the-password")
    assert wrong.status_code == 401
    assert isinstance(wrong.parsed, client.model("Error"))
    assert wrong.parsed.error.code == "unauthorized"
    right = await log_in(client)
    assert right.status_code == 200
    assert isinstance(right.parsed, client.model("Login"))
    assert right.parsed.expires_at > datetime.now(UTC)


async def test_every_read_operation_answers_its_documented_model(client: Generated) -> None:
    signed = client.signed_in((await log_in(client)).parsed.token)
    reads = {
        ("portfolio", "get_summary"): ({}, "Summary"),
        ("portfolio", "get_history"): ({"period": "1y"}, "History"),
        ("portfolio", "get_positions"): ({}, "Positions"),
        ("portfolio", "get_realized"): ({}, "Realized"),
        ("portfolio", "get_income"): ({}, "Income"),
        ("portfolio", "get_analytics"): ({}, "Analytics"),
        ("activity", "list_orders"): ({"limit": 5}, "Orders"),
        ("activity", "list_activities"): ({"types": "FILL,DIV,deposit"}, "Activities"),
        ("funds", "list_bank_accounts"): ({}, "BankAccounts"),
        ("funds", "list_transfers"): ({}, "Transfers"),
    }
    for (tag, operation), (arguments, model) in reads.items():
        answer = await client.api(tag, operation).asyncio_detailed(client=signed, **arguments)
        assert answer.status_code == 200, (operation, answer.content[:300])
        assert isinstance(answer.parsed, client.model(model)), operation
    summary = await client.api("portfolio", "get_summary").asyncio(client=signed)
    assert float(summary.equity) > 0  # money arrives as decimal text


async def test_operations_refuse_a_session_that_is_not_one(client: Generated) -> None:
    forged = client.signed_in("not-a-token")
    for tag, operation in [
        ("portfolio", "get_summary"), ("portfolio", "get_positions"),
        ("portfolio", "get_income"), ("portfolio", "get_analytics"),
        ("funds", "list_bank_accounts"), ("funds", "list_transfers"),
        ("session", "logout_everywhere"),
    ]:  # fmt: skip
        answer = await client.api(tag, operation).asyncio_detailed(client=forged)
        assert answer.status_code == 401, operation
        assert isinstance(answer.parsed, client.model("Error")), operation


async def test_bad_input_is_a_typed_400_naming_the_field(client: Generated) -> None:
    signed = client.signed_in((await log_in(client)).parsed.token)
    cases = [
        (("portfolio", "get_history"), {"period": "2Y"}, "period"),
        (("portfolio", "get_realized"), {"year": 1999}, "year"),
        (("activity", "list_orders"), {"symbols": "AAPL,,VTI"}, "symbols"),
        (("activity", "list_orders"), {"cursor": "bm90LWEtY3Vyc29y"}, None),
        (("activity", "list_activities"), {"types": "SPLIT"}, "types"),
        (("activity", "list_activities"), {"limit": 101}, "limit"),
    ]
    for (tag, operation), arguments, field in cases:
        answer = await client.api(tag, operation).asyncio_detailed(client=signed, **arguments)
        assert answer.status_code == 400, (operation, arguments)
        assert isinstance(answer.parsed, client.model("Error"))
        if field is not None:
            assert answer.parsed.error.details["field"] == field


async def test_paging_orders_and_activities_through_the_cursor(client: Generated) -> None:
    """Pages of 20 followed through `next_cursor` are the first rows of one page of 100."""
    signed = client.signed_in((await log_in(client, "sam")).parsed.token)
    for operation, rows in (("list_orders", "orders"), ("list_activities", "activities")):
        call = client.api("activity", operation).asyncio
        seen: list[str] = []
        page = await call(client=signed, limit=20)
        while True:
            assert not isinstance(page, client.model("Error")), page
            seen += [str(row.id) for row in getattr(page, rows)]
            if not isinstance(page.next_cursor, str) or len(seen) >= 100:
                break
            page = await call(client=signed, limit=20, cursor=page.next_cursor)
        one_page = await call(client=signed, limit=100)
        assert seen[:100] == [str(row.id) for row in getattr(one_page, rows)][: len(seen)]
        assert len(seen) > 20, operation


async def test_assets_by_ticker_crypto_pair_and_id(client: Generated) -> None:
    signed = client.signed_in((await log_in(client)).parsed.token)
    get_asset = client.api("assets", "get_asset").asyncio_detailed
    apple = await get_asset("AAPL", client=signed)
    assert apple.status_code == 200
    assert apple.parsed.symbol == "AAPL"
    bitcoin = await get_asset("BTC/USD", client=signed)  # the client encodes the slash
    assert bitcoin.status_code == 200
    assert bitcoin.parsed.symbol == "BTC/USD"
    by_id = await get_asset(str(apple.parsed.id), client=signed)
    assert by_id.status_code == 200
    assert by_id.parsed.symbol == "AAPL"
    missing = await get_asset("ZZZZZZ", client=signed)
    assert missing.status_code == 404
    assert isinstance(missing.parsed, client.model("Error"))
    malformed = await get_asset("AAPL;DROP", client=signed)
    assert malformed.status_code == 400, malformed.content
    assert malformed.parsed.error.details["field"] == "symbol_or_id"


async def test_linking_a_bank_and_depositing_once(client: Generated, demo: TestClient) -> None:
    signed = client.signed_in((await log_in(client)).parsed.token)
    link = client.api("funds", "link_bank_account").asyncio_detailed
    request = client.model("BankAccountRequest")
    kind = client.model("BankAccountRequestAccountType")
    refused = await link(
        client=signed,
        body=request("Maya Chen", kind.CHECKING, "000123456789", "123456789"),
    )
    assert refused.status_code == 400
    assert refused.parsed.error.details["field"] == "routing_number"
    linked = await link(
        client=signed, body=request("Maya Chen", kind.SAVINGS, "000123456789", "011000015")
    )
    assert linked.status_code == 201, linked.content
    assert linked.parsed.account_number == "••••6789"

    deposit = client.api("funds", "create_deposit").asyncio_detailed
    body = client.model("DepositRequest")(amount="25.50", relationship_id=linked.parsed.id)
    key = str(uuid4())
    first = await deposit(client=signed, body=body, idempotency_key=key)
    again = await deposit(client=signed, body=body, idempotency_key=key)
    assert first.status_code == again.status_code == 201, first.content
    assert first.parsed.id == again.parsed.id
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.parsed.amount == "25.50"

    stranger = client.model("DepositRequest")(amount=10, relationship_id=uuid4())
    unknown = await deposit(client=signed, body=stranger, idempotency_key=str(uuid4()))
    assert unknown.status_code == 404
    assert unknown.parsed.error.details["field"] == "relationship_id"
    too_much = client.model("DepositRequest")(amount="50000.01", relationship_id=linked.parsed.id)
    over = await deposit(client=signed, body=too_much, idempotency_key=str(uuid4()))
    assert over.status_code == 400

    transfers = await client.api("funds", "list_transfers").asyncio(client=signed)
    assert [t.id for t in transfers.transfers].count(first.parsed.id) == 1

    sandbox = demo.app[RUNTIME].sandbox
    assert sandbox is not None
    read_only, _ = demo.app[TOKENS].mint(
        account_id=sandbox.sandbox.personas["maya"],
        subject="script",
        scopes=frozenset({READ}),
        ttl_s=600,
    )
    forbidden = await deposit(
        client=client.signed_in(read_only), body=body, idempotency_key=str(uuid4())
    )
    assert forbidden.status_code == 403


async def test_service_operations_need_no_credentials(client: Generated) -> None:
    anonymous = client.anonymous()
    health = await client.api("service", "get_health").asyncio(client=anonymous)
    assert health.status == "ok"
    ready = await client.api("service", "get_readiness").asyncio_detailed(client=anonymous)
    assert ready.status_code in (200, 503)
    assert ready.parsed.status in ("ready", "not_ready")
    document = await client.api("service", "get_openapi").asyncio(client=anonymous)
    assert document.additional_properties["info"]["title"] == "portfolio_rt"


async def test_logging_out_ends_the_session_for_the_client(client: Generated) -> None:
    first = client.signed_in((await log_in(client)).parsed.token)
    second = client.signed_in((await log_in(client)).parsed.token)
    summary = client.api("portfolio", "get_summary").asyncio_detailed
    out = await client.api("session", "logout").asyncio_detailed(client=first)
    assert out.status_code == 200
    assert out.parsed.sessions_ended == 1
    assert (await summary(client=first)).status_code == 401
    assert (await summary(client=second)).status_code == 200
    everywhere = await client.api("session", "logout_everywhere").asyncio_detailed(client=second)
    assert everywhere.status_code == 200
    assert everywhere.parsed.everywhere is True
    assert (await summary(client=second)).status_code == 401
