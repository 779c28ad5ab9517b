"""The hub's guarantees: bounded per-client queues, latest value only, seq, clean shutdown."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import WSMsgType

from portfolio_rt.live import messages
from portfolio_rt.live.connection import LiveConnection
from portfolio_rt.live.frames import text_frame
from portfolio_rt.ops.metrics import METRICS
from tests.fixtures.live import Live, next_message, settle, until, wait_for


def test_an_update_replaces_one_still_queued() -> None:
    conn = LiveConnection(1, "acct", max_pending=4)
    conn.send(b'{"type":"snapshot"}')
    conn.send_update(b'{"type":"update","equity":"1.00"}')
    conn.send_update(b'{"type":"update","equity":"2.00"}')
    conn.send_update(b'{"type":"update","equity":"3.00"}')
    assert len(conn.queue) == 2
    assert conn.queue[-1][1] == b'{"type":"update","equity":"3.00","seq":3}'
    assert conn.replaced == 2
    assert not conn.overflowed


def test_too_many_other_messages_mark_the_client_overflowed() -> None:
    conn = LiveConnection(1, "acct", max_pending=2)
    for _ in range(3):
        conn.send(messages.status("live"))
    assert conn.overflowed
    assert len(conn.queue) == 2


def test_nothing_goes_out_before_the_snapshot() -> None:
    conn = LiveConnection(1, "acct", max_pending=4)
    conn.ready = False
    conn.send_update(b'{"type":"update"}')
    conn.send(messages.status("live"))
    assert not conn.queue
    assert conn.seq == 0


def test_seq_is_spliced_into_the_serialised_update() -> None:
    assert messages.with_seq(b'{"a":1}', 7) == b'{"a":1,"seq":7}'


async def test_an_overflowing_client_is_closed_and_the_others_keep_their_values(
    live: Live,
) -> None:
    maya, jordan = live.sandbox.personas["maya"], live.sandbox.personas["jordan"]
    slow, other = await live.socket(maya), await live.socket(jordan)
    await next_message(slow)
    await next_message(other)
    await settle(live, jordan, 8)
    (slow_conn,) = live.engine.hub.by_account[str(maya)]
    for _ in range(slow_conn.max_pending + 1):
        slow_conn.send(messages.status("live"))
    while True:
        msg = await slow.receive(timeout=5)
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED):
            break
    assert slow.close_code == 1008
    live.publish({"AAPL": "333.00"})
    expected = str(live.expected_equity(jordan))
    await wait_for(other, lambda m: m["type"] == "update" and m["equity"] == expected)
    await other.close()


async def test_seq_increases_per_connection(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    ws = await live.socket(maya)
    seqs = [(await next_message(ws))["seq"]]
    await settle(live, maya, 4)
    for price in ("301.00", "302.00", "303.00"):
        live.publish({"VTI": price})
        expected = str(live.expected_equity(maya))
        update = await wait_for(
            ws, lambda m, e=expected: m["type"] == "update" and m["equity"] == e
        )
        seqs.append(update["seq"])
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == len(seqs)
    await ws.close()


async def test_shutdown_closes_sockets_with_going_away(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    ws = await live.socket(maya)
    await next_message(ws)
    closing = asyncio.create_task(live.client.server.close())
    while True:
        msg = await ws.receive(timeout=10)
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED):
            break
    assert ws.close_code == 1001
    await closing


async def test_a_writer_that_fails_drops_its_socket_rather_than_leave_it_mute(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    maya = live.sandbox.personas["maya"]
    ws = await live.socket(maya)
    await next_message(ws)
    await settle(live, maya, 4)

    def broken(*_args: object) -> None:
        raise ValueError("metrics backend broke")

    monkeypatch.setattr(live.client.app[METRICS], "ws_pushed", broken)
    await ws.send_str('{"type":"snapshot"}')  # goes through the socket's writer task
    while True:
        msg = await ws.receive(timeout=5)
        if msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR):
            break
    await until(lambda: str(maya) not in live.engine.hub.by_account)


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 70000])
def test_a_text_frame_is_rfc_6455_framed(size: int) -> None:
    payload = b"x" * size
    frame = text_frame(payload)
    assert frame[0] == 0x81  # FIN, text, no RSV bits
    assert not frame[1] & 0x80  # a server never masks
    short = frame[1] & 0x7F
    if size < 126:
        assert (short, frame[2:]) == (size, payload)
    elif size < 65536:
        assert (short, int.from_bytes(frame[2:4], "big"), frame[4:]) == (126, size, payload)
    else:
        assert (short, int.from_bytes(frame[2:10], "big"), frame[10:]) == (127, size, payload)


def test_an_update_to_an_idle_socket_skips_the_queue() -> None:
    conn = LiveConnection(1, "acct", max_pending=4)
    written: list[bytes] = []
    conn.write_now = lambda data: written.append(data) is None
    assert conn.send_update(b'{"type":"update"}')
    assert written == [b'{"type":"update","seq":1}']
    assert not conn.queue


def test_an_update_waits_its_turn_behind_queued_messages_or_a_busy_write() -> None:
    conn = LiveConnection(1, "acct", max_pending=4)
    written: list[bytes] = []
    conn.write_now = lambda data: written.append(data) is None
    conn.send(b'{"type":"snapshot"}', "snapshot")
    assert not conn.send_update(b'{"type":"update"}')  # never overtakes the snapshot
    conn.queue.clear()
    conn.sending_since = 5.0
    assert not conn.send_update(b'{"type":"update"}')  # nor a write in progress
    conn.sending_since = 0.0
    conn.queue.clear()
    conn.write_now = lambda data: False  # the transport has bytes buffered
    assert not conn.send_update(b'{"type":"update"}')
    assert [kind for kind, _ in conn.queue] == ["update"]
    assert written == []
