"""A position's live figures equal the broker's Decimal arithmetic to the cent, including on
the half cents where a float product may fall on either side."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import orjson
import pytest

from portfolio_rt.core.money import money
from portfolio_rt.live import messages
from portfolio_rt.live.connection import LATEST, LiveConnection
from portfolio_rt.live.position_figures import (
    PositionBasis,
    RowWriter,
    cent_text,
    decimal_text,
)

WRITER = RowWriter()
"""One writer for every test: its remembered texts must never leak into another figure."""


def position_row(
    symbol: str, qty: float, price: float, basis: PositionBasis | None, total_cents: int
) -> dict[str, Any]:
    cents = WRITER.value_cents(symbol, qty, price)
    row: dict[str, Any] = orjson.loads(WRITER.row(symbol, qty, price, basis, cents, total_cents))
    return row


def exact(qty: str, price: str) -> str:
    return str(money(Decimal(qty) * Decimal(price)))


@pytest.mark.parametrize(
    ("qty", "price"),
    [
        ("3", "0.335"),  # exactly 1.005: half-even keeps 1.00, the float product is above
        ("1", "1.005"),
        ("7", "0.215"),  # 1.505 -> 1.50
        ("0.5", "2.01"),  # 1.005
        ("2.5", "0.003"),  # 0.0075 -> 0.01
        ("12.345678901", "187.23"),
        ("0.000123", "97123.45"),
    ],
)
def test_market_value_rounds_as_decimal_does_at_half_cents(qty: str, price: str) -> None:
    row = position_row("X", float(qty), float(price), None, 1)
    assert row["market_value"] == exact(qty, price)


def test_every_figure_equals_the_decimal_one_over_many_random_positions() -> None:
    rng = random.Random(20261207)
    for _ in range(20_000):
        qty = f"{rng.uniform(0.0001, 500):.{rng.choice((0, 2, 6, 9))}f}"
        price = f"{rng.uniform(0.5, 2_000):.{rng.choice((2, 3, 4))}f}"
        if Decimal(qty) == 0:
            continue
        cost = money(Decimal(qty) * Decimal(f"{rng.uniform(0.5, 2_000):.2f}"))
        start = money(Decimal(qty) * Decimal(f"{rng.uniform(0.5, 2_000):.2f}"))
        row = position_row("X", float(qty), float(price), PositionBasis.of(cost, start), 1)
        value = Decimal(qty) * Decimal(price)
        assert row["market_value"] == str(money(value)), (qty, price)
        assert row["unrealized_pl"] == str(money(value - cost)).replace("-0.00", "0.00")
        assert row["today_pl"] == str(money(value - start)).replace("-0.00", "0.00")


def test_percentages_and_weight() -> None:
    basis = PositionBasis.of(Decimal("800.00"), Decimal("990.00"))
    row = position_row("VTI", 4.0, 250.0, basis, 400_000)
    assert row == {
        "symbol": "VTI",
        "qty": "4",
        "current_price": "250",
        "market_value": "1000.00",
        "today_pl": "10.00",
        "today_plpc": 1.01,
        "unrealized_pl": "200.00",
        "unrealized_plpc": 25.0,
        "weight_pct": 25.0,
    }
    unknown = position_row("VTI", 4.0, 250.0, None, 0)
    assert unknown["unrealized_pl"] is None
    assert unknown["today_plpc"] is None
    assert unknown["weight_pct"] == 0.0


def test_tiny_prices_are_written_as_plain_decimals() -> None:
    assert decimal_text(0.00001) == "0.00001"
    assert decimal_text(1.5e-08) == "0.000000015"
    assert decimal_text(301.25) == "301.25"
    assert cent_text(0) == "0.00"
    assert cent_text(-1) == "-0.01"
    assert cent_text(-123_457) == "-1234.57"
    assert cent_text(10**14 + 5) == "1000000000000.05"  # past float's exact range


def test_a_positions_message_overtaken_in_the_queue_is_sent_complete_and_latest() -> None:
    conn = LiveConnection(1, "acct", max_pending=4)
    conn.send(b'{"type":"snapshot"}', "snapshot")
    conn.send_positions(messages.positions([], complete=False, total="1.00", as_of="t1"))
    conn.send_update(b'{"type":"update"}')
    conn.send_positions(messages.positions([], complete=False, total="2.00", as_of="t2"))
    kinds = [(kind, data) for kind, data in conn.queue]
    assert [k for k, _ in kinds] == ["snapshot", "positions", "update"]
    assert kinds[1][1] is LATEST  # rendered by `complete_positions` when written
    assert conn.replaced == 1


def test_a_positions_message_is_json_with_its_rows() -> None:
    row = WRITER.row("BTC/USD", 0.5, 0.00001, None, 0, 150)
    body = orjson.loads(messages.positions([row, row], complete=True, total="1.50", as_of="t"))
    assert body["type"] == "positions"
    assert body["complete"] is True
    assert body["positions"][0]["current_price"] == "0.00001"
    assert body["total_market_value"] == "1.50"


def test_positions_go_only_to_subscribed_sockets_and_updates_only_to_value_ones() -> None:
    conn = LiveConnection(1, "acct", max_pending=4)
    conn.topics = {"positions"}
    assert conn.send_update(b'{"type":"update"}') is False
    assert not conn.queue


def test_an_update_and_the_positions_of_the_same_step_go_out_in_one_write() -> None:
    writes: list[tuple[bytes, ...]] = []
    conn = LiveConnection(1, "acct", max_pending=4)
    conn.write_now = lambda *payloads: writes.append(payloads) is None
    rows = messages.positions([], complete=False, total="1.00", as_of="t")
    conn.topics = {"value", "positions"}
    assert conn.send_update(b'{"type":"update"}', rows) is True
    assert writes == [(b'{"type":"update","seq":1}', rows)]
    conn.topics = {"value"}  # a socket that does not follow positions gets the update alone
    assert conn.send_update(b'{"type":"update"}', rows) is True
    assert writes[-1] == (b'{"type":"update","seq":2}',)
    conn.topics = {"positions"}  # and one that follows positions alone, the positions alone
    assert conn.send_update(b'{"type":"update"}', rows) is True
    assert writes[-1] == (rows,)
