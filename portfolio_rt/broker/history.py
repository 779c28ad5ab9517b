"""How each of the page's chart ranges maps onto Alpaca's portfolio-history query.

Ranges longer than 30 days use daily points (Alpaca only serves intraday data for 30 days).
Shorter ones use intraday points: 1D every 5 minutes, 1W hourly. 1M uses daily points: a
month of 5-minute or hourly points is more detail than a phone-sized chart can show, and
daily points keep its last value equal to the daily close the other ranges show.
YTD and MAX are sent as start dates (1 January; the account's creation) rather than a fixed
period, so MAX is never silently capped at one year.
"""

from __future__ import annotations

from datetime import datetime, time

from ..core.periods import NEW_YORK
from .flows import CASH_FLOW_TYPES
from .gateway import HistoryQuery

# External flows asked for with every history, so returns can take deposits out.
CASHFLOW_TYPES = ",".join(CASH_FLOW_TYPES)

_FIXED = {
    "1D": ("1D", "5Min"),
    "1W": ("1W", "1H"),
    "1M": ("1M", "1D"),
    "3M": ("3M", "1D"),
    "6M": ("6M", "1D"),
    "1Y": ("1A", "1D"),  # Alpaca spells years "A"
}


def history_query(
    period: str, *, account_created_at: datetime, crypto_only: bool, now: datetime
) -> HistoryQuery:
    """Alpaca's query for one of `PERIODS`. Crypto-only accounts trade around the clock, so
    their intraday points are continuous instead of market hours."""
    reporting = "continuous" if crypto_only else "market_hours"
    if period in _FIXED:
        alpaca_period, timeframe = _FIXED[period]
        return HistoryQuery(
            timeframe=timeframe,
            period=alpaca_period,
            intraday_reporting=reporting,
            pnl_reset="no_reset",
            cashflow_types=CASHFLOW_TYPES,
        )
    if period == "YTD":
        local = now.astimezone(NEW_YORK)
        start = datetime.combine(local.date().replace(month=1, day=1), time(), NEW_YORK)
    else:  # MAX: since the account was opened
        start = account_created_at.astimezone(NEW_YORK)
    # No `end`: Alpaca defaults it to now, and a fixed query can be cached and shared.
    return HistoryQuery(
        timeframe="1D",
        start=start,
        intraday_reporting=reporting,
        pnl_reset="no_reset",
        cashflow_types=CASHFLOW_TYPES,
    )
