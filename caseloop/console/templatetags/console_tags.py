"""Template helpers that turn stored codes into the words an agent reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _

from caseloop.cases.choices import (
    RESOLVED_STATUSES,
    CaseStatus,
    Channel,
    EventKind,
    FeedbackType,
    Priority,
    RejectionReason,
)
from caseloop.cases.models import Case, CaseEvent
from caseloop.customers.masking import mask_name

register = template.Library()

_LABELS: dict[str, dict[str, Any]] = {
    "status": dict(CaseStatus.choices),
    "channel": dict(Channel.choices),
    "priority": dict(Priority.choices),
    "feedback_type": dict(FeedbackType.choices),
    "rejection_reason": dict(RejectionReason.choices),
    "kind": dict(EventKind.choices),
}


@register.filter
def label(code: str, vocabulary: str) -> str:
    """{{ event.to_status|label:"status" }} → 已受理"""
    if not code:
        return ""
    return str(_LABELS.get(vocabulary, {}).get(code, code))


@register.filter
def field_label(name: str) -> str:
    try:
        field = Case._meta.get_field(name)
    except FieldDoesNotExist:  # e.g. "message_id" in a message event: show the name itself
        return name
    return str(getattr(field, "verbose_name", name))


@register.filter
def change_value(value: Any, name: str) -> str:
    if value in (None, ""):
        return "—"
    if name in _LABELS:
        return label(str(value), name)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


@register.filter
def is_overdue(case: Case, now: dt.datetime) -> bool:
    return bool(case.resolution_due_at and case.resolution_due_at < now and case.status not in RESOLVED_STATUSES)


@register.filter
def event_changes(event: CaseEvent) -> list[tuple[str, Any, Any]]:
    return [(name, pair[0], pair[1]) for name, pair in event.changes.items() if isinstance(pair, list) and len(pair) == 2]



@register.filter
def masked_name(name: str) -> str:
    """The list shows names masked to roles that may not see personal data (张三 → 张*)."""
    return mask_name(name)


@register.filter
def triage_label(code: str, vocabulary: str) -> str:
    """{{ triage.result.emotion|triage_label:"emotion" }} → 强烈"""
    from caseloop.triage import labels

    table = {"review": labels.REVIEW, "sentiment": labels.SENTIMENT, "emotion": labels.EMOTION,
             "domain": labels.DOMAIN, "product_line": labels.PRODUCT_LINE, "demand": labels.DEMAND,
             "source": labels.SOURCE, "entity": labels.ENTITY}.get(vocabulary, {})
    return str(table.get(code, code)) if code else "—"


@register.filter
def entity_value(entity: dict[str, Any]) -> str:
    """An extracted value as an agent reads it: a date-time without its ISO 'T' and offset."""
    value = str(entity.get("value", ""))
    if entity.get("kind") == "datetime" and "T" in value:
        return value.replace("T", " ")[:16]
    return value


@register.filter
def reason_text(reason: dict[str, Any]) -> str:
    from caseloop.triage.labels import reason_text as text

    return text(reason)


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{float(value):.0%}"
