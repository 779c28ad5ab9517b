"""The JSON API's requests as pydantic models: query parameters and bodies are checked by
them, and the OpenAPI document is derived from them, so the published schema and the checks
accept exactly the same requests (a value the schema allows is never refused, one it forbids
is never taken). Errors are a 400 naming the field."""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from aiohttp import web
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
)

from ..core.banking import aba_checksum_ok
from ..core.errors import BadRequest
from ..core.money import CENT
from ..core.patterns import positive_cents_upto
from ..core.periods import PERIODS
from .request_body import json_object

M = TypeVar("M", bound=BaseModel)

# -- value types -------------------------------------------------------------------------------

_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(?:[Zz]|([+-])([0-9]{2}):([0-9]{2}))"
)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _instant(value: Any) -> datetime:
    """An RFC 3339 time (with its offset) or a date (its midnight, UTC); nothing looser.
    A leap second (:60) is the last microsecond of its minute; finer fractions are cut."""
    if not isinstance(value, str):
        raise ValueError("must be text")
    try:
        if m := _RFC3339.fullmatch(value):
            y, mo, d, h, mi, sec = (int(g) for g in m.groups()[:6])
            micro = int((m[7] or "0")[:6].ljust(6, "0"))
            if sec == 60:
                sec, micro = 59, 999_999
            offset = timedelta(hours=int(m[9] or 0), minutes=int(m[10] or 0))
            if offset >= timedelta(hours=24) or int(m[10] or 0) > 59:
                raise ValueError("offset")
            zone = timezone(-offset if m[8] == "-" else offset)
            return datetime(y, mo, d, h, mi, sec, micro, tzinfo=zone)
        if _DATE.fullmatch(value):
            return datetime.combine(date.fromisoformat(value), datetime.min.time(), UTC)
    except ValueError:
        pass
    raise ValueError("must be an RFC 3339 time (2026-01-31T15:04:05Z) or a date (2026-01-31)")


Instant = Annotated[
    datetime,
    BeforeValidator(_instant),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date-time"},
                {"type": "string", "format": "date"},
            ],
            "description": "An RFC 3339 time, or a date (its start, UTC).",
        }
    ),
]

UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


def _uuid(value: Any) -> UUID:
    if not isinstance(value, str) or not re.fullmatch(UUID_PATTERN, value):
        raise ValueError("must be an id (a UUID such as 3f2b…-…)")
    return UUID(value)


UuidText = Annotated[
    UUID,
    BeforeValidator(_uuid),
    WithJsonSchema({"type": "string", "format": "uuid"}),
]

_INTEGER = re.compile(r"-?[0-9]{1,18}")


def _query_int(value: Any) -> Any:
    """A query string's whole number as written: digits, with a minus sign at most (no
    "+5", " 5", "5.0" or "5_000", which a lax int() would take)."""
    if isinstance(value, str):
        if not _INTEGER.fullmatch(value):
            raise ValueError("must be a whole number")
        return int(value)
    return value


