from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from caseloop.accounts.models import Department
from caseloop.cases.choices import (
    FINISHED_STATUSES,
    CaseStatus,
    Channel,
    EventKind,
    FeedbackType,
    MessageDirection,
    Priority,
    RejectionReason,
    SpecialGroup,
)
from caseloop.core.models import TimeStampedModel
from caseloop.customers.models import Customer
from caseloop.products.models import Order, Product


class Case(TimeStampedModel):
    """One piece of customer feedback from intake to archive (反馈/投诉工单).

    `status` is assigned only by `cases.services.case_transition` (see workflow.py).
    Fields marked internal never reach the customer.
    """

    number = models.CharField(_("case number"), max_length=32, unique=True)
    status = models.CharField(_("status"), max_length=32, choices=CaseStatus.choices, default=CaseStatus.PENDING)
    # Where a paused case (on hold / needs information) returns when it resumes.
    status_before_pause = models.CharField(max_length=32, blank=True, editable=False)
    is_escalated = models.BooleanField(_("escalated"), default=False)

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    feedback_type = models.CharField(_("feedback type"), max_length=32, choices=FeedbackType.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    external_id = models.CharField(_("external ID"), max_length=120, blank=True)

    # What the customer said (R2.2): verbatim, never rewritten.
    subject = models.CharField(_("subject"), max_length=200)
    content = models.TextField(_("content"))
    expectation = models.TextField(_("customer expectation"), blank=True)
    evidence = models.TextField(_("evidence offered"), blank=True)

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="cases", verbose_name=_("customer"))

    # Product or service concerned.
    product = models.ForeignKey(Product, on_delete=models.SET_NULL, null=True, blank=True, related_name="cases",
                                verbose_name=_("product"))
    product_description = models.CharField(_("product (as described)"), max_length=200, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=80, blank=True)
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    purchase_voucher_number = models.CharField(_("purchase voucher number"), max_length=64, blank=True)
    service_name = models.CharField(_("service name"), max_length=120, blank=True)
    order = models.ForeignKey(Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="cases",
                              verbose_name=_("order"))
    order_number = models.CharField(_("order number"), max_length=64, blank=True, db_index=True)
    problem_occurred_at = models.DateTimeField(_("when the problem happened"), null=True, blank=True)
    problem_location = models.CharField(_("where the problem happened"), max_length=200, blank=True)

    # Repair complaints: the repair being complained about.
    repair_date = models.DateField(_("repair date"), null=True, blank=True)
    repair_location = models.CharField(_("repair place"), max_length=200, blank=True)
    repair_technician_code = models.CharField(_("technician ID"), max_length=40, blank=True)
    repair_work_done = models.TextField(_("work done in the repair"), blank=True)

    # Timeliness (R1.3): when the customer contacted us vs when the case was recorded.
    received_at = models.DateTimeField(_("received at"))
    recorded_at = models.DateTimeField(_("recorded at"))
    is_entry_late = models.BooleanField(_("entered late"), default=False)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="registered_cases", verbose_name=_("registered by"))

    # Who handles it.
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True, related_name="cases",
                                   verbose_name=_("department"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="owned_cases", verbose_name=_("owner"))

    # Deadlines: indexed because the list's overdue filter and the SLA sweep read them.
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True, db_index=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True, db_index=True)
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    # Outcomes of review.
    rejection_reason = models.CharField(_("rejection reason"), max_length=20, choices=RejectionReason.choices, blank=True)
    duplicate_of = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates",
                                     verbose_name=_("duplicate of"))
    hold_reason = models.CharField(_("hold reason"), max_length=300, blank=True)

    # Internal markers (R2.4): never shown to the customer.
    special_group = models.CharField(_("special group"), max_length=20, choices=SpecialGroup.choices, blank=True)
    needs_cross_department = models.BooleanField(_("cross-department coordination needed"), default=False)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            # The console list: newest first, usually narrowed by status, department or owner.
            models.Index(fields=["-received_at", "-id"], name="case_received_desc"),
            models.Index(fields=["status", "-received_at"], name="case_status_received"),
            models.Index(fields=["department", "status", "-received_at"], name="case_dept_status_received"),
            models.Index(fields=["owner", "-received_at"], name="case_owner_received"),
            models.Index(fields=["registered_by", "-received_at"], name="case_registrar_received"),
            models.Index(fields=["priority", "-received_at"], name="case_priority_received"),
            models.Index(fields=["channel", "-received_at"], name="case_channel_received"),
            models.Index(fields=["feedback_type", "-received_at"], name="case_type_received"),
            # The overdue filter (`selectors.overdue_condition`: open statuses, deadline passed) and the SLA
            # sweep: counted from this index alone instead of reading every case whose deadline has passed.
            models.Index(fields=["status", "resolution_due_at"], name="case_status_due"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], condition=~models.Q(external_id=""), name="case_unique_external_id"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES


