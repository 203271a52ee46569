"""Deadline arithmetic on China's working-day calendar (R7.2). Pure: no database.

2026 dates, as published by the State Council and encoded in chinese_calendar:
National Day 1–7 October off; Sunday 20 September and Saturday 10 October are working days (调休);
Mid-Autumn Festival 25–27 September off.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from caseloop.sla.deadlines import add_working_days, first_response_due, is_working_day, resolution_due

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (dt.date(2026, 11, 20), True),  # Friday
        (dt.date(2026, 11, 21), False),  # Saturday
        (dt.date(2026, 11, 22), False),  # Sunday
        (dt.date(2026, 9, 30), True),  # Wednesday before National Day
        *[(dt.date(2026, 10, d), False) for d in range(1, 8)],  # National Day holiday, 1–7 October
        (dt.date(2026, 10, 8), True),
        (dt.date(2026, 10, 10), True),  # Saturday worked in exchange (调休)
        (dt.date(2026, 10, 11), False),  # the Sunday after it is off
        (dt.date(2026, 9, 20), True),  # Sunday worked in exchange (调休)
        (dt.date(2026, 9, 25), False),  # Mid-Autumn Festival, a Friday
    ],
)
def test_working_days_follow_the_official_2026_calendar(day: dt.date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("day", "working"),
    [(dt.date(2099, 1, 3), False), (dt.date(2099, 1, 5), True)],  # a Saturday and a Monday
)
def test_years_the_calendar_does_not_know_fall_back_to_monday_to_friday(day: dt.date, working: bool) -> None:
    assert is_working_day(day) is working


def test_adding_working_days_skips_the_weekend() -> None:
    # Friday 20 November + 1 → Monday 23 November, same time of day
    assert add_working_days(at(2026, 11, 20, 15, 30), 1) == at(2026, 11, 23, 15, 30)
    assert add_working_days(at(2026, 11, 20, 15, 30), 3) == at(2026, 11, 25, 15, 30)


def test_adding_working_days_skips_the_national_day_holiday() -> None:
    # Wednesday 30 September + 1 → Thursday 8 October
    assert add_working_days(at(2026, 9, 30), 1) == at(2026, 10, 8)


def test_an_adjusted_working_saturday_counts() -> None:
    # Friday 9 October + 1 → Saturday 10 October (调休), not Monday 12 October
    assert add_working_days(at(2026, 10, 9), 1) == at(2026, 10, 10)
    # and + 2 → Monday 12 October (Sunday 11 is off)
    assert add_working_days(at(2026, 10, 9), 2) == at(2026, 10, 12)


def test_adding_from_a_holiday_counts_from_the_next_working_day() -> None:
    # Saturday 3 October (holiday) + 1 → Thursday 8 October
    assert add_working_days(at(2026, 10, 3), 1) == at(2026, 10, 8)


def test_adding_zero_working_days_is_the_same_moment() -> None:
    assert add_working_days(at(2026, 10, 3), 0) == at(2026, 10, 3)


def test_first_response_is_due_48_hours_after_contact_whatever_the_calendar() -> None:
    assert first_response_due(at(2026, 9, 30, 18, 0)) == at(2026, 10, 2, 18, 0)


@pytest.mark.parametrize(
    ("priority", "due"),
    [
        # First response due Wednesday 30 September 02:00 Shanghai (Tuesday 18:00 UTC)
        ("high", at(2026, 10, 10, 2, 0)),  # 8, 9, 10 October
        ("medium", at(2026, 10, 15, 2, 0)),  # 8, 9, 10, 12, 13, 14, 15
        ("low", at(2026, 10, 20, 2, 0)),  # … 16, 19, 20
        ("unknown", at(2026, 10, 15, 2, 0)),  # treated as medium
    ],
)
def test_resolution_is_due_a_number_of_working_days_after_first_response_in_local_time(
    priority: str, due: dt.datetime
) -> None:
    first_response_due_at = dt.datetime(2026, 9, 29, 18, 0, tzinfo=dt.UTC)

    assert resolution_due(first_response_due_at, priority, SHANGHAI) == due
