"""Breakdowns by asset class and by sector that always add up to the account and to 100%.

Funds are looked through (a broad fund spreads over sectors by its index's approximate
weights, a sector fund is its sector, bond funds are "Fixed income", crypto "Crypto", cash
"Cash"); anything unknown is "Other". Short positions count at their absolute value and a
negative cash balance (margin) is left out, so the base is gross exposure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from portfolio_rt.analytics.classification import Classification
from portfolio_rt.analytics.models import ASSET_CLASSES, CASH, SECTORS, Exposure

CENT = Decimal("0.01")


def breakdown(
    classes: Sequence[Classification],
    values: Sequence[Decimal],
    cash: Decimal,
    *,
    by_sector: bool,
) -> tuple[list[Exposure], dict[str, float]]:
    """Exposures sorted by size, and the float amounts per bucket (for the scores)."""
    amounts: dict[str, float] = {}
    for c, value in zip(classes, values, strict=True):
        parts = c.sectors if by_sector else c.asset_classes
        for name, share in parts:
            amounts[name] = amounts.get(name, 0.0) + float(abs(value)) * share
    if cash > 0:
        amounts[CASH] = amounts.get(CASH, 0.0) + float(cash)
    total = sum((abs(v) for v in values), Decimal(0)) + max(cash, Decimal(0))
    return _allocate(amounts, total, SECTORS if by_sector else ASSET_CLASSES), amounts


def _allocate(amounts: Mapping[str, float], total: Decimal, order: Sequence[str]) -> list[Exposure]:
    """Round to cents and to hundredths of a percent so both columns sum exactly."""
    items = {k: v for k, v in amounts.items() if v > 0}
    if total <= 0 or not items:
        return []
    cents = _largest_remainder(items, int((total / CENT).to_integral_value()))
    basis = _largest_remainder(items, 10_000)
    rank = {name: i for i, name in enumerate(order)}
    result = [
        Exposure(name, (Decimal(cents[name]) * CENT).quantize(CENT), basis[name] / 100.0)
        for name in items
    ]
    result.sort(key=lambda e: (-e.market_value, rank.get(e.name, len(rank)), e.name))
    return result


def _largest_remainder(amounts: Mapping[str, float], units: int) -> dict[str, int]:
    total = sum(amounts.values())
    exact = {k: v / total * units for k, v in amounts.items()}
    floors = {k: int(x) for k, x in exact.items()}
    short = units - sum(floors.values())
    for k in sorted(exact, key=lambda k: (floors[k] - exact[k], k))[:short]:
        floors[k] += 1
    return floors
