"""The NYSE trading calendar and market clock, computed by rule so any year works offline."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

NY = ZoneInfo("America/New_York")

REGULAR_OPEN = time(9, 30)
REGULAR_CLOSE = time(16, 0)
EARLY_CLOSE = time(13, 0)

# One-off closures the rules cannot know (national days of mourning, storms).
SPECIAL_CLOSURES = frozenset(
    {
        date(2012, 10, 29),
        date(2012, 10, 30),
        date(2018, 12, 5),
        date(2025, 1, 9),
    }
)


def easter_sunday(year: int) -> date:
    """Gregorian Easter (the anonymous Meeus/Jones/Butcher algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th `weekday` (Mon=0) of a month; n=-1 is the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    nxt = date(year + month // 12, month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(d: date) -> date:
    """Saturday holidays move to Friday, Sunday holidays to Monday."""
    if d.weekday() == 5:
        return d - timedelta(days=1)
    if d.weekday() == 6:
        return d + timedelta(days=1)
    return d


def nyse_holidays(year: int) -> set[date]:
    """Full-day NYSE closures in `year` (weekday dates only)."""
    days: set[date] = set()
    new_year = date(year, 1, 1)
    if new_year.weekday() != 5:  # NYSE does not close the preceding Friday for a Saturday New Year
        days.add(_observed(new_year))
    if year >= 1998:
        days.add(_nth_weekday(year, 1, 0, 3))  # Martin Luther King Jr. Day
    days.add(_nth_weekday(year, 2, 0, 3))  # Washington's Birthday
    days.add(easter_sunday(year) - timedelta(days=2))  # Good Friday
    days.add(_nth_weekday(year, 5, 0, -1))  # Memorial Day
    if year >= 2022:
        days.add(_observed(date(year, 6, 19)))  # Juneteenth
    days.add(_observed(date(year, 7, 4)))  # Independence Day
    days.add(_nth_weekday(year, 9, 0, 1))  # Labor Day
    days.add(_nth_weekday(year, 11, 3, 4))  # Thanksgiving
    days.add(_observed(date(year, 12, 25)))  # Christmas
    days.update(d for d in SPECIAL_CLOSURES if d.year == year)
    return {d for d in days if d.weekday() < 5 and d.year == year}


def nyse_early_closes(year: int) -> set[date]:
    """13:00 ET closes: July 3, the day after Thanksgiving and Christmas Eve, when sessions."""
    days = {_nth_weekday(year, 11, 3, 4) + timedelta(days=1)}
    july3 = date(year, 7, 3)
    if july3.weekday() < 4:
        days.add(july3)
    christmas_eve = date(year, 12, 24)
    if christmas_eve.weekday() < 4:
        days.add(christmas_eve)
    return days - nyse_holidays(year)


class MarketCalendar:
    """NYSE trading days and regular sessions; holidays are memoised per year on the instance."""

    def __init__(self) -> None:
        self._holidays: dict[int, frozenset[date]] = {}
        self._early: dict[int, frozenset[date]] = {}

    def holidays(self, year: int) -> frozenset[date]:
        """Exchange holidays of `year`."""
        found = self._holidays.get(year)
        if found is None:
            found = self._holidays[year] = frozenset(nyse_holidays(year))
        return found

    def early_closes(self, year: int) -> frozenset[date]:
        """Days of `year` whose session ends at 13:00 ET."""
        found = self._early.get(year)
        if found is None:
            found = self._early[year] = frozenset(nyse_early_closes(year))
        return found

    def is_trading_day(self, d: date) -> bool:
        """A weekday that is not an exchange holiday."""
        return d.weekday() < 5 and d not in self.holidays(d.year)

    def trading_days(self, start: date, end: date) -> list[date]:
        """Trading days from `start` to `end`, both inclusive."""
        out: list[date] = []
        d = start
        one = timedelta(days=1)
        while d <= end:
            if self.is_trading_day(d):
                out.append(d)
            d += one
        return out

    def previous_trading_day(self, d: date) -> date:
        """The last trading day strictly before `d`."""
        d -= timedelta(days=1)
        while not self.is_trading_day(d):
            d -= timedelta(days=1)
        return d

    def next_trading_day(self, d: date) -> date:
        """The first trading day strictly after `d`."""
        d += timedelta(days=1)
        while not self.is_trading_day(d):
            d += timedelta(days=1)
        return d

    def session(self, d: date) -> tuple[datetime, datetime] | None:
        """(open, close) in UTC of `d`'s regular session, or None when the market is closed."""
        if not self.is_trading_day(d):
            return None
        close = EARLY_CLOSE if d in self.early_closes(d.year) else REGULAR_CLOSE
        opens = datetime.combine(d, REGULAR_OPEN, NY).astimezone(UTC)
        closes = datetime.combine(d, close, NY).astimezone(UTC)
        return opens, closes


class MarketClock:
    """Whether a market is open at an instant; `always_open` keeps equities trading at any hour."""

    def __init__(
        self, calendar: MarketCalendar, market_hours: Literal["real", "always_open"]
    ) -> None:
        self.calendar = calendar
        self.market_hours: str = market_hours

    def market_date(self, t: datetime) -> date:
        """The New York date of `t`."""
        return t.astimezone(NY).date()

    def in_session(self, t: datetime) -> bool:
        """Whether `t` falls in a regular NYSE session (regardless of `market_hours`)."""
        session = self.calendar.session(self.market_date(t))
        return session is not None and session[0] <= t < session[1]

    def is_open(self, asset_class: str, t: datetime) -> bool:
        """Crypto never closes; equities follow the sessions unless the clock is `always_open`."""
        if asset_class == "crypto" or self.market_hours == "always_open":
            return True
        return self.in_session(t)

    def clock(self, t: datetime) -> tuple[bool, datetime, datetime]:
        """(is_open, next_open, next_close) for equities, as Alpaca's /v1/clock reports them."""
        d = self.market_date(t)
        session = self.calendar.session(d)
        if session is not None and t < session[0]:
            next_open, next_close = session
        else:
            upcoming = self.calendar.session(self.calendar.next_trading_day(d))
            assert upcoming is not None
            next_open = upcoming[0]
            in_session = session is not None and t < session[1]
            next_close = session[1] if session is not None and in_session else upcoming[1]
        return self.is_open("us_equity", t), next_open, next_close
