"""Case numbers: prefix + YYYYMMDD + daily sequence (CF202611230001), never duplicated or skipped.

The counter row for (prefix, day) is incremented inside the registering transaction. On PostgreSQL
the UPDATE takes a row lock that serialises concurrent registrations until commit; on SQLite the
whole transaction holds the write lock (BEGIN IMMEDIATE). A registration that rolls back rolls
its increment back too, so no number is ever skipped.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from caseloop.cases.models import CaseNumberSequence

SEQUENCE_WIDTH = 4


def day_prefix(prefix: str, day: dt.date) -> str:
    """What every number of `day` starts with (CF20261123)."""
    return f"{prefix}{day:%Y%m%d}"


def format_case_number(prefix: str, day: dt.date, value: int) -> str:
    """Past 9999 in one day the sequence widens (…10000) rather than fails."""
    return f"{day_prefix(prefix, day)}{value:0{SEQUENCE_WIDTH}d}"


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
    last = _increment(prefix, day, count)
    if last is None:
        try:
            with transaction.atomic():
                CaseNumberSequence.objects.create(prefix=prefix, day=day, last_value=count)
            last = count
        except IntegrityError:
            # Another registration created today's counter first; take the next values after it.
            last = _increment(prefix, day, count)
    if last is None:  # pragma: no cover - the row exists once its insert failed on the unique key
        raise RuntimeError(f"no case number counter for {prefix} {day:%Y-%m-%d}")
    return [format_case_number(prefix, day, value) for value in range(last - count + 1, last + 1)]


def _increment(prefix: str, day: dt.date, count: int) -> int | None:
    """Add `count` to the counter and read it in one statement (UPDATE … RETURNING: PostgreSQL,
    SQLite ≥ 3.35): one round trip instead of two while the row lock is held. None: no counter yet."""
    connection = transaction.get_connection()
    table = connection.ops.quote_name(CaseNumberSequence._meta.db_table)
    prefix_column, day_column, value_column = (connection.ops.quote_name(c) for c in ("prefix", "day", "last_value"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {value_column} = {value_column} + %s "  # noqa: S608 - quoted names, no input
            f"WHERE {prefix_column} = %s AND {day_column} = %s RETURNING {value_column}",
            [count, prefix, connection.ops.adapt_datefield_value(day)])
        row = cursor.fetchone()
    return int(row[0]) if row else None
