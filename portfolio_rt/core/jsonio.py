"""The service's one JSON encoder: orjson, with money (`Decimal`) as plain decimal strings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import orjson


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(data: Any, *, sort_keys: bool = False) -> bytes:
    """Serialise once; `Decimal` becomes a plain decimal string (never exponent notation)."""
    option = orjson.OPT_UTC_Z | (orjson.OPT_SORT_KEYS if sort_keys else 0)
    return orjson.dumps(data, default=_default, option=option)
