from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from caseloop.cases.choices import Channel
from caseloop.cases.models import Case
from caseloop.core.models import TimeStampedModel


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("Received, not yet processed")
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Ignored")
    QUARANTINED = "quarantined", _("Quarantined")


class InboundOutcome(models.TextChoices):
    CREATED = "created", _("Created a case")
    APPENDED = "appended", _("Added to an existing case")
    LINKED = "linked", _("Linked to an earlier case of the same customer")
    NONE = "", _("—")


class InboundMessage(TimeStampedModel):
    """A message exactly as a channel delivered it, stored before any processing.

    Webhooks and mailboxes answer the sender only after this row is committed, so a crash after
    the acknowledgement loses nothing: processing is retried from the stored payload. The unique
    (channel, source, external_id) makes redelivery of the same message a no-op.
    """

    channel = models.CharField(max_length=20, choices=Channel.choices)
    source = models.CharField(_("source"), max_length=120, help_text=_("Mailbox, webhook or import the message came through."))
    external_id = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField()
    content_type = models.CharField(max_length=120, blank=True)
    payload = models.BinaryField()
    status = models.CharField(max_length=12, choices=InboundStatus.choices, default=InboundStatus.RECEIVED)
    outcome = models.CharField(max_length=12, choices=InboundOutcome.choices, blank=True)
    reason = models.TextField(blank=True)
    case = models.ForeignKey(Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_messages")
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["channel", "source", "external_id"], condition=~models.Q(external_id=""),
                                    name="inbound_unique_external_id"),
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="inbound_status_received")]
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")

    def __str__(self) -> str:
        return f"{self.channel}/{self.source} {self.external_id or self.pk} ({self.status})"


class CaseTracking(models.Model):
    """The customer's tracking code for a case (number + code open /track/). Only a hash is kept."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="tracking")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"tracking of case {self.case_id}"


class Mailbox(TimeStampedModel):
    """An e-mail address customers write to, read over IMAP; acknowledgements leave from it by SMTP.

    The password is never logged or shown back (see __repr__ and the admin form).
    """

    name = models.CharField(_("name"), max_length=80, unique=True)
    address = models.EmailField(_("address"), help_text=_("Customers write to this address; replies leave from it."))
    imap_host = models.CharField(_("IMAP host"), max_length=200)
    imap_port = models.PositiveIntegerField(_("IMAP port"), default=993)
    imap_security = models.CharField(_("IMAP security"), max_length=10, default="ssl",
                                     choices=[("ssl", "SSL/TLS"), ("starttls", "STARTTLS"), ("none", _("none"))])
    username = models.CharField(_("user name"), max_length=200)
    password = models.CharField(_("password"), max_length=200)
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    is_active = models.BooleanField(_("active"), default=True)
    # Where the last poll stopped: the folder's UIDVALIDITY and the highest UID taken in.
    uid_validity = models.BigIntegerField(null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False)
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>"

    def __repr__(self) -> str:
        return f"<Mailbox {self.name} {self.username}@{self.imap_host}:{self.imap_port}>"


class WebhookEndpoint(TimeStampedModel):
    """An inbound webhook at /hooks/<channel>/<key>/: a WeChat account, an SMS gateway, a social tool.

    WeChat signs with `token` (SHA-1 of token, timestamp, nonce); the others sign the body with
    HMAC-SHA256 under `secret`. Secrets are never logged.
    """

    channel = models.CharField(max_length=20, choices=Channel.choices)
    key = models.SlugField(_("key"), max_length=64, unique=True, help_text=_("The last part of the hook's URL."))
    name = models.CharField(_("name"), max_length=80)
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    token = models.CharField(_("WeChat token"), max_length=200, blank=True)
    app_id = models.CharField(_("app ID"), max_length=64, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return f"{self.get_channel_display()} · {self.name}"

    def __repr__(self) -> str:
        return f"<WebhookEndpoint {self.channel}/{self.key}>"