class CaseNumberSequence(models.Model):
    """The last number handed out for one prefix on one day; locked while a case is registered."""

    prefix = models.CharField(max_length=16)
    day = models.DateField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "day"], name="case_number_sequence_unique_day")]

    def __str__(self) -> str:
        return f"{self.prefix}{self.day:%Y%m%d}: {self.last_value}"


class CaseEventQuerySet(models.QuerySet["CaseEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise TypeError("The case timeline is append-only.")


class CaseEvent(models.Model):
    """One entry of a case's timeline: who did what, when, before/after, and why. Append-only.

    A database trigger (migration 0002) refuses UPDATE as well, so not even raw SQL rewrites history.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    action = models.CharField(max_length=40, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    at = models.DateTimeField()
    from_status = models.CharField(max_length=32, blank=True)
    to_status = models.CharField(max_length=32, blank=True)
    # {"field": [before, after], …} for field changes and assignments.
    changes = models.JSONField(default=dict, blank=True)
    reason_code = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    # Whether the customer may ever see this entry (portal timeline); notes and markers are internal.
    is_internal = models.BooleanField(default=True)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at", "id"], name="case_event_timeline")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError("The case timeline is append-only.")
        super().save(*args, **kwargs)


class CaseMessage(models.Model):
    """A message exchanged with the customer about a case (inbound or outbound, on any channel)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=10, choices=MessageDirection.choices)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    body = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+")
    sent_at = models.DateTimeField()
    external_id = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["case", "sent_at"], name="case_message_order")]

    def __str__(self) -> str:
        return f"{self.direction} {self.sent_at:%Y-%m-%d %H:%M}"


# Stored files live in one folder per case under this one (cases/CF202611230001/…).
ATTACHMENT_ROOT = "cases"


def attachment_path(instance: CaseAttachment, filename: str) -> str:
    # The stored name is random; the customer's file name is kept in `original_name` only.
    return f"{ATTACHMENT_ROOT}/{instance.case.number}/{instance.sha256[:16]}-{instance.storage_suffix()}"


class CaseAttachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(_("description"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    def storage_suffix(self) -> str:
        ext = self.original_name.rsplit(".", 1)[-1].lower() if "." in self.original_name else "bin"
        return f"file.{ext[:8]}"


class CaseSearchDocument(models.Model):
    """The searchable form of a case, kept by the service layer in the same transaction.

    `words` holds jieba search-mode tokens, `grams` character bigrams of each CJK run in order
    (so a phrase query finds any substring of two or more characters). Both are folded to
    simplified Chinese and lower case. The full-text index over them is database-specific:
    an FTS5 table on SQLite (migration 0002); on PostgreSQL a stored generated tsvector column
    `document`, unknown to the ORM, with a GIN index (migration 0003).
    """

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="search_document")
    words = models.TextField()
    grams = models.TextField()

    def __str__(self) -> str:
        return f"search document of case {self.case_id}"
