"""One page of a multi-symbol time series, as Alpaca's market data pages them.

Symbols come in sorted order, each symbol's items in time order; `limit` counts across symbols,
and `next_page_token` (symbol and the last item's time, `data_params.encode_token`) is null on
the last page. Bars, trades, quotes and auctions page alike; only how a symbol's items are
fetched differs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from .data_params import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    decode_token,
    encode_token,
    parse_limit,
    parse_range,
    parse_sort,
)

_ONE_US = timedelta(microseconds=1)


class Timed(Protocol):
    """An item of a series: what the page token remembers is its `t`."""

    @property
    def t(self) -> datetime: ...


Fetch = Callable[[str, datetime, datetime, int, datetime | None], Sequence[Any]]
"""(symbol, lo, hi, need, after) -> up to `need` items with `t` in [lo, hi], in the page's
order; `after` is the token's time when the page resumes inside this symbol (a bar labelled
before `lo` may need it), else None."""


@dataclass(frozen=True, slots=True)
class Window:
    """What one request asks: the range, the order, the page size and where it resumes."""

    start: datetime
    end: datetime
    limit: int
    desc: bool
    token: str | None

    @classmethod
    def parse(
        cls,
        query: Any,
        now: datetime,
        *,
        default_limit: int = DEFAULT_LIMIT,
        max_limit: int = MAX_LIMIT,
        desc_by_default: bool = False,
    ) -> Window:
        """`start`, `end`, `limit`, `sort` and `page_token` of a request; a garbled token is a
        400 at once, even when no symbol would read it."""
        limit = parse_limit(query.get("limit"), default=default_limit, maximum=max_limit)
        sort = query.get("sort")
        desc = parse_sort(sort) if sort else desc_by_default
        start, end = parse_range(query, now)
        token = query.get("page_token") or None
        if token is not None:
            decode_token(token)
        return cls(start, end, limit, desc, token)

    def page(
        self,
        symbols: Sequence[str],
        fetch: Fetch,
        render: Callable[[Any], dict[str, Any]],
    ) -> tuple[dict[str, list[dict[str, Any]]], str | None]:
        """The page's items by symbol and the token of the next page (None on the last).

        Items of a symbol must have distinct times: the token resumes after the last one.
        Symbols `fetch` has nothing for are left out of the map.
        """
        after = decode_token(self.token) if self.token else None
        out: dict[str, list[dict[str, Any]]] = {}
        taken = 0
        last: tuple[str, datetime] | None = None
        for symbol in sorted(symbols):
            if after is not None and symbol < after[0]:
                continue
            lo, hi, mark = self.start, self.end, None
            if after is not None and symbol == after[0]:
                mark = after[1]
                if self.desc:
                    hi = min(hi, mark - _ONE_US)
                else:
                    lo = max(lo, mark + _ONE_US)
            room = self.limit - taken
            items = fetch(symbol, lo, hi, room + 1, mark) if lo <= hi else []
            if not items:
                continue
            if room <= 0:  # the page is full and more data follows
                return out, encode_token(*last) if last is not None else None
            chosen = items[:room]
            out[symbol] = [render(item) for item in chosen]
            taken += len(chosen)
            last = (symbol, chosen[-1].t)
            if len(items) > len(chosen):
                return out, encode_token(*last)
        return out, None