def _whole_number(value: Any) -> Any:
    """A JSON number that is whole (4641 or 4641.0, as JSON Schema counts integers); never
    a boolean or text (those are other arms of the schema, or wrong)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a whole number")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("must be a whole number")
        return int(value)
    return value


# Bounds go on `int` ahead of the validator: pydantic writes them into the schema then.

PERIOD_PATTERN = (
    "^(?:"
    + "|".join(
        "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in p) for p in PERIODS
    )
    + ")$"
)
Period = Annotated[
    str,
    Field(pattern=PERIOD_PATTERN, description=f"One of {', '.join(PERIODS)} (any case)."),
    AfterValidator(str.upper),
]


def _cursor(kind: str) -> Any:
    """A page cursor of `kind`: base64url text this API wrote. Which strings are cursors is
    no regular language, so the schema names a format (`{kind}-cursor`) for it."""
    return WithJsonSchema(
        {
            "type": "string",
            "format": f"{kind}-cursor",
            "description": "Opaque: the `next_cursor` of the previous page.",
        }
    )


_CURSOR_TEXT = Field(pattern=r"^[A-Za-z0-9_-]{1,4096}$")
OrdersCursor = Annotated[str, _CURSOR_TEXT, _cursor("orders")]
ActivitiesCursor = Annotated[str, _CURSOR_TEXT, _cursor("activities")]

SYMBOL = r"[A-Za-z0-9]{1,15}(?:[./-][A-Za-z0-9]{1,5})?"
"""A ticker as Alpaca writes it: AAPL, BRK.B, BF-B, or a crypto pair, BTC/USD (any case)."""
SYMBOLS_PATTERN = rf"^{SYMBOL}(?:,{SYMBOL})*$"

ACTIVITY_NAMES: dict[str, tuple[str, ...]] = {
    "fill": ("FILL",),
    "deposit": ("CSD",),
    "withdrawal": ("CSW",),
    "dividend": ("DIV", "DIVCGL", "DIVCGS", "DIVNRA", "DIVROC", "DIVTXEX"),
    "fee": ("FEE", "CFEE"),
    "journal": ("JNLC", "JNLS"),
}
"""The friendly names of activity kinds and the Alpaca codes each stands for."""
ACTIVITY_CODES = tuple(code for codes in ACTIVITY_NAMES.values() for code in codes)
_ACTIVITY_WORD = "|".join([*ACTIVITY_NAMES, *ACTIVITY_CODES])
ACTIVITY_TYPES_PATTERN = rf"^(?:{_ACTIVITY_WORD})(?:,(?:{_ACTIVITY_WORD}))*$"


def _routing_number(value: str) -> str:
    if not aba_checksum_ok(value):
        raise ValueError("is not a valid US routing number (9 digits whose checksum holds)")
    return value


ROUTING_NUMBER = Annotated[
    str,
    AfterValidator(_routing_number),
    # Its check digit is no regular language: the schema names the format, ABA's.
    WithJsonSchema(
        {
            "type": "string",
            "format": "aba-routing-number",
            "description": "A US ABA routing number: 9 digits (0-9) whose checksum holds, "
            "3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) a multiple of 10.",
        }
    ),
]


# -- query parameters --------------------------------------------------------------------------


class Query(BaseModel):
    """Query parameters: unknown ones are ignored, as they are everywhere on the web."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class HistoryParams(Query):
    period: Period = "1M"


class OrdersParams(Query):
    status: Literal["all", "open", "closed"] = Field(
        "all", description="Which orders: all, open (still working) or closed."
    )
    side: Literal["buy", "sell"] | None = Field(None, description="Only buys or only sells.")
    symbols: Annotated[str, Field(pattern=SYMBOLS_PATTERN), AfterValidator(str.upper)] | None = (
        Field(
            None,
            description="Comma-separated tickers, e.g. AAPL,VTI,BTC/USD (any case).",
        )
    )
    after: Instant | None = Field(None, description="Submitted after this time.")
    until: Instant | None = Field(None, description="Submitted before this time.")
    limit: Annotated[int, Field(ge=1, le=500), BeforeValidator(_query_int)] = Field(
        50, description="Orders per page."
    )
    cursor: OrdersCursor | None = None


class ActivitiesParams(Query):
    types: Annotated[str, Field(pattern=ACTIVITY_TYPES_PATTERN)] | None = Field(
        None,
        description="Comma-separated kinds: "
        + ", ".join(ACTIVITY_NAMES)
        + ", or Alpaca's codes ("
        + ", ".join(ACTIVITY_CODES)
        + "). All kinds when absent.",
    )
    after: Instant | None = Field(None, description="On or after this day.")
    until: Instant | None = Field(None, description="On or before this day.")
    limit: Annotated[int, Field(ge=1, le=100), BeforeValidator(_query_int)] = Field(
        50, description="Activities per page."
    )
    cursor: ActivitiesCursor | None = None

    def codes(self) -> tuple[str, ...]:
        """The Alpaca activity codes asked for (every listed kind when none)."""
        if not self.types:
            return ACTIVITY_CODES
        out: list[str] = []
        for word in self.types.split(","):
            for code in ACTIVITY_NAMES.get(word, (word,)):
                if code not in out:
                    out.append(code)
        return tuple(out)


class RealizedParams(Query):
    year: Annotated[int, Field(ge=2000, le=2100), BeforeValidator(_query_int)] | None = Field(
        None,
        description="The tax year (New York time); default: the latest year with a sale.",
    )


