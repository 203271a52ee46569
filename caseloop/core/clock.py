"""Time in the organisation's zone. One place, so the day boundary is right everywhere.

`recorded_as_of()` lets a trusted batch (demo data, a migration of historical cases) write
records at the time they really happened instead of now; requests never use it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

_as_of: ContextVar[dt.datetime | None] = ContextVar("caseloop_clock_as_of", default=None)


def now() -> dt.datetime:
    moment = _as_of.get()
    return moment if moment is not None else timezone.now()


@contextmanager
def recorded_as_of(moment: dt.datetime) -> Iterator[None]:
    """Within the block, `now()` is `moment` (an aware datetime)."""
    if moment.tzinfo is None:
        raise ValueError("recorded_as_of needs an aware datetime")
    token = _as_of.set(moment)
    try:
        yield
    finally:
        _as_of.reset(token)


def organisation_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar day of `moment` as the organisation sees it (Asia/Shanghai by default)."""
    return moment.astimezone(organisation_zone()).date()


def localtime(moment: dt.datetime) -> dt.datetime:
    """`moment` in the organisation's zone (relative dates such as 昨天 are read there)."""
    return moment.astimezone(organisation_zone())
