"""Number formatting for the plain-language sentences."""

from __future__ import annotations


def pct(fraction: float, digits: int = 0) -> str:
    """0.4123 -> "41%"; with digits=1, "41.2%"."""
    return f"{fraction * 100:.{digits}f}%"


def money(amount: float) -> str:
    """1234.5 -> "$1,230" (to the nearest ten dollars: these are estimates)."""
    return f"${round(amount, -1):,.0f}"
