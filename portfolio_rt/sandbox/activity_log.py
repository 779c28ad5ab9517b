"""Activity ids and the paging of activity lists by `page_token`.

Ids are `YYYYMMDDhhmmssSSS::<uuid>`; an account's ids strictly increase with time, so sorting by
id is sorting by time and a page token (the last id seen) splits a list without gaps or repeats.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from .records import ActivityRecord, unprocessable

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_UUID_BITS = (1 << 128) - 1
_GOLDEN = 0x9E3779B97F4A7C15F39CC0605CEDC835  # an odd constant: seq -> distinct bit patterns
MAX_PAGE_SIZE = 100
# alpaca-py 0.44's ActivityType values: any other type fails its model validation.
# fmt: off
SDK_ACTIVITY_TYPES = frozenset((
    "FILL", "ACATC", "ACATS", "CFEE", "CIL", "CSD", "CSW", "DIV", "DIVCGL", "DIVCGS", "DIVNRA",
    "DIVROC", "DIVTXEX", "DIVWH", "EXTRD", "FEE", "FXTRD", "INT", "INTPNL", "JNLC", "JNLS", "MA",
    "MEM", "NC", "OCT", "OPASN", "OPCSH", "OPEXC", "OPEXP", "OPTRD", "PTC", "REORG", "SPIN",
    "SPLIT", "SWP", "VOF", "WH",
))
# fmt: on


def epoch_ms(at: datetime) -> int:
    """Milliseconds since the epoch, exactly (no float rounding)."""
    return (at - EPOCH) // timedelta(milliseconds=1)


def activity_id(ms: int, account_id: UUID, seq: int) -> str:
    """The id of an account's `seq`-th activity, stamped with epoch millisecond `ms`.

    The uuid part mixes the account id with the sequence number: unique per account and
    activity, the same in every run, and cheap (no hashing, which matters for load tests).
    """
    stamp = (EPOCH + timedelta(milliseconds=ms)).strftime("%Y%m%d%H%M%S")
    mixed = (account_id.int ^ (seq * _GOLDEN)) & _UUID_BITS
    return f"{stamp}{ms % 1000:03d}::{UUID(int=mixed)}"


def parse_types(activity_types: Iterable[str] | None) -> set[str] | None:
    """The requested activity types, upper-cased; 422 for a type alpaca-py does not know."""
    if activity_types is None:
        return None
    types = {t.strip().upper() for t in activity_types if t.strip()}
    unknown = types - SDK_ACTIVITY_TYPES
    if unknown:
        raise unprocessable(f"invalid activity type {sorted(unknown)[0]}")
    return types


def check_paging(direction: str, page_size: int, page_token: str | None) -> None:
    """422 for a direction, page size or token Alpaca would refuse."""
    if direction not in ("asc", "desc"):
        raise unprocessable("direction must be asc or desc")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise unprocessable(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
    if page_token is not None and "::" not in page_token:
        raise unprocessable("invalid page_token")


def page(
    source: Sequence[ActivityRecord],
    *,
    types: set[str] | None,
    on: date | None,
    after: datetime | None,
    until: datetime | None,
    direction: str,
    page_size: int,
    page_token: str | None,
) -> list[ActivityRecord]:
    """One page of `source` (sorted by id): desc ends before the token, asc starts after it."""
    if direction == "desc":
        end = bisect_left(source, page_token, key=lambda a: a.id) if page_token else len(source)
        indices: Iterable[int] = range(end - 1, -1, -1)
    else:
        start = bisect_right(source, page_token, key=lambda a: a.id) if page_token else 0
        indices = range(start, len(source))
    out: list[ActivityRecord] = []
    for i in indices:
        activity = source[i]
        if types is not None and activity.activity_type not in types:
            continue
        if on is not None and activity.date != on:
            continue
        if after is not None and activity.at <= after:
            continue
        if until is not None and activity.at >= until:
            continue
        out.append(activity)
        if len(out) >= page_size:
            break
    return out
