"""One request id per request, end to end: the response header, every log line written while
handling it (the handler's own lines too), and the error body."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp.test_utils import TestClient

from portfolio_rt.sandbox.world import Sandbox
from tests.fixtures.logs import CapturedLogs

Auth = Callable[..., dict[str, str]]


async def test_caller_id_is_in_header_error_body_and_log(
    api: TestClient, captured_logs: CapturedLogs
) -> None:
    response = await api.get("/api/portfolio/summary", headers={"X-Request-ID": "trace-0001-abcd"})
    assert response.status == 401
    assert response.headers["X-Request-ID"] == "trace-0001-abcd"
    assert (await response.json())["error"]["request_id"] == "trace-0001-abcd"
    access = [line for line in captured_logs.lines() if line["event"] == "http.request"]
    assert access[-1]["request_id"] == "trace-0001-abcd"
    assert access[-1]["status"] == 401


async def test_handler_log_lines_carry_the_request_id(
    fresh_api: TestClient,
    auth_for: Auth,
    fresh_sandbox: Sandbox,
    captured_logs: CapturedLogs,
) -> None:
    bank = {
        "owner_name": "Alex Kim",
        "account_type": "savings",
        "account_number": "000123456789",
        "routing_number": "121000358",
    }
    headers = auth_for(fresh_api, fresh_sandbox.personas["alex"]) | {
        "X-Request-ID": "link-bank-trace-42"
    }
    response = await fresh_api.post("/api/funds/bank-accounts", json=bank, headers=headers)
    assert response.status == 201
    lines = captured_logs.lines()
    linked = next(line for line in lines if line["event"] == "funds.bank_linked")
    assert linked["request_id"] == "link-bank-trace-42"
    # Lines after the request are not attributed to it.
    await fresh_api.get("/health")
    last = [line for line in captured_logs.lines() if line["event"] == "http.request"][-1]
    assert last["request_id"] != "link-bank-trace-42"


async def test_generated_ids_are_unique(api: TestClient) -> None:
    ids = {(await api.get("/health")).headers["X-Request-ID"] for _ in range(20)}
    assert len(ids) == 20
