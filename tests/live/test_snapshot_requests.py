"""A snapshot the client asks for: a fresh one, or, when it cannot be built, an error message
on the socket, which stays open (the upgraded connection can carry nothing else)."""

from __future__ import annotations

import pytest

from portfolio_rt.core.errors import BrokerUnavailable
from portfolio_rt.live.connection import LiveConnection
from tests.fixtures.live import Live, next_message, wait_for
from tests.fixtures.logs import CapturedLogs


async def test_a_snapshot_that_cannot_be_built_is_an_error_message_and_the_socket_lives(
    live: Live, monkeypatch: pytest.MonkeyPatch, captured_logs: CapturedLogs
) -> None:
    maya = live.sandbox.personas["maya"]
    ws = await live.socket(maya)
    assert (await next_message(ws))["type"] == "snapshot"

    engine = live.engine
    real = engine.snapshot
    failing = True

    async def snapshot(conn: LiveConnection) -> bytes:
        if failing:
            raise BrokerUnavailable("Alpaca is unavailable right now.", retry_after=1)
        return await real(conn)

    monkeypatch.setattr(engine, "snapshot", snapshot)
    answered = ("snapshot", "error")
    await ws.send_json({"type": "snapshot"})
    error = await wait_for(ws, lambda m: m["type"] in answered)
    assert error == {
        "type": "error",
        "code": "broker_unavailable",
        "message": "Alpaca is unavailable right now.",
    }
    failing = False
    await ws.send_json({"type": "snapshot"})
    assert (await wait_for(ws, lambda m: m["type"] in answered))["type"] == "snapshot"
    await ws.close()
    events = [line["event"] for line in captured_logs.lines()]
    assert "live.snapshot_failed" in events
    assert "http.unhandled_error" not in events
