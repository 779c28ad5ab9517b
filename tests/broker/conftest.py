"""Gateway unit-test fixtures: a real ClientSession whose traffic aioresponses intercepts."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from aioresponses import aioresponses

from portfolio_rt.broker.circuit import CircuitBreaker
from portfolio_rt.broker.endpoints import AlpacaEndpoints
from portfolio_rt.broker.http import AlpacaHttp
from portfolio_rt.broker.retry import RetryPolicy

BROKER = "https://broker.test"
DATA = "https://data.test"


class RecordingSleep:
    """Stands in for asyncio.sleep: records the delays instead of waiting them out."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
def mocked() -> Iterator[aioresponses]:
    with aioresponses(passthrough=["http://127.0.0.1"]) as m:
        yield m


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def endpoints() -> AlpacaEndpoints:
    return AlpacaEndpoints(
        broker_url=BROKER,
        data_url=DATA,
        stream_url="wss://stream.test/v2/iex",
        crypto_stream_url="wss://stream.test/v1beta3/crypto/us",
        api_key="KEY",
        secret_key="SECRET",
    )


@pytest.fixture
def http(
    session: aiohttp.ClientSession, endpoints: AlpacaEndpoints, sleep: RecordingSleep
) -> AlpacaHttp:
    return AlpacaHttp(
        session,
        endpoints,
        timeout_s=2.0,
        retry=RetryPolicy(attempts=3, base_delay_s=0.2, max_delay_s=5.0),
        breaker=CircuitBreaker(threshold=5, reset_s=10.0),
        sleep=sleep,
        rng=random.Random(1),
    )
