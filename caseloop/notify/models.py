from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from caseloop.cases.models import Case
from caseloop.core.models import TimeStampedModel


class Transport(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    WEBHOOK = "webhook", _("Webhook")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed, gave up")


class OutboxMessage(TimeStampedModel):
    """A message to a customer, written in the same transaction as the change that caused it.

    A drain claims due rows with a conditional UPDATE and sends them; a failure is retried with
    back-off. `dedupe_key` makes the same notification impossible to queue twice.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="outbox")
    transport = models.CharField(max_length=20, choices=Transport.choices)
    recipient = models.CharField(max_length=254)
    sender = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField()
    headers = models.JSONField(default=dict, blank=True)
    dedupe_key = models.CharField(max_length=200, unique=True)
    # Automatic acknowledgements are not the handler's first response (R7.1).
    is_automatic = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            # The drain's query: due messages, oldest first.
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
        ]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outbox")

    def __str__(self) -> str:
        return f"{self.transport} → {self.recipient} ({self.status})"
