"""A whole session's worth of traffic, good and bad, leaks nothing: no full bank number, no
password, no token, no Alpaca or signing secret and no stack trace in any response or in any
log line the process writes (structlog and the standard library's loggers alike)."""

from __future__ import annotations

import base64

import orjson
from aiohttp import web
from aiohttp.test_utils import TestClient

from portfolio_rt.app import create_app
from portfolio_rt.state import RUNTIME
from tests.fixtures.logs import CapturedLogs
from tests.fixtures.settings import SIGNING_SECRET, make_settings

BANK_NUMBER = "918273645501"
LONG_BANK_NUMBER = "98765432109876543210"
ROUTING = "121000358"
WRONG_PASSWORD = "Wr0ng-Passw0rd-for-leak-test"
TRACE_MARKERS = ("Traceback (most recent call last)", 'File "', "raise ")


class Recorder:
    """Keeps every response's status line, headers and body for the scan."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.responses: list[tuple[str, str]] = []  # (what, text)

    async def call(self, method: str, path: str, **kwargs: object) -> tuple[int, str]:
        response = await self.client.request(method, path, **kwargs)  # type: ignore[arg-type]
        text = await response.text()
        headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        self.responses.append((f"{method} {path} -> {response.status}", f"{headers}\n\n{text}"))
        return response.status, text


async def boom(request: web.Request) -> web.Response:
    raise RuntimeError(f"unexpected failure with account number {BANK_NUMBER}")


async def test_a_session_of_calls_leaks_nothing(
    aiohttp_client,
    captured_logs: CapturedLogs,  # type: ignore[no-untyped-def]
) -> None:
    settings = make_settings(
        {"PORTFOLIO_RT_SECRET": SIGNING_SECRET},
        alpaca={"mode": "sandbox"},
        sandbox={"transfer_delay_s": 0.5},
    )
    app = create_app(settings)
    app.router.add_get("/api/test-only/boom", boom)
    client = await aiohttp_client(app)
    endpoints = client.app[RUNTIME].endpoints
    assert endpoints is not None
    alpaca_secrets = {
        endpoints.secret_key,
        base64.b64encode(f"{endpoints.api_key}:{endpoints.secret_key}".encode()).decode(),
    }
    api = Recorder(client)

    # Log in: a wrong password first, then the demo password.
    status, _ = await api.call(
        "POST", "/api/auth/login", json={"username": "maya", "password": WRONG_PASSWORD}
    )
    assert status == 401
    status, text = await api.call(
        "POST", "/api/auth/login", json={"username": "maya", "password": "demo"}
    )
    assert status == 200
    token = orjson.loads(text)["token"]
    login_response = api.responses[-1]
    bearer = {"Authorization": f"Bearer {token}"}

    # Reads, including a token wrongly put in a URL.
    assert (await api.call("GET", "/api/portfolio/summary", headers=bearer))[0] == 200
    # (the session cookie authenticates it; the query string must not reach a log line)
    assert (await api.call("GET", f"/api/portfolio/positions?access_token={token}"))[0] == 200
    assert (await api.call("GET", "/api/assets/NOSUCHTHING", headers=bearer))[0] == 404

    # Link a bank with a full account number, then a bad one, then list them.
    bank = {
        "owner_name": "Maya Lopez",
        "account_type": "checking",
        "account_number": BANK_NUMBER,
        "routing_number": ROUTING,
    }
    status, text = await api.call("POST", "/api/funds/bank-accounts", json=bank, headers=bearer)
    assert status == 201, text
    relationship_id = orjson.loads(text)["id"]
    bad_bank = bank | {"account_number": LONG_BANK_NUMBER}
    status, _ = await api.call("POST", "/api/funds/bank-accounts", json=bad_bank, headers=bearer)
    assert status == 400
    bad_routing = bank | {"routing_number": "121000359"}
    status, _ = await api.call("POST", "/api/funds/bank-accounts", json=bad_routing, headers=bearer)
    assert status == 400
    assert (await api.call("GET", "/api/funds/bank-accounts", headers=bearer))[0] == 200

    # Deposit once, replay it, then a malformed and an oversized body.
    keyed = bearer | {"Idempotency-Key": "leak-test-deposit-0001"}
    deposit = {"amount": "125.00", "relationship_id": relationship_id}
    for expected in (201, 201):
        status, text = await api.call("POST", "/api/funds/deposits", json=deposit, headers=keyed)
        assert status == expected, text
    json_headers = keyed | {"Content-Type": "application/json"}
    malformed = f'{{"amount": "1.00", "account_number": "{BANK_NUMBER}",'.encode()
    assert (await api.call("POST", "/api/funds/deposits", data=malformed, headers=json_headers))[
        0
    ] == 400
    oversized = b'{"note": "' + BANK_NUMBER.encode() * 10_000 + b'"}'
    assert (await api.call("POST", "/api/funds/deposits", data=oversized, headers=json_headers))[
        0
    ] == 413
    assert (await api.call("GET", "/api/funds/transfers", headers=bearer))[0] == 200

    # Alpaca failing, and a bug in a handler.
    running = client.app[RUNTIME].sandbox
    assert running is not None
    running.sandbox.faults.add(
        {"route": "/v1/accounts/*/ach_relationships", "kind": "status", "status": 500}
    )
    status, _ = await api.call("POST", "/api/funds/bank-accounts", json=bank, headers=bearer)
    assert status == 502
    assert (await api.call("GET", "/api/test-only/boom", headers=bearer))[0] == 500

    # A forged token, then log out.
    forged = {"Authorization": f"Bearer {token[:-4]}AAAA"}
    assert (await api.call("GET", "/api/portfolio/summary", headers=forged))[0] == 401
    assert (await api.call("POST", "/api/auth/logout", headers=bearer))[0] == 200

    logs = captured_logs.getvalue()
    lines = logs.splitlines()
    assert any('"http.request"' in line for line in lines)  # the capture works
    assert any('"funds.bank_linked"' in line for line in lines)
    assert any('"http.unhandled_error"' in line for line in lines)
    never_anywhere = {
        "full bank number": BANK_NUMBER,
        "long bank number": LONG_BANK_NUMBER,
        "password": WRONG_PASSWORD,
        "signing secret": SIGNING_SECRET,
    } | {f"alpaca secret {i}": s for i, s in enumerate(sorted(alpaca_secrets))}
    for what, text in api.responses:
        for name, secret in never_anywhere.items():
            assert secret not in text, f"{name} in response {what}"
        for marker in TRACE_MARKERS[:2]:
            assert marker not in text, f"stack trace in response {what}"
        if (what, text) != login_response:
            assert token not in text, f"token in response {what}"
    for number, line in enumerate(lines, 1):
        for name, secret in (never_anywhere | {"token": token}).items():
            assert secret not in line, f"{name} in log line {number}: {line[:300]}"
        for marker in TRACE_MARKERS:
            assert marker not in line, f"stack trace in log line {number}: {line[:300]}"
