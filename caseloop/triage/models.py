"""Triage data: model versions, each case's assessment, people's decisions, and what admins edit.

The engine (engine.py and the modules it uses) never touches these; `services.py` reads the
configuration into plain values and stores what the engine concluded.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from caseloop.cases.choices import FeedbackType, Priority
from caseloop.cases.models import Case, CaseMessage
from caseloop.core.models import TimeStampedModel


class TriageModelVersion(TimeStampedModel):
    """A trained model bundle (classifier.ModelBundle), pickled; at most one is active."""

    version = models.CharField(_("version"), max_length=40, unique=True)
    is_active = models.BooleanField(_("active"), default=False)
    artifact = models.BinaryField()
    trained_on = models.JSONField(_("trained on"), default=dict)
    metrics = models.JSONField(_("evaluation"), default=dict)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("triage model version")
        verbose_name_plural = _("triage model versions")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["is_active"], condition=models.Q(is_active=True),
                                               name="triage_one_active_model")]

    def __str__(self) -> str:
        return self.version


class CaseTriage(models.Model):
    """The latest automatic assessment of a case and whether a person has confirmed it.

    `result` holds the whole assessment (engine.Assessment.as_dict) with every reason; the columns
    repeat what lists, queues and KPIs filter on.
    """

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="triage")
    assessed_at = models.DateTimeField()
    received_at = models.DateTimeField()  # the case's; the surge count reads (type, received_at)
    model_version = models.CharField(max_length=40)
    rules_digest = models.CharField(max_length=16)
    review = models.CharField(max_length=20)
    review_confidence = models.FloatField()
    predicted_type = models.CharField(max_length=32)
    type_confidence = models.FloatField()
    predicted_priority = models.CharField(max_length=10)
    needs_manual_dispatch = models.BooleanField(default=False)
    result = models.JSONField(default=dict)
    # Which case fields triage filled (they were empty) and which it only suggests.
    applied = models.JSONField(default=dict)
    suggestions = models.JSONField(default=dict)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")

    class Meta:
        indexes = [
            # The surge signal: cases of one type received in the last hours.
            models.Index(fields=["predicted_type", "received_at"], name="triage_type_received"),
            # The queues: unconfirmed cases the model was unsure about, suspected spam.
            models.Index(fields=["needs_manual_dispatch", "confirmed_at"], name="triage_manual_queue"),
            models.Index(fields=["review", "confirmed_at"], name="triage_review_queue"),
        ]

    def __str__(self) -> str:
        return f"triage of case {self.case_id}"


class TriageAssessment(models.Model):
    """Every triage run (a new case, a new customer message, a re-run), kept as history."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="triage_runs")
    message = models.ForeignKey(CaseMessage, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    assessed_at = models.DateTimeField()
    model_version = models.CharField(max_length=40)
    rules_digest = models.CharField(max_length=16)
    result = models.JSONField(default=dict)

    class Meta:
        ordering = ["assessed_at", "id"]
        indexes = [models.Index(fields=["case", "assessed_at"], name="triage_run_case")]

    def __str__(self) -> str:
        return f"triage run {self.pk} of case {self.case_id}"


class TriageDecision(models.Model):
    """A person confirmed or corrected one automatic label (问题分类与优先级确认表).

    Training data for the next model (`caseloop triage train`), and the handling deviation rate
    (处理偏差率: overridden / decided, R4.4).
    """

    class Dimension(models.TextChoices):
        TYPE = "type", _("Type")
        PRIORITY = "priority", _("Priority")
        REVIEW = "review", _("Content review")
        DOMAIN = "domain", _("Problem domain")
        PRODUCT_LINE = "product_line", _("Product line")
        DEMAND = "demand", _("Core demand")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="triage_decisions")
    dimension = models.CharField(max_length=20, choices=Dimension.choices)
    predicted = models.CharField(max_length=40)
    chosen = models.CharField(max_length=40)
    is_override = models.BooleanField()
    model_version = models.CharField(max_length=40)
    text = models.TextField()  # what was classified, kept so retraining needs no join
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["dimension", "decided_at"], name="triage_decision_period")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.dimension}: {self.predicted} → {self.chosen}"


