"""The generated patterns accept exactly what their rule accepts, checked against plain
arithmetic over every candidate in a range (not against the code that builds them)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from portfolio_rt.core.patterns import integer_range, positive_cents_upto


@pytest.mark.parametrize(
    ("lo", "hi"),
    [(0, 0), (0, 9), (1, 99), (5, 1234), (19, 21), (37, 37), (100, 999), (0, 100_000)],
)
def test_integer_range_matches_exactly_lo_to_hi(lo: int, hi: int) -> None:
    pattern = re.compile(integer_range(lo, hi))
    wrong = [n for n in range(120_000) if bool(pattern.fullmatch(str(n))) != (lo <= n <= hi)]
    assert wrong == []
    assert not pattern.fullmatch(f"0{lo}")  # no leading zeros
    assert not pattern.fullmatch(f"-{lo}")


def test_integer_range_refuses_an_empty_or_negative_range() -> None:
    with pytest.raises(ValueError, match="lo <= hi"):
        integer_range(5, 4)
    with pytest.raises(ValueError, match="non-negative"):
        integer_range(-1, 4)


def _plain_amount_within(text: str, limit: int) -> bool:
    if not re.fullmatch(r"(?:0|[1-9][0-9]*)(?:\.[0-9]{1,2})?", text):
        return False
    return Decimal(0) < Decimal(text) <= limit


@pytest.mark.parametrize("limit", [1, 10, 250, 50_000])
def test_positive_cents_upto_is_above_zero_two_decimals_at_most_the_limit(limit: int) -> None:
    pattern = re.compile(positive_cents_upto(Decimal(limit)))
    dollars = range(min(limit + 2, 400))
    candidates = [
        *(str(d) for d in range(limit + 3)),
        *(f"{d}.{c:02d}" for d in dollars for c in range(100)),
        *(f"{d}.{c}" for d in dollars for c in range(10)),
        *(f"{d}.{c:03d}" for d in (0, 1) for c in range(0, 1000, 7)),
        f"{limit}.01",
        f"{limit - 1}.99",
        "00",
        "01",
        "0.0",
        "0.00",
        "1.",
        ".5",
        "",
        "-1",
        "1e2",
        "1_0",
        " 1",
        "1\n",
        "١",  # an Arabic-Indic one: not an ASCII digit
    ]
    wrong = [t for t in candidates if bool(pattern.fullmatch(t)) != _plain_amount_within(t, limit)]
    assert wrong == []


def test_positive_cents_upto_needs_whole_dollars() -> None:
    for limit in ("0", "10.50"):
        with pytest.raises(ValueError, match="whole dollars"):
            positive_cents_upto(Decimal(limit))


def test_the_amount_pattern_reads_the_same_without_python_only_syntax() -> None:
    # JSON Schema patterns are ECMA 262: no look-around, no \Z, no inline flags.
    text = positive_cents_upto(Decimal(50_000))
    assert "(?=" not in text
    assert "(?!" not in text
    assert "(?<" not in text
    assert "\\Z" not in text
