"""AlpacaHttp: auth, safe retries with backoff and Retry-After, error mapping, breaker."""

from __future__ import annotations

import pytest
from aioresponses import CallbackResult, aioresponses

from portfolio_rt.broker.http import AlpacaHttp
from portfolio_rt.core.errors import (
    BrokerError,
    BrokerTimeout,
    BrokerUnavailable,
    Forbidden,
    NotFound,
    RateLimited,
    Unprocessable,
)

from .conftest import BROKER, RecordingSleep

CLOCK = f"{BROKER}/v1/clock"


async def test_sends_basic_auth_and_parses_json(http: AlpacaHttp, mocked: aioresponses) -> None:
    seen = {}

    def capture(url, **kwargs):  # type: ignore[no-untyped-def]
        seen["auth"] = kwargs["headers"]["Authorization"]
        return CallbackResult(status=200, payload={"is_open": True})

    mocked.get(CLOCK, callback=capture)
    assert await http.get("broker", "/v1/clock") == {"is_open": True}
    assert seen["auth"] == "Basic S0VZOlNFQ1JFVA=="  # base64("KEY:SECRET")


async def test_get_retries_5xx_then_succeeds(
    http: AlpacaHttp, mocked: aioresponses, sleep: RecordingSleep
) -> None:
    mocked.get(CLOCK, status=502)
    mocked.get(CLOCK, status=503)
    mocked.get(CLOCK, status=200, payload={"ok": 1})
    assert await http.get("broker", "/v1/clock") == {"ok": 1}
    assert http.calls == 3
    assert len(sleep.delays) == 2
    assert all(0 <= d <= 5.0 for d in sleep.delays)


async def test_backoff_is_capped_and_jittered(
    http: AlpacaHttp, mocked: aioresponses, sleep: RecordingSleep
) -> None:
    for _ in range(4):
        mocked.get(CLOCK, status=500)
    with pytest.raises(BrokerError):
        await http.get("broker", "/v1/clock")
    assert http.calls == 4
    ceilings = [0.2, 0.4, 0.8]
    assert all(c / 2 <= d <= c for d, c in zip(sleep.delays, ceilings, strict=True))


async def test_retry_after_is_honoured(
    http: AlpacaHttp, mocked: aioresponses, sleep: RecordingSleep
) -> None:
    mocked.get(CLOCK, status=429, headers={"Retry-After": "2"})
    mocked.get(CLOCK, status=200, payload={})
    await http.get("broker", "/v1/clock")
    assert sleep.delays == [2.0]


async def test_long_retry_after_becomes_429_with_retry_after(
    http: AlpacaHttp, mocked: aioresponses, sleep: RecordingSleep
) -> None:
    mocked.get(CLOCK, status=429, headers={"Retry-After": "30"})
    with pytest.raises(RateLimited) as caught:
        await http.get("broker", "/v1/clock")
    assert caught.value.retry_after == 30.0
    assert http.calls == 1
    assert sleep.delays == []


async def test_post_is_never_retried(
    http: AlpacaHttp, mocked: aioresponses, sleep: RecordingSleep
) -> None:
    url = f"{BROKER}/v1/accounts/a/transfers"
    mocked.post(url, status=503)
    mocked.post(url, status=200, payload={})
    with pytest.raises(BrokerUnavailable):
        await http.post("broker", "/v1/accounts/a/transfers", {"amount": "10"})
    assert http.calls == 1
    assert sleep.delays == []


async def test_post_timeout_is_not_retried(http: AlpacaHttp, mocked: aioresponses) -> None:
    url = f"{BROKER}/v1/accounts/a/transfers"
    mocked.post(url, exception=TimeoutError())
    with pytest.raises(BrokerTimeout):
        await http.post("broker", "/v1/accounts/a/transfers", {"amount": "10"})
    assert http.calls == 1


@pytest.mark.parametrize(
    ("status", "error"),
    [(404, NotFound), (422, Unprocessable), (403, Forbidden), (401, BrokerError)],
)
async def test_client_errors_map_without_retry(
    http: AlpacaHttp, mocked: aioresponses, status: int, error: type[Exception]
) -> None:
    mocked.get(CLOCK, status=status, payload={"code": 40410000, "message": "thing not found"})
    with pytest.raises(error):
        await http.get("broker", "/v1/clock")
    assert http.calls == 1


async def test_upstream_message_is_kept_for_client_errors(
    http: AlpacaHttp, mocked: aioresponses
) -> None:
    mocked.get(CLOCK, status=404, payload={"code": 40410000, "message": "account not found"})
    with pytest.raises(NotFound, match="account not found"):
        await http.get("broker", "/v1/clock")


async def test_malformed_body_is_a_502(http: AlpacaHttp, mocked: aioresponses) -> None:
    mocked.get(CLOCK, status=200, body=b'{"is_open": tr')
    with pytest.raises(BrokerError, match="not valid JSON"):
        await http.get("broker", "/v1/clock")


async def test_connection_errors_retry_then_503(http: AlpacaHttp, mocked: aioresponses) -> None:
    import aiohttp

    for _ in range(4):
        mocked.get(CLOCK, exception=aiohttp.ClientConnectionError("reset"))
    with pytest.raises(BrokerUnavailable):
        await http.get("broker", "/v1/clock")
    assert http.calls == 4


async def test_breaker_opens_and_fails_fast(http: AlpacaHttp, mocked: aioresponses) -> None:
    for _ in range(8):
        mocked.get(CLOCK, status=500)
    with pytest.raises(BrokerError):
        await http.get("broker", "/v1/clock")  # 4 failures
    with pytest.raises(BrokerUnavailable):
        await http.get("broker", "/v1/clock")  # the 5th failure opens the circuit mid-retry
    assert http.calls == 5
    calls = http.calls
    with pytest.raises(BrokerUnavailable) as caught:
        await http.get("broker", "/v1/clock")
    assert http.calls == calls  # failed fast, nothing sent
    assert caught.value.retry_after is not None
    assert caught.value.retry_after >= 1
