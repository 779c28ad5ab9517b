"""The pieces on their own: price map, holdings index, messages, the slow-client sweep."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import orjson
import pytest

from portfolio_rt.core.money import TodayBasis, today_return
from portfolio_rt.live import messages
from portfolio_rt.live.connection import LiveConnection
from portfolio_rt.live.holdings import HoldingsIndex
from portfolio_rt.live.hub import LiveHub
from portfolio_rt.live.messages import as_of_text
from portfolio_rt.live.prices import PriceMap


def test_a_trade_sets_the_price_and_marks_the_symbol_dirty() -> None:
    prices = PriceMap()
    prices.apply([{"T": "t", "S": "AAPL", "p": 190.5}, {"T": "b", "S": "MSFT"}])
    assert prices.price("AAPL") == 190.5
    assert prices.drain_dirty() == {"AAPL"}
    assert prices.drain_dirty() == set()


def test_the_quote_midpoint_counts_only_until_the_first_trade() -> None:
    prices = PriceMap()
    prices.apply([{"T": "q", "S": "AAPL", "bp": 100.0, "ap": 102.0}])
    assert prices.price("AAPL") == 101.0
    prices.apply([{"T": "t", "S": "AAPL", "p": 100.5}])
    prices.apply([{"T": "q", "S": "AAPL", "bp": 90.0, "ap": 92.0}])
    assert prices.price("AAPL") == 100.5


def test_a_one_sided_quote_is_never_a_price() -> None:
    prices = PriceMap()
    prices.apply([{"T": "q", "S": "AAPL", "bp": 0.0, "ap": 102.0}])
    assert prices.price("AAPL") is None
    assert not prices.dirty


def test_unpublished_prices_are_batched_for_the_bus() -> None:
    prices = PriceMap()
    prices.track_unpublished(True)
    prices.apply([{"T": "t", "S": "A", "p": 1.0}, {"T": "t", "S": "A", "p": 2.0}])
    prices.update({"B": 3.0})
    assert prices.take_unpublished() == {"A": 2.0, "B": 3.0}
    assert prices.take_unpublished() == {}


async def test_the_index_knows_holders_and_follows_one_accounts_trade() -> None:
    index = HoldingsIndex()
    changed = await index.replace_all({"a": {"SPY": 1.0, "AAPL": 2.0}, "b": {"SPY": 3.0}})
    assert changed == {"a", "b"}
    assert index.holders["SPY"] == {"a": 1.0, "b": 3.0}
    assert index.set_account("b", {"MSFT": 1.0})
    assert index.holders["SPY"] == {"a": 1.0}
    assert index.symbols() == {"SPY", "AAPL", "MSFT"}
    assert not index.set_account("b", {"MSFT": 1.0})


async def test_a_collection_keeps_watched_accounts_fresher_positions() -> None:
    index = HoldingsIndex()
    await index.replace_all({"a": {"SPY": 1.0}})
    index.set_account("a", {"SPY": 1.0, "AAPL": 5.0})  # its own refresh saw a fill
    changed = await index.replace_all({"a": {"SPY": 1.0}, "b": {"QQQ": 1.0}}, keep=lambda: ["a"])
    assert "a" in changed
    assert index.positions("a") == {"SPY": 1.0, "AAPL": 5.0}
    assert index.holders["AAPL"] == {"a": 5.0}


async def test_a_large_collection_gives_the_loop_back_and_keeps_a_refresh_made_meanwhile() -> None:
    index = HoldingsIndex()
    await index.replace_all({"w": {"SPY": 1.0}})
    collection = {f"acct-{i}": {"SPY": 1.0, f"S{i % 7}": 2.0} for i in range(100)}
    collection["w"] = {"SPY": 1.0, "TSLA": 3.0}  # the bulk answer, older than the refresh
    turns = 0

    async def meanwhile() -> None:
        nonlocal turns
        while True:
            turns += 1
            if turns == 3:  # the watched account trades while the collection is built
                index.set_account("w", {"SPY": 1.0, "NVDA": 4.0})
            await asyncio.sleep(0)

    other = asyncio.create_task(meanwhile())
    await asyncio.sleep(0)
    changed = await index.replace_all(collection, keep=lambda: ["w"], chunk=10)
    other.cancel()
    assert turns >= 5  # the loop ran other work between chunks
    assert index.positions("w") == {"SPY": 1.0, "NVDA": 4.0}
    assert "TSLA" not in index.holders
    assert index.holders["NVDA"] == {"w": 4.0}
    assert len(index.holders["SPY"]) == 101
    assert "w" in changed


def test_the_update_template_is_the_json_the_api_would_write() -> None:
    now = datetime(2026, 1, 2, 15, 30, 1, 250000, tzinfo=UTC)
    gain = today_return(Decimal("10250.50"), Decimal("10000.00"), Decimal("100"))
    body = orjson.loads(messages.update_body(Decimal("10250.50"), gain, as_of_text(now)))
    assert body == {
        "type": "update",
        "equity": "10250.50",
        "today_return": {"amount": "150.50", "pct": 1.49},
        "as_of": "2026-01-02T15:30:01.250000Z",
    }
    nothing = today_return(Decimal("0.00"), Decimal(0), Decimal(0))
    body = orjson.loads(messages.update_body(Decimal("0.00"), nothing, as_of_text(now)))
    assert body["today_return"] == {"amount": "0.00", "pct": None}


@pytest.mark.parametrize(
    ("equity", "last_equity", "flows", "amount", "pct"),
    [
        ("10250.50", "10000.00", "100", "150.50", 1.49),  # a deposit is not a gain
        ("99.99", "120.00", "-30.00", "9.99", 8.32),  # a withdrawal is no loss; 8.325 → even
        ("0.00", "0", "0", "0.00", None),  # nothing at stake: no percentage
    ],
)
def test_the_folded_basis_prices_todays_return(
    equity: str, last_equity: str, flows: str, amount: str, pct: float | None
) -> None:
    basis = TodayBasis.of(Decimal(last_equity), Decimal(flows))
    gain = basis.gain(Decimal(equity))
    assert (str(gain.amount), gain.pct) == (amount, pct)


def test_a_client_whose_write_is_stuck_is_dropped_by_the_sweep() -> None:
    hub = LiveHub()
    stuck, fine = LiveConnection(1, "a", 4), LiveConnection(2, "b", 4)
    aborted: list[int] = []
    stuck.abort = lambda: aborted.append(1)
    fine.abort = lambda: aborted.append(2)
    hub.add(stuck, None)  # type: ignore[arg-type]
    hub.add(fine, None)  # type: ignore[arg-type]
    stuck.sending_since = 100.0
    fine.sending_since = 119.5
    assert hub.sweep(now=120.0, send_timeout_s=10.0) == 1
    assert aborted == [1]
    assert stuck.closed
    assert not fine.closed
