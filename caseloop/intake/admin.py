from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from caseloop.intake.models import InboundMessage, InboundStatus, Mailbox, WebhookEndpoint
from caseloop.intake.services import intake_requeue


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin[InboundMessage]):
    """Quarantine included: admins see why a message failed and can process it again."""

    list_display = ["received_at", "channel", "source", "external_id", "status", "outcome", "case", "reason"]
    list_filter = ["status", "channel", "source"]
    search_fields = ["external_id", "reason"]
    raw_id_fields = ["case"]
    readonly_fields = ["channel", "source", "external_id", "received_at", "content_type", "payload", "status",
                       "outcome", "reason", "case", "attempts", "processed_at"]
    actions = ["reprocess"]

    @admin.action(description=_("Process the selected quarantined messages again"))
    def reprocess(self, request: HttpRequest, queryset: QuerySet[InboundMessage]) -> None:
        done = 0
        for message in queryset.filter(status=InboundStatus.QUARANTINED):
            intake_requeue(message.pk)
            done += 1
        self.message_user(request, _("%(n)d message(s) processed again.") % {"n": done}, messages.SUCCESS)


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin[Mailbox]):
    list_display = ["name", "address", "imap_host", "folder", "is_active", "last_polled_at", "last_error"]
    readonly_fields = ["uid_validity", "last_uid", "last_polled_at", "last_error"]

    def get_form(self, request: HttpRequest, obj: Mailbox | None = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        # The stored password is never sent back to the browser; leaving the field empty keeps it.
        form.base_fields["password"].widget = forms.PasswordInput(render_value=False)
        form.base_fields["password"].required = obj is None
        return form

    def save_model(self, request: HttpRequest, obj: Mailbox, form: Any, change: bool) -> None:
        if change and not form.cleaned_data.get("password"):
            obj.password = Mailbox.objects.values_list("password", flat=True).get(pk=obj.pk)
        super().save_model(request, obj, form, change)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin[WebhookEndpoint]):
    list_display = ["name", "channel", "key", "is_active"]
    list_filter = ["channel", "is_active"]
