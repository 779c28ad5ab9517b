"""The live socket's server messages, serialised once as JSON bytes.

An update is serialised once per account and the per-connection `seq` spliced into the bytes,
so fanning it out to several tabs never re-encodes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from ..core.jsonio import dumps
from ..core.money import Return, money

Status = Literal["live", "stale", "market_closed", "reconnecting"]


@dataclass(frozen=True)
class AccountValue:
    """One account's live figures (money rounded to the cent)."""

    equity: Decimal
    cash: Decimal
    last_equity: Decimal
    today_return: Return
    as_of: datetime


def snapshot(
    account_id: str, value: AccountValue, *, market_open: bool, status: Status, seq: int
) -> bytes:
    return dumps(
        {
            "type": "snapshot",
            "account_id": account_id,
            "equity": money(value.equity),
            "cash": money(value.cash),
            "last_equity": money(value.last_equity),
            "today_return": value.today_return.as_json(),
            "market_open": market_open,
            "status": status,
            "as_of": value.as_of,
            "seq": seq,
        }
    )


def as_of_text(as_of: datetime) -> bytes:
    """A time as the API writes it (RFC 3339 UTC with a `Z`), to reuse across one push."""
    return dumps(as_of)[1:-1]


def update_body(equity: Decimal, gain: Return, as_of: bytes) -> bytes:
    """An update without its `seq` (added per connection by `with_seq`).

    Built from a byte template: this runs for every pushed account, every push interval.
    `equity` and `gain.amount` are whole cents (`str` writes them plainly); `as_of` is the
    cycle's `as_of_text`, formatted once for all of its updates.
    """
    pct = b"null" if gain.pct is None else repr(gain.pct).encode()
    return _UPDATE % (str(equity).encode(), str(gain.amount).encode(), pct, as_of)


_UPDATE = b'{"type":"update","equity":"%s","today_return":{"amount":"%s","pct":%s},"as_of":"%s"}'


def with_seq(body: bytes, seq: int) -> bytes:
    """`body` (a JSON object) with `"seq": seq` as its last member."""
    return b'%s,"seq":%d}' % (body[:-1], seq)


def status(value: Status) -> bytes:
    return dumps({"type": "status", "status": value})


def error(code: str, message: str) -> bytes:
    return dumps({"type": "error", "code": code, "message": message})


def changed(what: Iterable[str]) -> bytes:
    """The broker changed parts of the account (a fill, a transfer, a dividend): the page
    reloads those sections (`positions`, `orders`, `activities`, `transfers`)."""
    return dumps({"type": "changed", "what": sorted(set(what))})


def subscribed(topics: Iterable[str]) -> bytes:
    """The socket's topics after a subscribe or unsubscribe."""
    return dumps({"type": "subscribed", "topics": sorted(set(topics))})


def positions(rows: list[str], *, complete: bool, total: str, as_of: str) -> bytes:
    """The positions topic's message: every position (`complete`), or those whose price moved
    since the account's last one; `total` weighs the positions a partial message leaves out.
    `rows` are JSON objects already written (`position_figures.RowWriter`); `total` and
    `as_of` are plain decimal and RFC 3339 texts."""
    return (
        f'{{"type":"positions","complete":{"true" if complete else "false"},'
        f'"positions":[{",".join(rows)}],"total_market_value":"{total}","as_of":"{as_of}"}}'
    ).encode()
