"""Time in the organisation's zone. One place, so tests can travel and the day boundary is right."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()


def organisation_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar day of `moment` as the organisation sees it (Asia/Shanghai by default)."""
    return moment.astimezone(organisation_zone()).date()
