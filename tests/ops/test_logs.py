"""Logging: JSON lines with the request id; secrets redacted at any depth."""

from __future__ import annotations

from collections.abc import Callable

import orjson
import structlog

from portfolio_rt.ops.logs import REDACTED
from tests.fixtures.logs import CapturedLogs

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
