"""Stream wire encoding and subscription state, without sockets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import msgpack
import orjson
import pytest

from portfolio_rt.sandbox.stream_codec import (
    Encoder,
    decode_client_message,
    frame,
    frame_chunks,
    rfc3339_ns,
    unix_ns,
)
from portfolio_rt.sandbox.stream_subscriptions import (
    SubscriptionError,
    Subscriptions,
    parse_request,
)


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


def test_json_times_are_rfc3339_utc_with_nine_digits() -> None:
    t = datetime(2026, 1, 2, 3, 4, 5, 123_456, tzinfo=UTC)
    assert rfc3339_ns(t) == "2026-01-02T03:04:05.123456000Z"
    assert rfc3339_ns(t.replace(microsecond=0)) == "2026-01-02T03:04:05.000000000Z"
    eastern = t.astimezone(timezone(timedelta(hours=-5)))
    assert rfc3339_ns(eastern) == "2026-01-02T03:04:05.123456000Z"


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
