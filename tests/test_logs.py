"""Logging: JSON lines with the request id; secrets redacted at any depth."""

from __future__ import annotations

import io

import orjson
import structlog

from portfolio_rt.config import LogSettings
from portfolio_rt.ops.logs import REDACTED, configure_logging


def test_json_lines_redact_secrets() -> None:
    out = io.StringIO()
    configure_logging(LogSettings(format="json", level="info"), stream=out)
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


def test_level_filters_debug() -> None:
    out = io.StringIO()
    configure_logging(LogSettings(format="json", level="warning"), stream=out)
    structlog.get_logger("t").info("quiet.event")
    structlog.get_logger("t").warning("loud.event")
    assert "quiet.event" not in out.getvalue()
    assert "loud.event" in out.getvalue()
