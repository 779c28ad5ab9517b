"""The service is killed while a deposit is on its way to Alpaca, then restarted: retried
with its Idempotency-Key, the deposit is neither lost nor made twice."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from portfolio_rt.auth.tokens import ALL_SCOPES, TokenService
from portfolio_rt.config import AuthSettings
from portfolio_rt.sandbox.personas import persona_account_id
from tests.fixtures.funds import BANK
from tests.fixtures.processes import Process, sandbox_process, service_process
from tests.fixtures.settings import SIGNING_SECRET

KEY, SECRET = "kill-test-key", "kill-test-secret"
MAYA = persona_account_id("maya")


@pytest.fixture
def stack(tmp_path: Path, redis_url: str) -> Iterator[tuple[Process, Process]]:
    sandbox = sandbox_process(tmp_path, KEY, SECRET, "--transfer-delay", "1")
    sandbox.start("/v1/clock", auth=(KEY, SECRET))
    env = {
        "PORTFOLIO_RT_SECRET": SIGNING_SECRET,
        "PORTFOLIO_RT__REDIS__URL": redis_url,
        "PORTFOLIO_RT__ALPACA__REQUEST_TIMEOUT_S": "2",
    }
    service = service_process(tmp_path, sandbox, KEY, SECRET, env)
    service.start("/health")
    try:
        yield sandbox, service
    finally:
        service.stop()
        sandbox.stop()


def sandbox_transfers(sandbox: Process) -> list[dict[str, object]]:
    response = requests.get(
        f"{sandbox.url}/v1/accounts/{MAYA}/transfers", auth=(KEY, SECRET), timeout=5
    )
    response.raise_for_status()
    return list(response.json())


def test_deposit_survives_a_kill_mid_request(stack: tuple[Process, Process]) -> None:
    sandbox, service = stack
    token, _ = TokenService(AuthSettings(), SIGNING_SECRET).mint(
        account_id=MAYA, subject="kill-test", scopes=ALL_SCOPES, ttl_s=600
    )
    headers = {"Authorization": f"Bearer {token}"}
    bank = requests.post(
        f"{service.url}/api/funds/bank-accounts", json=BANK, headers=headers, timeout=10
    ).json()
    before = len(sandbox_transfers(sandbox))

    # Alpaca will take 1.5 s to answer this deposit; the service dies meanwhile.
    requests.post(
        f"{sandbox.url}/sandbox/faults",
        json={"route": "/v1/accounts/*/transfers", "method": "POST", "kind": "latency",
              "latency_ms": 1500, "count": 1},
        auth=(KEY, SECRET),
        timeout=5,
    ).raise_for_status()  # fmt: skip
    keyed = headers | {"Idempotency-Key": "kill-mid-deposit-0001"}
    body = {"amount": "77.00", "relationship_id": bank["id"]}

    def send() -> None:
        with contextlib.suppress(requests.RequestException):  # it dies with the service
            requests.post(f"{service.url}/api/funds/deposits", json=body, headers=keyed, timeout=10)

    sender = threading.Thread(target=send)
    sender.start()
    time.sleep(0.7)  # the request is now waiting on Alpaca
    service.kill()
    sender.join(10)
    time.sleep(1.5)  # Alpaca finishes creating the transfer nobody heard about
    assert len(sandbox_transfers(sandbox)) == before + 1

    service.start("/health")  # same Redis: it remembers the key
    deadline = time.monotonic() + 30
    while True:
        retry = requests.post(
            f"{service.url}/api/funds/deposits", json=body, headers=keyed, timeout=10
        )
        if retry.status_code != 409 or time.monotonic() > deadline:
            break
        time.sleep(float(retry.headers.get("Retry-After", "1")))
    assert retry.status_code == 201, retry.text
    assert len(sandbox_transfers(sandbox)) == before + 1  # found, not sent again
    again = requests.post(f"{service.url}/api/funds/deposits", json=body, headers=keyed, timeout=10)
    assert again.json()["id"] == retry.json()["id"]
    assert len(sandbox_transfers(sandbox)) == before + 1
