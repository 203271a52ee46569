"""Reads of cases, always through the visibility rule in access.py."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from caseloop.accounts.models import User
from caseloop.cases import search
from caseloop.cases.access import visible_cases
from caseloop.cases.choices import RESOLVED_STATUSES, CaseStatus
from caseloop.cases.models import Case, CaseEvent
from caseloop.core import clock
from caseloop.customers.normalize import normalize_phone

SORTS = {
    "received": ("received_at", "id"),
    "-received": ("-received_at", "-id"),
    "due": ("resolution_due_at", "id"),
    "-due": ("-resolution_due_at", "-id"),
    "number": ("number",),
    "-number": ("-number",),
}
DEFAULT_SORT = "-received"

_CASE_NUMBER = re.compile(r"^[A-Za-z]{1,16}\d{9,}$")
_PHONE_LIKE = re.compile(r"^\+?[\d\s\-]{7,20}$")


@dataclass(frozen=True)
class CaseFilters:
    statuses: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    feedback_types: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    department_id: int | None = None
    owner_id: int | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    is_overdue: bool = False
    is_escalated: bool = False
    is_entry_late: bool = False  # R1.3: recorded later than the channel's entry limit
    awaits_manual_triage: bool = False  # R3.3: triage was unsure or content review objected; nobody confirmed yet
    text: str = ""
    sort: str = DEFAULT_SORT


def case_list(*, user: User, filters: CaseFilters) -> QuerySet[Case]:
    """Cases `user` may see, narrowed by `filters`, with what the list shows already joined."""
    cases = visible_cases(user)
    if filters.statuses:
        cases = cases.filter(status__in=filters.statuses)
    if filters.priorities:
        cases = cases.filter(priority__in=filters.priorities)
    if filters.feedback_types:
        cases = cases.filter(feedback_type__in=filters.feedback_types)
    if filters.channels:
        cases = cases.filter(channel__in=filters.channels)
    if filters.department_id:
        cases = cases.filter(department_id=filters.department_id)
    if filters.owner_id:
        cases = cases.filter(owner_id=filters.owner_id)
    zone = clock.organisation_zone()
    if filters.received_from:
        cases = cases.filter(received_at__gte=dt.datetime.combine(filters.received_from, dt.time.min, zone))
    if filters.received_to:
        cases = cases.filter(received_at__lt=dt.datetime.combine(filters.received_to + dt.timedelta(days=1),
                                                                 dt.time.min, zone))
    if filters.is_overdue:
        cases = cases.filter(overdue_condition())
    if filters.is_escalated:
        cases = cases.filter(is_escalated=True)
    if filters.is_entry_late:
        cases = cases.filter(is_entry_late=True)
    if filters.awaits_manual_triage:
        cases = cases.filter(triage__needs_manual_dispatch=True, triage__confirmed_at__isnull=True,
                             status__in=OPEN_STATUSES)
    if filters.text.strip():
        cases = cases.filter(text_condition(filters.text))
    return (
        cases.select_related("customer", "department", "owner")
        .only(
            "id", "number", "status", "priority", "channel", "feedback_type", "subject", "received_at",
            "resolution_due_at", "is_escalated", "is_entry_late", "customer__name", "customer__is_anonymous",
            "department__name", "owner__username", "owner__display_name",
            # str(owner) falls back to the full name when there is no display name.
            "owner__first_name", "owner__last_name",
        )
        .order_by(*SORTS.get(filters.sort, SORTS[DEFAULT_SORT]))
    )


# Every status but the resolved ones, spelled out: `status IN (…)` can be read from the index on
# (status, resolution_due_at); `NOT status IN (…)` makes the database visit every past deadline.
OPEN_STATUSES = tuple(status.value for status in CaseStatus if status not in RESOLVED_STATUSES)


def overdue_condition() -> Q:
    """Open cases whose resolution deadline has passed (used by the list filter and the SLA sweep)."""
    return Q(status__in=OPEN_STATUSES, resolution_due_at__lt=clock.now())


def text_condition(text: str) -> Q:
    """Search by case number, phone or order number, or Chinese/Latin full text over subject and content."""
    text = text.strip()
    if _CASE_NUMBER.match(text):
        return Q(number=text.upper())
    if _PHONE_LIKE.match(text) and sum(ch.isdigit() for ch in text) >= 7:
        # A run of digits is a phone number or an all-digit order number; both columns are indexed.
        return Q(customer__phone_normalized=normalize_phone(text)) | Q(order_number=text)
    terms = search.query_terms(text)
    if not terms:
        return Q(pk__in=[])
    if connection.vendor == "postgresql":
        # `document` is the stored weighted tsvector of words and grams (migration 0003).
        sql = "SELECT case_id FROM cases_casesearchdocument WHERE document @@ to_tsquery('simple'::regconfig, %s)"
        return Q(id__in=RawSQL(sql, [search.tsquery(terms)]))  # noqa: S611 - the query text is a bound parameter
    sql = "SELECT rowid FROM cases_case_fts WHERE cases_case_fts MATCH %s"
    return Q(id__in=RawSQL(sql, [search.fts5_match(terms)]))  # noqa: S611 - the query text is a bound parameter


def case_timeline(case: Case, *, include_internal: bool = True) -> QuerySet[CaseEvent]:
    events = case.events.select_related("actor").order_by("at", "id")
    return events if include_internal else events.filter(is_internal=False)
