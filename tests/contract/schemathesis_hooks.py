"""What a fuzzer needs to know beyond regular expressions: the custom string formats the
document declares. Load with `SCHEMATHESIS_HOOKS=tests.contract.schemathesis_hooks`.

A routing number's check digit and a cursor's content are not regular languages, so the
document names them as formats; these strategies draw values that meet them, as any client
of the API would send (a checksummed routing number, a cursor a previous page gave).
"""

from __future__ import annotations

from datetime import UTC, datetime

import schemathesis
from hypothesis import strategies as st

from portfolio_rt.api.cursors import encode_cursor

_WEIGHTS = (3, 7, 1, 3, 7, 1, 3, 7)


@st.composite
def routing_numbers(draw: st.DrawFn) -> str:
    """Eight digits and the check digit that makes the ABA sum a multiple of ten."""
    head = draw(st.lists(st.integers(0, 9), min_size=8, max_size=8))
    total = sum(w * d for w, d in zip(_WEIGHTS, head, strict=True))
    return "".join(map(str, head)) + str(-total % 10)


_instants = st.datetimes(
    min_value=datetime(2015, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)
orders_cursors = st.builds(
    lambda t, ids: encode_cursor({"k": "orders", "t": t.isoformat(), "ids": ids}),
    _instants,
    st.lists(st.uuids().map(str), max_size=3),
)
activities_cursors = st.builds(
    lambda t, u: encode_cursor(
        {"k": "activities", "id": f"{t:%Y%m%d%H%M%S}{t.microsecond // 1000:03d}::{u}"}
    ),
    _instants,
    st.uuids(),
)

schemathesis.openapi.format("aba-routing-number", routing_numbers())
schemathesis.openapi.format("orders-cursor", orders_cursors)
schemathesis.openapi.format("activities-cursor", activities_cursors)
