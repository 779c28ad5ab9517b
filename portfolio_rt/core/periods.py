"""The page's chart ranges: their names and how many points make a year of each step."""

from __future__ import annotations

from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
"""US markets' time zone: market days, closes and the day a flow counts for."""
PERIODS = ("1D", "1W", "1M", "3M", "6M", "YTD", "1Y", "MAX")
PERIODS_PER_YEAR = {"1D": 252.0, "1H": 252.0 * 6.5, "15Min": 252.0 * 26, "5Min": 252.0 * 78}
