"""The vocabularies of a case. Codes are stable (stored, used by the API); labels are translated."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CaseStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    RESOLVED = "resolved", _("Resolved")
    CLOSED_PENDING_FOLLOW_UP = "closed_pending_follow_up", _("Closed, follow-up pending")
    CLOSED = "closed", _("Closed")
    NEEDS_INFORMATION = "needs_information", _("Needs information")
    ON_HOLD = "on_hold", _("On hold")
    REJECTED = "rejected", _("Rejected")
    DUPLICATE = "duplicate", _("Duplicate")
    REOPENED = "reopened", _("Reopened")


# Statuses in which nobody owes the customer anything more; deadlines stop counting.
FINISHED_STATUSES = frozenset(
    {CaseStatus.CLOSED, CaseStatus.CLOSED_PENDING_FOLLOW_UP, CaseStatus.REJECTED, CaseStatus.DUPLICATE}
)
# Work is done but the loop is not closed yet; the resolution deadline is met.
RESOLVED_STATUSES = frozenset({CaseStatus.RESOLVED, *FINISHED_STATUSES})


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    API = "api", _("App / API")
    EMAIL = "email", _("E-mail")
    WECHAT = "wechat", _("WeChat")
    SMS = "sms", _("SMS")
    SOCIAL = "social", _("Social media / forum")
    PHONE = "phone", _("Phone hotline")
    SERVICE_CENTER = "service_center", _("Service centre")
    STORE = "store", _("Store counter")
    PAPER = "paper", _("Paper form")
    IMPORT = "import", _("Bulk import")


# Channels entered by a person (R1.3: due within 30 minutes); the rest are system channels (5 minutes).
MANUAL_CHANNELS = frozenset({Channel.PHONE, Channel.SERVICE_CENTER, Channel.STORE, Channel.PAPER})
OFFLINE_CHANNELS = frozenset({Channel.SERVICE_CENTER, Channel.STORE, Channel.PAPER})


class Priority(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


PRIORITY_RANK = {Priority.HIGH: 0, Priority.MEDIUM: 1, Priority.LOW: 2}


class FeedbackType(models.TextChoices):
    """The default type taxonomy (R3.3); triage may later make the taxonomy editable data."""

    PRODUCT_QUALITY = "product_quality", _("Product quality")
    PRODUCT_FUNCTION = "product_function", _("Product function")
    SYSTEM_FAULT = "system_fault", _("System fault")
    PRIVACY_SECURITY = "privacy_security", _("Privacy & data security")
    SERVICE_ATTITUDE = "service_attitude", _("Service attitude")
    SERVICE_PROCESS = "service_process", _("Service process")
    LOGISTICS = "logistics", _("Logistics & delivery")
    AFTER_SALES = "after_sales", _("After-sales consultation")
    REPAIR_QUALITY = "repair_quality", _("Repair quality")
    PARTS = "parts", _("Parts")
    FEE_DISPUTE = "fee_dispute", _("Fee dispute")
    SUGGESTION = "suggestion", _("Suggestion")
    CONSULTATION = "consultation", _("Consultation")
    OTHER = "other", _("Other")


class RejectionReason(models.TextChoices):
    SPAM = "spam", _("Advertising / spam")
    ABUSE = "abuse", _("Abuse / insults")
    OUT_OF_SCOPE = "out_of_scope", _("Out of scope")
    FAKE = "fake", _("Fake or malicious report")
    MEANINGLESS = "meaningless", _("Meaningless content")


class SpecialGroup(models.TextChoices):
    NONE = "", _("None")
    ELDERLY = "elderly", _("Elderly")
    DISABLED = "disabled", pgettext_lazy("special group", "Disabled")
    MINOR = "minor", _("Minor")
    PREGNANT = "pregnant", _("Pregnant")
    OTHER = "other", _("Other vulnerable group")


class EventKind(models.TextChoices):
    CREATED = "created", _("Registered")
    STATUS_CHANGED = "status_changed", _("Status changed")
    FIELDS_CHANGED = "fields_changed", _("Fields changed")
    ASSIGNED = "assigned", _("Assigned")
    NOTE = "note", _("Internal note")
    MESSAGE_IN = "message_in", _("Message from customer")
    MESSAGE_OUT = "message_out", _("Message to customer")
    ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
    ESCALATED = "escalated", _("Escalated")
    DEESCALATED = "deescalated", _("Escalation withdrawn")
    TRIAGED = "triaged", _("Triaged")
    TRIAGE_CONFIRMED = "triage_confirmed", _("Classification and priority confirmed")


class MessageDirection(models.TextChoices):
    INBOUND = "inbound", _("From customer")
    OUTBOUND = "outbound", _("To customer")
