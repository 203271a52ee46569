"""Case numbers: prefix + YYYYMMDD + daily sequence (CF202611230001), never duplicated or skipped.

The counter row for (prefix, day) is incremented inside the registering transaction. On PostgreSQL
the UPDATE takes a row lock that serialises concurrent registrations until commit; on SQLite the
whole transaction holds the write lock (BEGIN IMMEDIATE). A registration that rolls back rolls
its increment back too, so no number is ever skipped.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F

from caseloop.cases.models import CaseNumberSequence

SEQUENCE_WIDTH = 4


def format_case_number(prefix: str, day: dt.date, value: int) -> str:
    """Past 9999 in one day the sequence widens (…10000) rather than fails."""
    return f"{prefix}{day:%Y%m%d}{value:0{SEQUENCE_WIDTH}d}"


def allocate_case_number(*, prefix: str, day: dt.date) -> str:
    """The next number for `day`. Call inside the transaction that creates the case."""
    return allocate_case_numbers(prefix=prefix, day=day, count=1)[0]


def allocate_case_numbers(*, prefix: str, day: dt.date, count: int) -> list[str]:
    """`count` consecutive numbers for `day` (bulk import takes a block at once).

    Call inside the transaction that creates the cases.
    """
    if count < 1:
        raise ValueError("count must be at least 1")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_case_number must run inside the registering transaction")
    counters = CaseNumberSequence.objects.filter(prefix=prefix, day=day)
    if not counters.update(last_value=F("last_value") + count):
        try:
            with transaction.atomic():
                CaseNumberSequence.objects.create(prefix=prefix, day=day, last_value=count)
        except IntegrityError:
            # Another registration created today's counter first; take the next values after it.
            counters.update(last_value=F("last_value") + count)
    last = counters.values_list("last_value", flat=True).get()
    return [format_case_number(prefix, day, value) for value in range(last - count + 1, last + 1)]
