"""The NYSE calendar and the market clock: holidays, early closes, sessions, open/closed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portfolio_rt.sandbox.calendar import NY, MarketCalendar, MarketClock, easter_sunday

HOLIDAYS = [
    # 2024
    date(2024, 1, 1),
    date(2024, 1, 15),
    date(2024, 2, 19),
    date(2024, 3, 29),
    date(2024, 5, 27),
    date(2024, 6, 19),
    date(2024, 7, 4),
    date(2024, 9, 2),
    date(2024, 11, 28),
    date(2024, 12, 25),
    # 2025 (with the national day of mourning on Jan 9)
    date(2025, 1, 1),
    date(2025, 1, 9),
    date(2025, 1, 20),
    date(2025, 2, 17),
    date(2025, 4, 18),
    date(2025, 5, 26),
    date(2025, 6, 19),
    date(2025, 7, 4),
    date(2025, 9, 1),
    date(2025, 11, 27),
    date(2025, 12, 25),
    # 2026 (Independence Day observed on Friday July 3)
    date(2026, 1, 1),
    date(2026, 1, 19),
    date(2026, 2, 16),
    date(2026, 4, 3),
    date(2026, 5, 25),
    date(2026, 6, 19),
    date(2026, 7, 3),
    date(2026, 9, 7),
    date(2026, 11, 26),
    date(2026, 12, 25),
]

EARLY_CLOSES = [
    date(2024, 7, 3),
    date(2024, 11, 29),
    date(2024, 12, 24),
    date(2025, 7, 3),
    date(2025, 11, 28),
    date(2025, 12, 24),
    date(2026, 11, 27),
    date(2026, 12, 24),
]


@pytest.fixture
def calendar() -> MarketCalendar:
    return MarketCalendar()


@pytest.mark.parametrize("day", HOLIDAYS)
def test_known_nyse_holidays_are_not_trading_days(calendar: MarketCalendar, day: date) -> None:
    assert not calendar.is_trading_day(day)
    assert calendar.session(day) is None


def test_each_year_has_the_expected_number_of_holidays(calendar: MarketCalendar) -> None:
    assert len(calendar.holidays(2024)) == 10
    assert len(calendar.holidays(2025)) == 11
    assert len(calendar.holidays(2026)) == 10
    assert len(calendar.trading_days(date(2024, 1, 1), date(2024, 12, 31))) == 252
    assert len(calendar.trading_days(date(2025, 1, 1), date(2025, 12, 31))) == 250


def test_juneteenth_is_a_holiday_only_from_2022(calendar: MarketCalendar) -> None:
    assert calendar.is_trading_day(date(2021, 6, 18))
    assert not calendar.is_trading_day(date(2022, 6, 20))  # Sunday the 19th, observed Monday
    assert not calendar.is_trading_day(date(2027, 6, 18))  # Saturday the 19th, observed Friday


def test_a_saturday_new_year_is_not_observed_on_the_friday_before(
    calendar: MarketCalendar,
) -> None:
    assert calendar.is_trading_day(date(2021, 12, 31))
    assert calendar.is_trading_day(date(2022, 1, 3))


def test_easter_dates_are_right() -> None:
    assert easter_sunday(2024) == date(2024, 3, 31)
    assert easter_sunday(2025) == date(2025, 4, 20)
    assert easter_sunday(2026) == date(2026, 4, 5)
    assert easter_sunday(2038) == date(2038, 4, 25)


@pytest.mark.parametrize("day", EARLY_CLOSES)
def test_early_closes_end_at_one_pm_new_york(calendar: MarketCalendar, day: date) -> None:
    session = calendar.session(day)
    assert session is not None
    opens, closes = session
    assert opens.astimezone(NY).time().isoformat() == "09:30:00"
    assert closes.astimezone(NY).time().isoformat() == "13:00:00"


def test_july_2_2026_is_a_full_session_before_the_observed_holiday(
    calendar: MarketCalendar,
) -> None:
    session = calendar.session(date(2026, 7, 2))
    assert session is not None
    assert session[1].astimezone(NY).hour == 16


def test_sessions_are_utc_and_follow_daylight_saving(calendar: MarketCalendar) -> None:
    assert calendar.session(date(2026, 1, 5)) == (
        datetime(2026, 1, 5, 14, 30, tzinfo=UTC),
        datetime(2026, 1, 5, 21, 0, tzinfo=UTC),
    )
    assert calendar.session(date(2026, 7, 6)) == (
        datetime(2026, 7, 6, 13, 30, tzinfo=UTC),
        datetime(2026, 7, 6, 20, 0, tzinfo=UTC),
    )


def test_weekends_are_closed(calendar: MarketCalendar) -> None:
    assert not calendar.is_trading_day(date(2026, 11, 28))
    assert not calendar.is_trading_day(date(2026, 11, 29))
    assert calendar.trading_days(date(2026, 11, 28), date(2026, 11, 29)) == []


def test_trading_days_range_is_inclusive(calendar: MarketCalendar) -> None:
    days = calendar.trading_days(date(2026, 11, 23), date(2026, 11, 30))
    assert days == [
        date(2026, 11, 23),
        date(2026, 11, 24),
        date(2026, 11, 25),
        date(2026, 11, 27),
        date(2026, 11, 30),
    ]


def test_previous_and_next_trading_day_are_strict(calendar: MarketCalendar) -> None:
    assert calendar.previous_trading_day(date(2026, 11, 27)) == date(2026, 11, 25)
    assert calendar.next_trading_day(date(2026, 11, 25)) == date(2026, 11, 27)
    assert calendar.previous_trading_day(date(2026, 1, 5)) == date(2026, 1, 2)
    assert calendar.next_trading_day(date(2026, 1, 2)) == date(2026, 1, 5)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)))
def test_neighbouring_trading_days_leave_no_gap(day: date) -> None:
    calendar = MarketCalendar()
    before = calendar.previous_trading_day(day)
    after = calendar.next_trading_day(day)
    assert before < day < after
    assert calendar.is_trading_day(before)
    assert calendar.is_trading_day(after)
    between = calendar.trading_days(before + timedelta(days=1), after - timedelta(days=1))
    assert between == ([day] if calendar.is_trading_day(day) else [])
    assert (after - before).days <= 5


def ny(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NY).astimezone(UTC)


def test_real_clock_is_open_only_in_session(calendar: MarketCalendar) -> None:
    clock = MarketClock(calendar, "real")
    assert clock.is_open("us_equity", ny(2026, 11, 25, 10))
    assert not clock.is_open("us_equity", ny(2026, 11, 25, 9, 29))
    assert not clock.is_open("us_equity", ny(2026, 11, 25, 16))
    assert not clock.is_open("us_equity", ny(2026, 11, 26, 12))  # Thanksgiving
    assert not clock.is_open("us_equity", ny(2026, 11, 27, 13, 30))  # after the early close
    assert clock.is_open("crypto", ny(2026, 11, 28, 3))


def test_always_open_clock_trades_equities_at_any_hour(calendar: MarketCalendar) -> None:
    clock = MarketClock(calendar, "always_open")
    assert clock.is_open("us_equity", ny(2026, 11, 28, 3))
    assert clock.clock(ny(2026, 11, 28, 3))[0] is True


def test_clock_reports_next_open_and_close_like_alpaca(calendar: MarketCalendar) -> None:
    clock = MarketClock(calendar, "real")
    assert clock.clock(ny(2026, 11, 25, 10)) == (
        True,
        ny(2026, 11, 27, 9, 30),
        ny(2026, 11, 25, 16),
    )
    assert clock.clock(ny(2026, 11, 25, 8)) == (
        False,
        ny(2026, 11, 25, 9, 30),
        ny(2026, 11, 25, 16),
    )
    assert clock.clock(ny(2026, 11, 25, 17)) == (
        False,
        ny(2026, 11, 27, 9, 30),
        ny(2026, 11, 27, 13),
    )
    assert clock.clock(ny(2026, 11, 28, 12)) == (
        False,
        ny(2026, 11, 30, 9, 30),
        ny(2026, 11, 30, 16),
    )


def test_market_date_is_the_new_york_date(calendar: MarketCalendar) -> None:
    clock = MarketClock(calendar, "real")
    assert clock.market_date(datetime(2026, 11, 26, 3, tzinfo=UTC)) == date(2026, 11, 25)
    assert clock.market_date(datetime(2026, 11, 26, 6, tzinfo=UTC)) == date(2026, 11, 26)