class PriorityRule(TimeStampedModel):
    """R4: a preset grading rule an admin edits (keywords and conditions → a level)."""

    class Effect(models.TextChoices):
        AT_LEAST = "at_least", _("At least this level")
        RAISE = "raise", _("Raise one level (up to this level)")

    name = models.CharField(_("name"), max_length=80)
    level = models.CharField(_("level"), max_length=10, choices=Priority.choices, default=Priority.HIGH)
    effect = models.CharField(_("effect"), max_length=10, choices=Effect.choices, default=Effect.AT_LEAST)
    keywords = models.TextField(_("keywords"), blank=True,
                                help_text=_("One per line; /…/ for a regular expression. Any of them matches."))
    customer_tiers = models.CharField(_("customer tiers"), max_length=200, blank=True,
                                      help_text=_("Comma-separated tier codes, e.g. vip,enterprise"))
    channels = models.CharField(_("channels"), max_length=200, blank=True, help_text=_("Comma-separated channel codes"))
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("priority rule")
        verbose_name_plural = _("priority rules")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        for line in self.keywords.splitlines():
            line = line.strip()
            if len(line) > 2 and line.startswith("/") and line.endswith("/"):
                try:
                    re.compile(line[1:-1])
                except re.error as exc:
                    raise ValidationError({"keywords": _("Not a valid pattern: %(p)s (%(e)s)") % {"p": line, "e": exc}}) from exc
        if not self.keywords.strip() and not self.customer_tiers.strip() and not self.channels.strip():
            raise ValidationError(_("A rule needs keywords or a condition."))


class DomainTerm(TimeStampedModel):
    """A word jieba should keep whole: a product name, a model, an error word (领域词典)."""

    class Kind(models.TextChoices):
        PRODUCT = "product", _("Product")
        MODEL = "model", _("Model")
        FAULT = "fault", _("Fault word")
        OTHER = "other", _("Other")

    term = models.CharField(_("term"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.PRODUCT)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["term"]
        verbose_name = _("domain term")
        verbose_name_plural = _("domain terms")

    def __str__(self) -> str:
        return self.term


class ExtractionPattern(TimeStampedModel):
    """The organisation's own pattern for order numbers, models or serial numbers (R3.3)."""

    class Kind(models.TextChoices):
        ORDER_NUMBER = "order_number", _("Order number")
        PRODUCT_MODEL = "product_model", _("Product model")
        SERIAL_NUMBER = "serial_number", _("Serial number")
        TRACKING_NUMBER = "tracking_number", _("Tracking number")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    regex = models.CharField(_("pattern"), max_length=300,
                             help_text=_("A regular expression; a group named value marks the part to keep."))
    note = models.CharField(_("note"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("extraction pattern")
        verbose_name_plural = _("extraction patterns")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.regex}"

    def clean(self) -> None:
        try:
            re.compile(self.regex)
        except re.error as exc:
            raise ValidationError({"regex": _("Not a valid pattern: %(e)s") % {"e": exc}}) from exc


class AnalysisTemplate(TimeStampedModel):
    """What the handler checks and asks for one problem type (R3.2 analysis templates)."""

    feedback_type = models.CharField(_("type"), max_length=32, choices=FeedbackType.choices, unique=True)
    checks = models.TextField(_("what to check"), help_text=_("One per line"))
    questions = models.TextField(_("what to ask the customer"), blank=True, help_text=_("One per line"))

    class Meta:
        verbose_name = _("analysis template")
        verbose_name_plural = _("analysis templates")

    def __str__(self) -> str:
        return self.get_feedback_type_display()


class TriageSettings(TimeStampedModel):
    """One row (pk 1): the thresholds of triage and whether it may reject on its own."""

    auto_reject_enabled = models.BooleanField(_("reject automatically"), default=False,
                                              help_text=_("Reject spam and meaningless cases without a person when "
                                                          "the review is at least this confident."))
    auto_reject_threshold = models.FloatField(_("automatic rejection confidence"), default=0.95)
    type_confidence_threshold = models.FloatField(_("type confidence for automatic dispatch"), default=0.45,
                                                  help_text=_("Below it, the case waits in the manual dispatch queue."))
    # 0.2: in cross-validation on the corpus, high-priority recall 0.96 (a missed safety complaint is
    # the worst error) at a precision of about 0.68; the supervisor's sheet corrects the rest.
    high_priority_threshold = models.FloatField(_("model probability for high priority"), default=0.2)
    surge_threshold = models.PositiveIntegerField(_("similar cases that make a surge"), default=5)
    surge_window_hours = models.PositiveIntegerField(_("surge window (hours)"), default=2)
    duplicate_threshold = models.FloatField(_("near-duplicate similarity"), default=0.5)

    class Meta:
        verbose_name = _("triage settings")
        verbose_name_plural = _("triage settings")

    def __str__(self) -> str:
        return str(_("Triage settings"))

    @classmethod
    def current(cls) -> TriageSettings:
        return cls.objects.get_or_create(pk=1)[0]


class CaseFingerprint(models.Model):
    """A case's MinHash signature (duplicates.py), compared with the candidates its bands find."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, primary_key=True, related_name="+")
    signature = models.BinaryField()
    customer_id = models.BigIntegerField(null=True)
    received_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"fingerprint of case {self.case_id}"


class CaseFingerprintBand(models.Model):
    """One LSH band key of a case; the duplicate lookup is an indexed IN over 16 keys."""

    key = models.BigIntegerField()
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        indexes = [
            # (key, case) so the lookup reads the index alone.
            models.Index(fields=["key", "case"], name="triage_band_key"),
            models.Index(fields=["case"], name="triage_band_case"),
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.case_id}"
