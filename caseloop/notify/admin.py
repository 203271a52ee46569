from django.contrib import admin

from caseloop.notify.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin[OutboxMessage]):
    list_display = ["created_at", "transport", "recipient", "status", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["status", "transport"]
    search_fields = ["recipient", "dedupe_key"]
    raw_id_fields = ["case"]
    readonly_fields = ["sent_at", "claimed_at", "attempts", "last_error"]
