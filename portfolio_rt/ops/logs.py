"""Structured logging: JSON lines in production, readable lines in a terminal, never a secret.

In JSON mode every line is one JSON object, libraries' log records (aiohttp's, asyncio's)
included, and an exception is logged as its type and where it was raised, never as a
traceback: tracebacks run over many lines and can echo what a client sent (a malformed
request's bytes). A terminal still gets readable tracebacks.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

import orjson
import structlog

from ..config import LogSettings
from ..core.errors import raised_at

SENSITIVE_KEYS = frozenset(
    {
        "authorization",
        "password",
        "secret",
        "secret_key",
        "api_key",
        "token",
        "cookie",
        "set-cookie",
        "bank_account_number",
        "account_number_full",
    }
)
REDACTED = "[redacted]"


def redact_secrets(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Replace the value of every key that names a secret, at any depth of dicts."""
    return {key: _redact(key, value) for key, value in event.items()}


def _redact(key: str, value: Any) -> Any:
    if key.lower() in SENSITIVE_KEYS:
        return REDACTED
    if isinstance(value, Mapping):
        return {k: _redact(str(k), v) for k, v in value.items()}
    return value


_MAX_FOREIGN_EVENT = 200
"""A library's message is cut to this many characters (it may quote request bytes)."""


def summarise_exception(
    _: Any, __: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """`exc_info` → `error` (the exception's type) and `at` (where it was raised)."""
    exc_info = event.pop("exc_info", None)
    if not exc_info:
        return event
    if isinstance(exc_info, BaseException):
        exc: BaseException | None = exc_info
    elif isinstance(exc_info, tuple):
        exc = exc_info[1]
    else:
        exc = sys.exc_info()[1]
    if exc is not None:
        event.setdefault("error", type(exc).__name__)
        event.setdefault("at", raised_at(exc))
    return event


def _foreign_event(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A library's record: its logger's name, and its message kept short."""
    record = event.get("_record")
    if record is not None:
        event.setdefault("logger", record.name)
    text = str(event.get("event", ""))
    if len(text) > _MAX_FOREIGN_EVENT:
        event["event"] = text[:_MAX_FOREIGN_EVENT] + "…"
    return event


def _orjson_dumps(obj: Any, default: Any = None) -> str:
    return orjson.dumps(obj, default=default or str).decode()


def configure_logging(settings: LogSettings, stream: Any = None) -> None:
    """Set up structlog and the stdlib root logger that libraries use, once at start-up, so
    that both write the same lines to `stream`."""
    stream = stream or sys.stderr
    use_json = settings.format == "json" or (settings.format == "auto" and not stream.isatty())
    level = getattr(logging, settings.level.upper())
    renderer: Any = (
        structlog.processors.JSONRenderer(serializer=_orjson_dumps)
        if use_json
        else structlog.dev.ConsoleRenderer(colors=stream.isatty())
    )
    exceptions = summarise_exception if use_json else _keep_exc_info
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.StackInfoRenderer(),
            exceptions,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, _foreign_event, exceptions],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(max(level, logging.WARNING))


def _keep_exc_info(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    return event
