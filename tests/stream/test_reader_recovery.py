"""The stream reader against the sandbox stream: drops, 406, 402, and the values keep coming."""

from __future__ import annotations

from typing import Any

from tests.fixtures.live import Live, next_message, settle, until, wait_for


def is_update(m: dict[str, Any]) -> bool:
    return m["type"] == "update"


async def _live_reader(live: Live, family: str = "stocks") -> None:
    feed = live.engine.feed
    assert feed is not None
    await until(lambda: feed.readers[family].state == "live")


async def test_reconnects_after_the_stream_drops_and_values_resume(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    ws = await live.socket(maya)
    await next_message(ws)
    await settle(live, maya, 4)
    reader = live.engine.feed.readers["stocks"]  # type: ignore[union-attr]
    live.sandbox.faults.add({"route": "/v2/iex", "on": "data", "kind": "disconnect", "count": 1})
    live.publish({"VTI": "280.00"})  # this batch kills the connection instead of arriving
    await wait_for(ws, lambda m: m == {"type": "status", "status": "reconnecting"})
    await wait_for(ws, lambda m: m == {"type": "status", "status": "live"})
    assert reader.reconnects >= 1
    await settle(live, maya, 4)
    live.publish({"VTI": "290.00"})
    expected = live.expected_equity(maya)
    await wait_for(ws, lambda m: is_update(m) and m["equity"] == str(expected))
    await ws.close()


async def test_406_backs_off_and_retries_until_the_slot_is_free(live: Live) -> None:
    maya = live.sandbox.personas["maya"]
    ws = await live.socket(maya)
    await next_message(ws)
    await settle(live, maya, 4)
    reader = live.engine.feed.readers["stocks"]  # type: ignore[union-attr]
    faults = live.sandbox.faults
    faults.add({"route": "/v2/iex", "on": "auth", "kind": "error", "code": 406, "count": 2})
    faults.add({"route": "/v2/iex", "on": "data", "kind": "disconnect", "count": 1})
    live.publish({"VTI": "280.00"})
    await until(lambda: reader.last_error == 406)
    await _live_reader(live)
    assert reader.reconnects >= 3
    await settle(live, maya, 4)
    live.publish({"VTI": "295.00"})
    expected = live.expected_equity(maya)
    await wait_for(ws, lambda m: is_update(m) and m["equity"] == str(expected))
    await ws.close()


async def test_402_stops_the_reader_and_ready_reports_auth_failed(live: Live) -> None:
    await _live_reader(live)
    live.sandbox.faults.add({"route": "/v2/iex", "on": "auth", "kind": "error", "code": 402})
    live.sandbox.faults.add({"route": "/v2/iex", "on": "data", "kind": "disconnect", "count": 1})
    live.publish({"VTI": "280.00"})
    reader = live.engine.feed.readers["stocks"]  # type: ignore[union-attr]
    await until(lambda: reader.state == "auth_failed")
    response = await live.client.get("/ready")
    body = await response.json()
    assert response.status == 503
    assert body["checks"]["stream"]["ok"] is False
    assert body["checks"]["stream"]["reason"] == "auth_failed"
    assert not reader.running


async def test_ready_reports_the_stream_live(live: Live) -> None:
    await _live_reader(live)
    body = await (await live.client.get("/ready")).json()
    stream = body["checks"]["stream"]
    assert stream["ok"] is True
    assert stream["role"] == "single"
    assert stream["readers"]["stocks"]["state"] == "live"
