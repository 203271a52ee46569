from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from caseloop.api.models import ApiKey, ApiScope, KeyVisibility
from caseloop.api.services import apikey_revoke


class ApiKeyForm(forms.ModelForm[ApiKey]):
    scopes = forms.MultipleChoiceField(label=_("scopes"), choices=ApiScope.choices,
                                       widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiKey
        fields = ["scopes", "rate_limit_per_minute"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    """Keys are created with `caseloop apikey create` (the key is shown once there); here an admin
    sees them, narrows their scopes or rate, and revokes them."""

    form = ApiKeyForm
    list_display = ["name", "prefix", "scope_list", "visibility_label", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    readonly_fields = ["name", "prefix", "user", "visibility_label", "created_at", "last_used_at", "revoked_at"]
    fields = ["name", "prefix", "user", "visibility_label", "scopes", "rate_limit_per_minute", "created_at",
              "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        return False  # revoke instead: cases and the access log name the key's service user

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiKey]:
        return super().get_queryset(request).select_related("user")

    @admin.display(description=_("scopes"))
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes)

    @admin.display(description=_("sees"))
    def visibility_label(self, obj: ApiKey) -> Any:
        return KeyVisibility(obj.visibility).label if obj.visibility else "—"

    @admin.action(description=_("Revoke the selected API keys"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        done = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            apikey_revoke(name=api_key.name)
            done += 1
        self.message_user(request, _("%(n)d API key(s) revoked.") % {"n": done}, messages.SUCCESS)
