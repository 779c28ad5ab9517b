"""Stream wire encoding and subscription state, without sockets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import msgpack
import orjson
import pytest

from portfolio_rt.sandbox.market import Bar
from portfolio_rt.sandbox.stream_codec import (
    Encoder,
    bar_wire,
    decode_client_message,
    encode_element,
    frame,
    frame_chunks,
)
from portfolio_rt.sandbox.stream_subscriptions import (
    SubscriptionError,
    Subscriptions,
    parse_request,
)
from portfolio_rt.sandbox.wire import msgpack_time, rfc3339, unix_ns


@pytest.mark.parametrize("count", [0, 1, 15, 16, 65_535, 65_536])
def test_msgpack_frames_of_any_size_decode_to_the_elements(count: int) -> None:
    encoder = Encoder()
    element = encoder.element({"T": "t", "S": "AAPL", "p": 1.5}, "msgpack")
    decoded = msgpack.unpackb(frame([element] * count, "msgpack"))
    assert len(decoded) == count
    assert not decoded or decoded[-1] == {"T": "t", "S": "AAPL", "p": 1.5}


def test_chunked_json_frame_is_one_array() -> None:
    encoder = Encoder()
    parts = [[encoder.element({"i": i}, "json") for i in range(k, k + 3)] for k in (0, 3)]
    assert orjson.loads(frame_chunks(parts, 6, "json")) == [{"i": i} for i in range(6)]


def test_msgpack_datetimes_are_timestamp_ext_with_exact_nanoseconds() -> None:
    t = datetime(2026, 1, 2, 3, 4, 5, 123_456, tzinfo=UTC)
    packed = Encoder().element({"t": t}, "msgpack")
    stamp = msgpack.unpackb(packed)["t"]
    assert isinstance(stamp, msgpack.Timestamp)
    assert stamp.to_unix_nano() == unix_ns(t) == 1_767_323_045_123_456_000
    assert stamp.to_datetime() == t


def test_msgpack_trade_times_carry_their_nanoseconds() -> None:
    t = datetime(2026, 1, 2, 3, 4, 5, 123_456, tzinfo=UTC)
    packed = Encoder().element({"t": msgpack_time(t, 789)}, "msgpack")
    stamp = msgpack.unpackb(packed)["t"]
    assert stamp.to_unix_nano() == unix_ns(t) + 789 == 1_767_323_045_123_456_789
    assert stamp.to_datetime() == t  # microsecond parsers read back the priced instant


def test_json_times_are_alpacas_rfc3339_nano() -> None:
    """Go's RFC3339Nano, as Alpaca writes times: up to nine digits, trailing zeros dropped."""
    t = datetime(2026, 1, 2, 3, 4, 5, 123_456, tzinfo=UTC)
    assert rfc3339(t, 789) == "2026-01-02T03:04:05.123456789Z"
    assert rfc3339(t, 780) == "2026-01-02T03:04:05.12345678Z"
    assert rfc3339(t) == "2026-01-02T03:04:05.123456Z"
    assert rfc3339(t.replace(microsecond=120_000)) == "2026-01-02T03:04:05.12Z"
    assert rfc3339(t.replace(microsecond=0)) == "2026-01-02T03:04:05Z"
    assert rfc3339(t.replace(microsecond=0), 5) == "2026-01-02T03:04:05.000000005Z"
    eastern = t.astimezone(timezone(timedelta(hours=-5)))
    assert rfc3339(eastern, 789) == "2026-01-02T03:04:05.123456789Z"
    encoder = Encoder()
    for element in (encoder.element({"t": msgpack_time(t, 789)}, "json"),
                    encode_element({"t": msgpack_time(t, 789)}, "json")):  # fmt: skip
        assert orjson.loads(element) == {"t": "2026-01-02T03:04:05.123456789Z"}
    # the encoder remembers the second it formatted last: another second is not mixed up
    later = encoder.element({"t": msgpack_time(t + timedelta(seconds=1), 0)}, "json")
    assert orjson.loads(later) == {"t": "2026-01-02T03:04:06.123456Z"}


def test_bars_have_no_fraction_and_crypto_volumes_stay_fractional() -> None:
    minute = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    price = Decimal("100.5")
    bar = Bar(minute, price, price, price, price, Decimal("0.05230000"), 3, price)
    as_json = orjson.loads(Encoder().element(bar_wire("BTC/USD", bar), "json"))
    assert as_json["t"] == "2026-01-02T03:04:00Z"
    assert as_json["v"] == 0.0523
    as_msgpack = msgpack.unpackb(Encoder().element(bar_wire("BTC/USD", bar), "msgpack"))
    assert as_msgpack["v"] == 0.0523
    assert as_msgpack["t"].to_datetime() == minute
    stock = Bar(minute, price, price, price, price, 1200, 8, price)
    assert orjson.loads(Encoder().element(bar_wire("AAPL", stock), "json"))["v"] == 1200


def test_client_messages_may_be_json_text_msgpack_or_json_bytes() -> None:
    action = {"action": "auth", "key": "k", "secret": "s"}
    assert decode_client_message(orjson.dumps(action).decode()) == action
    assert decode_client_message(msgpack.packb(action)) == action
    assert decode_client_message(orjson.dumps(action)) == action
    with pytest.raises(ValueError, match="unreadable"):
        decode_client_message(b"\xc1garbage")


def test_subscriptions_are_unions_and_differences_in_order() -> None:
    subs = Subscriptions("stocks")
    added = subs.apply("subscribe", {"trades": ["B", "A"], "quotes": ["A"]}, limit=10)
    assert added == {"trades": ["B", "A"], "quotes": ["A"]}
    assert subs.apply("subscribe", {"trades": ["A", "C"]}, limit=10) == {"trades": ["C"]}
    subs.apply("unsubscribe", {"trades": ["B", "ZZZ"]}, limit=10)
    confirmation = subs.confirmation()
    assert confirmation["trades"] == ["A", "C"]
    assert confirmation["corrections"] == confirmation["cancelErrors"] == ["A", "C"]
    assert subs.wants("trades", "C")
    assert not subs.wants("trades", "B")
    assert not subs.wants("bars", "A")


def test_symbol_limit_counts_distinct_symbols_and_leaves_state_alone() -> None:
    subs = Subscriptions("crypto")
    subs.apply("subscribe", {"trades": ["BTC/USD"], "quotes": ["BTC/USD", "ETH/USD"]}, limit=2)
    with pytest.raises(SubscriptionError) as error:
        subs.apply("subscribe", {"bars": ["SOL/USD"]}, limit=2)
    assert error.value.code == 405
    assert subs.confirmation()["bars"] == []


def test_wildcard_matches_every_symbol() -> None:
    subs = Subscriptions("stocks")
    subs.apply("subscribe", {"quotes": ["*"]}, limit=10)
    assert subs.wildcard("quotes")
    assert subs.wants("quotes", "ANYTHING")


@pytest.mark.parametrize(
    ("family", "message", "code"),
    [
        ("stocks", {"trades": "AAPL"}, 400),
        ("stocks", {"trades": [1]}, 400),
        ("stocks", {"news": ["*"]}, 400),
        ("stocks", {"orderbooks": ["AAPL"]}, 410),
        ("crypto", {"lulds": ["BTC/USD"]}, 410),
    ],
)
def test_bad_requests_are_refused_with_alpaca_codes(
    family: str, message: dict[str, object], code: int
) -> None:
    with pytest.raises(SubscriptionError) as error:
        parse_request(family, {"action": "subscribe", **message})  # type: ignore[arg-type]
    assert error.value.code == code
