"""Logging: JSON lines with the request id; secrets redacted at any depth."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import orjson
import structlog

from portfolio_rt.app import create_app
from portfolio_rt.ops.logs import REDACTED
from tests.fixtures.logs import CapturedLogs
from tests.fixtures.settings import alpaca_settings

Capture = Callable[[str], CapturedLogs]


def test_json_lines_redact_secrets(log_capture: Capture) -> None:
    out = log_capture("info")
    structlog.get_logger("t").info(
        "thing.happened",
        password="hunter2",
        headers={"Authorization": "Basic abc", "Accept": "*/*"},
        amount="10.00",
    )
    line = orjson.loads(out.getvalue().strip().splitlines()[-1])
    assert line["event"] == "thing.happened"
    assert line["password"] == REDACTED
    assert line["headers"]["Authorization"] == REDACTED
    assert line["headers"]["Accept"] == "*/*"
    assert line["amount"] == "10.00"
    assert "hunter2" not in out.getvalue()


def test_level_filters_debug(log_capture: Capture) -> None:
    out = log_capture("warning")
    structlog.get_logger("t").info("quiet.event")
    structlog.get_logger("t").warning("loud.event")
    assert "quiet.event" not in out.getvalue()
    assert "loud.event" in out.getvalue()


MALFORMED = [
    b"GET /\x00\x1b[31mPWNED\x1b[0m HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"G\x00T / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Evil: PWNED\x00\x7f\r\n\r\n",
    b"GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n",
    b"POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\nPWNED",
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"ZZ\r\nPWNED\r\n0\r\n\r\n",
]


async def test_malformed_requests_log_one_json_line_each_without_their_bytes(
    aiohttp_server, log_capture: Capture
) -> None:  # type: ignore[no-untyped-def]
    """The finding: a malformed request wrote a 73-line traceback, not JSON, that echoed the
    attacker's bytes. Every line is JSON now, naming the exception's type only."""
    out = log_capture("info")
    server = await aiohttp_server(create_app(alpaca_settings()))
    for raw in MALFORMED:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(raw)
        await writer.drain()
        with contextlib.suppress(ConnectionError, TimeoutError):
            await asyncio.wait_for(reader.read(4096), 5)
        writer.close()
    await asyncio.sleep(0.1)
    text = out.getvalue()
    lines = text.splitlines()
    assert lines
    for line in lines:
        record = orjson.loads(line)  # every line is one JSON object
        assert isinstance(record, dict)
    assert "PWNED" not in text
    assert "Traceback" not in text
    errors = [r for r in map(orjson.loads, lines) if r.get("logger", "").startswith("aiohttp")]
    assert all("error" in r for r in errors if r["level"] in ("error", "warning")), errors


def test_a_libraries_exception_is_its_type_and_place_not_a_traceback(
    log_capture: Capture,
) -> None:
    out = log_capture("info")
    try:
        raise ValueError("secret request bytes")
    except ValueError:
        logging.getLogger("somelib").exception("it broke")
        structlog.get_logger("t").exception("ours.broke")
    first, second = (orjson.loads(line) for line in out.getvalue().splitlines())
    assert first["logger"] == "somelib"
    assert first["event"] == "it broke"
    assert first["error"] == "ValueError"
    assert "test_logs.py" in first["at"]
    assert second["event"] == "ours.broke"
    assert second["error"] == "ValueError"
    assert "secret request bytes" not in out.getvalue()
