"""Deadline arithmetic on China's working-day calendar (R7.2). Pure: no database.

Working days follow `chinese_calendar`: weekends and public holidays are off, officially adjusted
working days (调休) are on. Admin-editable calendars and per-priority policies come with the SLA
module; these defaults follow the process documents (high 3, medium 7, low 10 working days).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import chinese_calendar

RESOLUTION_WORKING_DAYS = {"high": 3, "medium": 7, "low": 10}
FIRST_RESPONSE_HOURS = 48


@lru_cache(maxsize=4096)  # chinese_calendar scans its whole table on every call
def is_working_day(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        # Years the calendar does not know yet: fall back to Monday–Friday.
        return day.weekday() < 5


def add_working_days(start: dt.datetime, days: int) -> dt.datetime:
    """The same time of day `days` working days after `start` (an aware datetime, local zone)."""
    day = start.date()
    remaining = days
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return start.replace(year=day.year, month=day.month, day=day.day)


def first_response_due(received_at: dt.datetime) -> dt.datetime:
    return received_at + dt.timedelta(hours=FIRST_RESPONSE_HOURS)


def resolution_due(first_response_due_at: dt.datetime, priority: str, zone: dt.tzinfo) -> dt.datetime:
    local = first_response_due_at.astimezone(zone)
    return add_working_days(local, RESOLUTION_WORKING_DAYS.get(priority, RESOLUTION_WORKING_DAYS["medium"]))
