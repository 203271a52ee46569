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
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_case_number must run inside the registering transaction")
    counters = CaseNumberSequence.objects.filter(prefix=prefix, day=day)
    if not counters.update(last_value=F("last_value") + 1):
        try:
            with transaction.atomic():
                CaseNumberSequence.objects.create(prefix=prefix, day=day, last_value=1)
        except IntegrityError:
            # Another registration created today's counter first; take the next value after it.
            counters.update(last_value=F("last_value") + 1)
    value = counters.values_list("last_value", flat=True).get()
    return format_case_number(prefix, day, value)
