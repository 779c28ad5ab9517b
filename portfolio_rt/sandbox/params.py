"""Parsing of Broker API query strings, path segments and JSON bodies, Alpaca-style.

Every parser raises `ApiError` (an Alpaca error body with its HTTP status) on bad input, so the
routes validate everything before they touch the ledger. The parsers accept what alpaca-py
sends on the wire: Python-`str()`ed booleans (`True`), `isoformat()` datetimes with `+00:00`,
JSON numbers where Alpaca documents decimal strings, comma-joined lists.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

NY = ZoneInfo("America/New_York")

# Alpaca's error codes: 400xxxxx malformed request, 404xxxxx not found, 422xxxxx invalid values.
CODE_MALFORMED = 40010000
CODE_INVALID = 40010001
CODE_NOT_FOUND = 40410000
CODE_UNPROCESSABLE = 42210000


class ApiError(Exception):
    """A request the Broker API refuses: answered as `{"code": code, "message": message}`."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def invalid(message: str) -> ApiError:
    """A well-formed request with an unacceptable value (Alpaca answers 422)."""
    return ApiError(422, CODE_INVALID, message)


def malformed(message: str) -> ApiError:
    """A request that cannot be parsed (Alpaca answers 400)."""
    return ApiError(400, CODE_MALFORMED, message)


def parse_uuid(value: str, name: str) -> UUID:
    """A UUID path or query value; Alpaca answers 400 for a malformed one."""
    try:
        return UUID(value.strip())
    except (ValueError, AttributeError):
        raise malformed(f"{name} is not a valid UUID") from None


_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_datetime(value: str, name: str) -> datetime:
    """An RFC 3339 timestamp (`Z` or an offset; naive means UTC, as alpaca-py assumes)."""
    text = value.strip()
    # A "+" that reached us unencoded was turned into a space by form decoding.
    if len(text) > 19 and text[-6] == " " and text[-3] == ":":
        text = text[:-6] + "+" + text[-5:]
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise invalid(f"{name} is not a valid RFC 3339 timestamp") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_date(value: str, name: str) -> date:
    """A `YYYY-MM-DD` date."""
    text = value.strip()
    if not _DATE_RE.match(text):
        raise invalid(f"{name} must be a date in YYYY-MM-DD format")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise invalid(f"{name} must be a date in YYYY-MM-DD format") from None


def parse_date_or_datetime(value: str, name: str) -> datetime:
    """`YYYY-MM-DD` (taken as 00:00 New York time of that date) or an RFC 3339 timestamp."""
    if _DATE_RE.match(value.strip()):
        return datetime.combine(parse_date(value, name), time(0), tzinfo=NY).astimezone(UTC)
    return parse_datetime(value, name)


def parse_bool(value: str, name: str) -> bool:
    """`true`/`false` in any case (alpaca-py sends `True`/`False`), also `1`/`0`."""
    text = value.strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise invalid(f"{name} must be true or false")


def parse_int(
    value: str, name: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    """A base-10 integer within bounds."""
    text = value.strip()
    if not re.fullmatch(r"[+-]?\d{1,12}", text):
        raise invalid(f"{name} must be an integer")
    number = int(text)
    if minimum is not None and number < minimum:
        raise invalid(f"{name} must be at least {minimum}")
    if maximum is not None and number > maximum:
        raise invalid(f"{name} must be at most {maximum}")
    return number


def parse_choice(value: str, name: str, choices: Iterable[str], *, fold: bool = True) -> str:
    """One of `choices`; compared case-insensitively when `fold`, answered in its listed case."""
    text = value.strip()
    for choice in choices:
        if text == choice or (fold and text.lower() == choice.lower()):
            return choice
    raise invalid(f"{name} must be one of {', '.join(choices)}")


def parse_csv(value: str) -> list[str]:
    """A comma-joined list, blanks dropped."""
    return [part.strip() for part in value.split(",") if part.strip()]


def to_decimal(value: object, name: str) -> Decimal:
    """A JSON number (parsed as Decimal) or a decimal string; finite only."""
    if isinstance(value, bool) or value is None:
        raise invalid(f"{name} must be a number")
    if isinstance(value, Decimal | int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        if not re.fullmatch(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*", value):
            raise invalid(f"{name} must be a decimal number")
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise invalid(f"{name} must be a decimal number") from None
    else:
        raise invalid(f"{name} must be a number")
    if not number.is_finite():
        raise invalid(f"{name} must be a finite number")
    return number


def optional_str(body: Mapping[str, Any], name: str, *, max_length: int = 256) -> str | None:
    """An optional string field; `null` and `""` mean absent."""
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise invalid(f"{name} must be a string")
    if len(value) > max_length:
        raise invalid(f"{name} must be at most {max_length} characters")
    return value


def required_str(body: Mapping[str, Any], name: str, *, max_length: int = 256) -> str:
    """A string field that must be present and non-empty."""
    value = optional_str(body, name, max_length=max_length)
    if value is None or not value.strip():
        raise invalid(f"{name} is required")
    return value


def parse_json_object(raw: bytes) -> dict[str, Any]:
    """A request body that must be a JSON object; numbers become `Decimal`, never floats."""
    try:
        parsed = json.loads(raw.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError):
        raise malformed("request body is not valid JSON") from None
    if not isinstance(parsed, dict):
        raise malformed("request body must be a JSON object")
    return parsed
