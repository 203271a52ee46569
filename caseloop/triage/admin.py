from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from caseloop.triage.models import (
    AnalysisTemplate,
    DomainTerm,
    ExtractionPattern,
    PriorityRule,
    TriageDecision,
    TriageModelVersion,
    TriageSettings,
)


@admin.register(PriorityRule)
class PriorityRuleAdmin(admin.ModelAdmin[PriorityRule]):
    list_display = ["name", "level", "effect", "customer_tiers", "channels", "is_active", "position"]
    list_editable = ["is_active", "position"]


@admin.register(DomainTerm)
class DomainTermAdmin(admin.ModelAdmin[DomainTerm]):
    list_display = ["term", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["term"]


@admin.register(ExtractionPattern)
class ExtractionPatternAdmin(admin.ModelAdmin[ExtractionPattern]):
    list_display = ["kind", "regex", "note", "is_active"]


@admin.register(AnalysisTemplate)
class AnalysisTemplateAdmin(admin.ModelAdmin[AnalysisTemplate]):
    list_display = ["feedback_type", "updated_at"]


@admin.register(TriageSettings)
class TriageSettingsAdmin(admin.ModelAdmin[TriageSettings]):
    list_display = ["__str__", "auto_reject_enabled", "auto_reject_threshold", "type_confidence_threshold"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not TriageSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: TriageSettings | None = None) -> bool:
        return False


@admin.register(TriageModelVersion)
class TriageModelVersionAdmin(admin.ModelAdmin[TriageModelVersion]):
    list_display = ["version", "is_active", "created_at", "metrics"]
    readonly_fields = ["version", "trained_on", "metrics", "created_at"]
    exclude = ["artifact"]
    actions = ["activate"]

    @admin.action(description="Activate the selected version")
    def activate(self, request: HttpRequest, queryset: QuerySet[TriageModelVersion]) -> None:
        chosen = queryset.first()
        if chosen is not None:
            TriageModelVersion.objects.filter(is_active=True).update(is_active=False)
            TriageModelVersion.objects.filter(pk=chosen.pk).update(is_active=True)


@admin.register(TriageDecision)
class TriageDecisionAdmin(admin.ModelAdmin[TriageDecision]):
    list_display = ["case", "dimension", "predicted", "chosen", "is_override", "actor", "decided_at"]
    list_filter = ["dimension", "is_override"]
    readonly_fields = [f.name for f in TriageDecision._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
