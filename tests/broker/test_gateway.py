"""BrokerGateway: Alpaca JSON parsed into alpaca-py models, cached, stale on failure."""

from __future__ import annotations

import re
from decimal import Decimal
from uuid import UUID

import pytest
from aioresponses import aioresponses

from portfolio_rt.broker.gateway import BrokerGateway, HistoryQuery, decimal_of
from portfolio_rt.broker.http import AlpacaHttp
from portfolio_rt.broker.read_cache import ReadCache
from portfolio_rt.config import BrokerSettings
from portfolio_rt.core.errors import BrokerBadResponse, BrokerUnavailable, NotFound

from .conftest import BROKER

ACCOUNT = UUID("2a87c088-ffb6-472b-a4a3-cd9305c8605c")
POSITION = {
    "asset_id": "904837e3-3b76-47ec-b432-046db621571b",
    "symbol": "AAPL",
    "exchange": "NASDAQ",
    "asset_class": "us_equity",
    "qty": "5",
    "qty_available": "5",
    "avg_entry_price": "100.0",
    "side": "long",
    "market_value": "600.0",
    "cost_basis": "500.0",
    "unrealized_pl": "100.0",
    "unrealized_plpc": "0.2",
    "current_price": "120.0",
    "lastday_price": "118.0",
    "change_today": "0.0169",
}
POSITIONS_URL = f"{BROKER}/v1/trading/accounts/{ACCOUNT}/positions"


@pytest.fixture
def gateway(http: AlpacaHttp) -> BrokerGateway:
    settings = BrokerSettings(cache_ttl_s=10, max_stale_s=3600)
    return BrokerGateway(http, ReadCache(max_stale_s=3600), settings)


async def test_positions_parse_into_alpaca_models(
    gateway: BrokerGateway, mocked: aioresponses
) -> None:
    mocked.get(POSITIONS_URL, payload=[POSITION])
    fetched = await gateway.positions(ACCOUNT)
    (position,) = fetched.value
    assert position.symbol == "AAPL"
    assert Decimal(position.market_value) == Decimal("600.0")
    assert not fetched.stale


async def test_second_read_within_ttl_makes_no_upstream_call(
    gateway: BrokerGateway, mocked: aioresponses
) -> None:
    mocked.get(POSITIONS_URL, payload=[POSITION])
    await gateway.positions(ACCOUNT)
    await gateway.positions(ACCOUNT)
    assert gateway.http.calls == 1


async def test_unexpected_shape_is_a_clear_502(
    gateway: BrokerGateway, mocked: aioresponses
) -> None:
    broken = dict(POSITION, qty=5.0)  # Alpaca sends strings; a number means the contract changed
    mocked.get(POSITIONS_URL, payload=[broken])
    with pytest.raises(BrokerBadResponse) as caught:
        await gateway.positions(ACCOUNT)
    assert caught.value.status == 502


async def test_stale_positions_served_when_alpaca_fails(
    gateway: BrokerGateway, mocked: aioresponses
) -> None:
    mocked.get(POSITIONS_URL, payload=[POSITION])
    await gateway.positions(ACCOUNT)
    gateway.invalidate_account(UUID(int=0))  # another account: no effect
    gateway.cache._clock = lambda: 10**9  # type: ignore[method-assign]  # far past the TTL...
    gateway.cache.max_stale_s = 10**10  # ...but within the stale window
    for _ in range(4):
        mocked.get(POSITIONS_URL, status=503)
    fetched = await gateway.positions(ACCOUNT)
    assert fetched.stale
    assert fetched.value[0].symbol == "AAPL"


async def test_no_cached_value_means_the_error(
    gateway: BrokerGateway, mocked: aioresponses
) -> None:
    for _ in range(4):
        mocked.get(POSITIONS_URL, status=503)
    with pytest.raises(BrokerUnavailable):
        await gateway.positions(ACCOUNT)


async def test_history_query_is_sent_as_alpaca_parameters(
    gateway: BrokerGateway, mocked: aioresponses
) -> None:
    url = re.compile(rf"^{BROKER}/v1/trading/accounts/{ACCOUNT}/account/portfolio/history.*")
    body = {
        "timestamp": [1697241600, 1697500800],
        "equity": [2784.79, 2794.79],
        "profit_loss": [0, 10.0],
        "profit_loss_pct": [0, 0.0036],
        "base_value": 2784.79,
        "timeframe": "1D",
    }
    mocked.get(url, payload=body)
    query = HistoryQuery(timeframe="1D", period="1A", pnl_reset="no_reset")
    fetched = await gateway.portfolio_history(ACCOUNT, query)
    assert fetched.value.equity == [2784.79, 2794.79]
    ((_, sent_url),) = mocked.requests.keys()
    assert sent_url.query["period"] == "1A"
    assert sent_url.query["timeframe"] == "1D"
    assert sent_url.query["pnl_reset"] == "no_reset"
    assert sent_url.query["intraday_reporting"] == "market_hours"


async def test_deposit_is_posted_once_and_invalidates_the_account(
    gateway: BrokerGateway, mocked: aioresponses
) -> None:
    mocked.get(POSITIONS_URL, payload=[POSITION])
    mocked.get(POSITIONS_URL, payload=[POSITION])
    await gateway.positions(ACCOUNT)
    transfer = {
        "id": "be3c368a-4c7c-4384-808e-f02c9f5a8afe",
        "relationship_id": "15ef9978-cb1e-4872-9565-bd0a720b8b76",
        "account_id": str(ACCOUNT),
        "type": "ach",
        "status": "QUEUED",
        "amount": "1000.00",
        "direction": "INCOMING",
        "created_at": "2024-01-02T15:00:00Z",
    }
    mocked.post(f"{BROKER}/v1/accounts/{ACCOUNT}/transfers", payload=transfer)
    result = await gateway.create_deposit(
        ACCOUNT, amount=Decimal("1000.00"), relationship_id=UUID(transfer["relationship_id"])
    )
    assert result.amount == "1000.00"
    await gateway.positions(ACCOUNT)
    assert gateway.http.calls == 3  # positions, deposit, positions again after invalidation


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1000.0, "1000.0"), (0.1, "0.1"), ("12.34", "12.34"), (None, None), (123456.78, "123456.78")],
)
def test_decimal_of_round_trips_alpaca_numbers(value: object, expected: str | None) -> None:
    result = decimal_of(value)  # type: ignore[arg-type]
    assert result == (Decimal(expected) if expected is not None else None)


async def test_an_asset_lookup_is_one_path_segment_whatever_it_holds(
    gateway: BrokerGateway, mocked: aioresponses
) -> None:
    """The id goes into the path quoted, and dot segments are refused: nothing climbs out of
    /v1/assets/ to another broker path with the service's credentials."""
    for dots in (".", ".."):
        with pytest.raises(NotFound):
            await gateway.asset(dots)
    assert gateway.http.calls == 0
    mocked.get(f"{BROKER}/v1/assets/BTC%2FUSD", status=404, payload={"message": "not found"})
    with pytest.raises(NotFound):
        await gateway.asset("btc/usd")
    assert [str(url) for _, url in mocked.requests] == [f"{BROKER}/v1/assets/BTC%2FUSD"]
