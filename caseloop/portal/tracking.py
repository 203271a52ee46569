"""What a customer sees of their case at /track/: reads only, and only what is meant for them.

The customer view is built from events flagged `is_internal=False` and from the messages exchanged
with the customer. Even from those, only the kind of change and the customer's own words are
shown: no staff names (a role-neutral "Customer service" instead), no free-text reasons written by
staff (they are written for colleagues), no other case's number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from caseloop.cases.choices import CaseStatus, EventKind, MessageDirection
from caseloop.cases.models import Case, CaseEvent, CaseMessage
from caseloop.cases.selectors import case_timeline
from caseloop.intake.services import tracking_code_matches


def find_tracked_case(number: str, code: str) -> Case | None:
    """The case with this number if the code is its tracking code; None for any wrong pair.

    A wrong number costs the same HMAC as a wrong code, so timing does not tell them apart either.
    """
    case = Case.objects.filter(number=number.strip().upper()).select_related("tracking").first()
    if case is None:
        hmac.compare_digest(hmac.new(settings.SECRET_KEY.encode(), code.encode(), hashlib.sha256).hexdigest(), "0" * 64)
        return None
    return case if tracking_code_matches(case, code) else None


@dataclass(frozen=True)
class PublicEntry:
    at: dt.datetime
    title: str
    detail: str = ""


@dataclass(frozen=True)
class PublicMessage:
    at: dt.datetime
    is_from_customer: bool
    author_label: str
    body: str


# What each status means for the customer, in plain words.
STATUS_EXPLANATIONS = {
    CaseStatus.PENDING: gettext_lazy("We have received your feedback and will review it shortly."),
    CaseStatus.ACCEPTED: gettext_lazy("Your case has been accepted and handed to the responsible team."),
    CaseStatus.IN_PROGRESS: gettext_lazy("We are working on your case."),
    CaseStatus.AWAITING_APPROVAL: gettext_lazy("A solution has been proposed and is being approved."),
    CaseStatus.RESOLVED: gettext_lazy("We consider your case resolved. Tell us if it is not."),
    CaseStatus.CLOSED_PENDING_FOLLOW_UP: gettext_lazy("Your case is closed; we may contact you to ask how it went."),
    CaseStatus.CLOSED: gettext_lazy("Your case is closed."),
    CaseStatus.NEEDS_INFORMATION: gettext_lazy("We need more information from you. Please reply below or to our message."),
    CaseStatus.ON_HOLD: gettext_lazy("Your case is waiting for something outside our control; we will continue as soon as we can."),
    CaseStatus.REJECTED: gettext_lazy("We could not take up this case."),
    CaseStatus.DUPLICATE: gettext_lazy("This matter is handled together with an earlier case."),
    CaseStatus.REOPENED: gettext_lazy("Your case has been reopened and will be handled again."),
}


def status_explanation(status: str) -> str:
    text = STATUS_EXPLANATIONS.get(CaseStatus(status)) if status in CaseStatus.values else None
    return str(text) if text else ""


def public_entry(event: CaseEvent) -> PublicEntry | None:
    """The customer's view of one timeline event, or None when the customer does not see it. Pure."""
    if event.is_internal:
        return None
    if event.kind == EventKind.CREATED:
        return PublicEntry(at=event.at, title=_("Feedback received"))
    if event.kind == EventKind.STATUS_CHANGED and event.to_status in CaseStatus.values:
        return PublicEntry(at=event.at, title=_("Status: %(status)s") % {"status": CaseStatus(event.to_status).label},
                           detail=status_explanation(event.to_status))
    if event.kind == EventKind.ATTACHMENT_ADDED:
        return PublicEntry(at=event.at, title=_("Attachment added"))
    # Messages are shown in the conversation with their full text; anything else stays with staff.
    return None


def public_timeline(case: Case) -> list[PublicEntry]:
    events = case_timeline(case, include_internal=False).only(
        "at", "kind", "to_status", "is_internal", "case_id").select_related(None)
    return [entry for event in events if (entry := public_entry(event)) is not None]


def public_messages(case: Case) -> list[PublicMessage]:
    messages = CaseMessage.objects.filter(case=case).only("sent_at", "direction", "body").order_by("sent_at", "id")
    return [
        PublicMessage(at=message.sent_at, is_from_customer=message.direction == MessageDirection.INBOUND,
                      author_label=_("You") if message.direction == MessageDirection.INBOUND else _("Customer service"),
                      body=message.body)
        for message in messages
    ]