class AssetPath(BaseModel):
    """The asset route's path: a ticker, a crypto pair or an asset id, nothing else (no
    `..` that would climb the broker's path with the service's credentials)."""

    model_config = ConfigDict(frozen=True)

    symbol_or_id: str = Field(
        pattern=rf"^(?:{SYMBOL}|{UUID_PATTERN})$",
        description="A ticker (AAPL, BRK.B), a crypto pair (BTC/USD, with the slash "
        "percent-encoded: BTC%2FUSD) or an asset id.",
    )


# -- bodies ------------------------------------------------------------------------------------


class Body(BaseModel):
    """A JSON body: unknown members are refused (a typo should not pass silently)."""

    model_config = ConfigDict(extra="forbid")


TRIMMED = r"^\S(?:.*\S)?$"
"""Text with no space at either end (and at least one character)."""


class LoginBody(Body):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=200)


class BankAccountBody(Body):
    owner_name: str = Field(max_length=100, pattern=TRIMMED, description="As on the account.")
    account_type: Literal["checking", "savings"]
    account_number: str = Field(pattern=r"^[0-9]{4,17}$", description="4 to 17 digits.")
    routing_number: ROUTING_NUMBER
    nickname: str | None = Field(None, max_length=60, description="A name to show for it.")


class DepositBody(Body):
    """A deposit; `deposit_body` states the service's limit in the schema itself."""

    amount: str | int
    relationship_id: UuidText = Field(description="A linked bank account's id.")

    def dollars(self) -> Decimal:
        return Decimal(self.amount).quantize(CENT)


def deposit_body(max_deposit: Decimal) -> type[DepositBody]:
    """The deposit body for this service's limit: the pattern and bound say it exactly."""
    top = int(max_deposit)
    written = Annotated[str, Field(pattern=positive_cents_upto(max_deposit))]
    whole = Annotated[int, Field(ge=1, le=top), BeforeValidator(_whole_number)]

    class Deposit(DepositBody):
        amount: written | whole = Field(
            description=f'Dollars, as a decimal string ("100.00") or a whole number: above '
            f"zero, at most two decimals, at most {top} per deposit."
        )

    return Deposit


# -- parsing -----------------------------------------------------------------------------------


def parse_path(request: web.Request, model: type[M]) -> M:
    """The route's path parameters as `model`; a 400 naming the first that fails."""
    try:
        return model.model_validate(dict(request.match_info))
    except ValidationError as exc:
        raise _bad_request(exc, model) from None


def parse_query(request: web.Request, model: type[M]) -> M:
    """The request's query string as `model`; a 400 naming the first field that fails."""
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise _bad_request(exc, model) from None


async def parse_body(request: web.Request, model: type[M]) -> M:
    """The request's JSON body as `model` (strict: the JSON types the schema names)."""
    body = await json_object(request)
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise _bad_request(exc, model) from None


def _bad_request(exc: ValidationError, model: type[BaseModel]) -> BadRequest:
    error = exc.errors(include_url=False)[0]
    field = str(error["loc"][0]) if error["loc"] else "body"
    info = model.model_fields.get(field)
    why = info.description if info is not None and info.description else error["msg"]
    if error["type"] == "extra_forbidden":
        return BadRequest(f"'{field}' is not a field of this request.", details={"field": field})
    if error["type"] == "missing":
        return BadRequest(f"'{field}' is required.", details={"field": field})
    message = str(error.get("ctx", {}).get("error") or "")
    detail = message if message and error["type"] == "value_error" else why
    details: dict[str, Any] = {"field": field}
    if allowed := _choices(model).get(field):
        details["allowed"] = allowed
    return BadRequest(f"'{field}': {detail}", details=details)


@functools.cache
def _choices(model: type[BaseModel]) -> dict[str, list[Any]]:
    """Each field's allowed values, where the schema lists them, for the error's details."""
    out: dict[str, list[Any]] = {}
    for name, prop in model.model_json_schema()["properties"].items():
        branches = prop.get("anyOf", [prop])
        values = [v for b in branches for v in b.get("enum", ())]
        if values:
            out[name] = values
    return out
