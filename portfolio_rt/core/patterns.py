"""Regular expressions that say exactly which strings a rule accepts, so that a published
schema and the check behind it accept the same inputs (a money limit, an integer range)."""

from __future__ import annotations

from decimal import Decimal


def integer_range(lo: int, hi: int) -> str:
    """A group matching the decimal integers lo..hi (no sign, no leading zeros)."""
    if lo < 0 or hi < lo:
        raise ValueError("a range of non-negative integers, lo <= hi")
    parts: list[str] = []
    for digits in range(len(str(lo)), len(str(hi)) + 1):
        first = max(lo, 10 ** (digits - 1) if digits > 1 else 0)
        last = min(hi, 10**digits - 1)
        if first <= last:
            parts += _same_length(str(first), str(last))
    return "(?:" + "|".join(parts) + ")"


def _same_length(a: str, b: str) -> list[str]:
    """Alternatives matching a..b, two numbers of the same length."""
    if a == b:
        return [a]
    n = len(a)
    if a == "0" * n and b == "9" * n:
        return [_digits(n)]
    if n == 1:
        return [f"[{a}-{b}]"]
    if a[0] == b[0]:
        return [a[0] + rest for rest in _same_length(a[1:], b[1:])]
    out: list[str] = []
    first, last = int(a[0]), int(b[0])
    if a[1:] != "0" * (n - 1):  # a partial first decade: a..a9…9
        out += [a[0] + rest for rest in _same_length(a[1:], "9" * (n - 1))]
        first += 1
    tail: list[str] = []
    if b[1:] != "9" * (n - 1):  # a partial last decade: b0…0..b
        tail = [b[0] + rest for rest in _same_length("0" * (n - 1), b[1:])]
        last -= 1
    if first <= last:
        lead = str(first) if first == last else f"[{first}-{last}]"
        out.append(lead + _digits(n - 1))
    return out + tail


def _digits(n: int) -> str:
    return f"[0-9]{{{n}}}" if n > 1 else "[0-9]"


def positive_cents_upto(limit: Decimal) -> str:
    """A full-match pattern for amounts in dollars above zero and at most `limit` (whole
    dollars), written plainly with at most two decimals: "0.01", "25", "49999.99".
    No look-around, so JSON Schema (ECMA 262), Python and Rust engines read it alike."""
    top = int(limit)
    if top < 1 or Decimal(top) != limit:
        raise ValueError("the limit must be whole dollars, at least 1")
    cents = r"(?:\.[0-9]{1,2})?"
    under_a_dollar = r"0\.(?:[1-9][0-9]?|0[1-9])"
    at_most = rf"{top}(?:\.0{{1,2}})?"
    whole = [f"{integer_range(1, top - 1)}{cents}"] if top > 1 else []
    return "^(?:" + "|".join([*whole, under_a_dollar, at_most]) + ")$"
