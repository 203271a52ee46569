"""Triage of cases and messages against the database: run the engine, store its assessment with
every reason, fill what was empty, link near-duplicates, and take people's confirmations.

- `triage_case` runs once a case is registered (a task enqueued after commit);
- `triage_message` runs for each further customer message (a new 起火 raises the priority);
- `triage_confirm` is the classification & priority sheet (问题分类与优先级确认表): each label a
  person confirms or corrects is recorded (training data, handling deviation rate).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from caseloop.accounts.models import User
from caseloop.accounts.roles import Capability
from caseloop.cases import workflow
from caseloop.cases.choices import FINISHED_STATUSES, CaseStatus, FeedbackType, Priority, RejectionReason
from caseloop.cases.models import Case, CaseMessage
from caseloop.cases.services import case_apply_triage, case_transition
from caseloop.core import clock
from caseloop.core.errors import ApplicationError, PermissionDenied
from caseloop.triage import duplicates
from caseloop.triage.engine import Assessment, TriageInput, Triager
from caseloop.triage.loading import current_triager
from caseloop.triage.models import (
    CaseFingerprint,
    CaseFingerprintBand,
    CaseTriage,
    TriageAssessment,
    TriageDecision,
    TriageSettings,
)

# Entities that may fill an empty case field (never overwrite what a person entered).
_ENTITY_FIELDS = {"order_number": "order_number", "serial_number": "serial_number",
                  "product_model": "product_description"}
_REVIEW_REJECTION = {"spam": RejectionReason.SPAM, "abuse": RejectionReason.ABUSE,
                     "out_of_scope": RejectionReason.OUT_OF_SCOPE, "meaningless": RejectionReason.MEANINGLESS}


def case_text(case: Case) -> str:
    return f"{case.subject}\n{case.content}" if case.subject not in case.content else case.content


@dataclass(frozen=True)
class SimilarCase:
    case_id: int
    number: str
    score: float
    same_customer: bool


def find_similar(*, text: str, exclude_case_id: int | None = None, customer_id: int | None = None,
                 threshold: float = 0.5, limit: int = 5) -> list[SimilarCase]:
    """Near-duplicates of `text` across all history: candidates from the band index, scored by
    their signatures. One indexed query for candidates, one for their signatures and numbers."""
    fingerprint = duplicates.fingerprint(text)
    if fingerprint is None:
        return []
    candidates = (CaseFingerprintBand.objects.filter(key__in=fingerprint.band_keys())
                  .values("case_id").annotate(hits=Count("key")).order_by("-hits")[:200])
    ids = [row["case_id"] for row in candidates if row["case_id"] != exclude_case_id]
    if not ids:
        return []
    rows = CaseFingerprint.objects.filter(case_id__in=ids).values_list("case_id", "signature", "customer_id",
                                                                       "case__number")
    scored = []
    for case_id, signature, other_customer, number in rows:
        score = duplicates.estimated_similarity(fingerprint.signature,
                                                duplicates.Fingerprint.from_bytes(bytes(signature)))
        if score >= threshold:
            scored.append(SimilarCase(case_id, number, round(score, 3),
                                      customer_id is not None and other_customer == customer_id))
    scored.sort(key=lambda s: s.score, reverse=True)
    return scored[:limit]


def index_fingerprint(case: Case, text: str) -> None:
    """Add a case to the near-duplicate index (idempotent: a re-run replaces its rows)."""
    fingerprint = duplicates.fingerprint(text)
    CaseFingerprintBand.objects.filter(case=case).delete()
    if fingerprint is None:
        CaseFingerprint.objects.filter(case=case).delete()
        return
    _upsert(CaseFingerprint(case=case, signature=fingerprint.to_bytes(), customer_id=case.customer_id,
                            received_at=case.received_at), ["signature", "customer_id", "received_at"])
    CaseFingerprintBand.objects.bulk_create([CaseFingerprintBand(key=key, case=case) for key in fingerprint.band_keys()])


def _upsert(row: Any, fields: list[str]) -> None:
    """Insert a case's row or overwrite `fields` of the one there, in one statement (INSERT … ON
    CONFLICT): a case is triaged once in the normal run, and update_or_create's savepoints, lookup
    and insert were a third of triage's statements."""
    type(row).objects.bulk_create([row], update_conflicts=True, unique_fields=["case"], update_fields=fields)


def _surge_counter(case: Case, window_hours: int) -> Any:
    def count(feedback_type: str) -> int:
        if feedback_type in ("", FeedbackType.OTHER, FeedbackType.CONSULTATION, FeedbackType.SUGGESTION):
            return 0
        since = case.received_at - dt.timedelta(hours=window_hours)
        similar = CaseTriage.objects.filter(predicted_type=feedback_type, received_at__gte=since,
                                            received_at__lte=case.received_at).exclude(case=case)
        if case.product_id:
            similar = similar.filter(case__product_id=case.product_id)
        # Distinct customers: one customer writing five times is not five customers (R4.1 "many customers").
        return similar.values("case__customer_id").distinct().count() + 1
    return count


def assess_case(case: Case, triager: Triager | None = None, options: TriageSettings | None = None) -> Assessment:
    triager = triager or current_triager()
    options = options or TriageSettings.current()
    item = TriageInput(text=case_text(case), channel=case.channel, customer_tier=case.customer.tier,
                       received_at=clock.localtime(case.received_at))
    return triager.assess(item, surge_counter=_surge_counter(case, options.surge_window_hours))


def triage_case(case_id: int) -> CaseTriage | None:
    """Triage a registered case once (a re-run replaces the assessment; people's decisions stay)."""
    case = Case.objects.select_related("customer").filter(pk=case_id).first()
    if case is None:
        return None
    triager = current_triager()
    options = TriageSettings.current()
    assessment = assess_case(case, triager, options)
    text = case_text(case)
    result = assessment.as_dict()
    now = clock.now()
    with transaction.atomic():
        similar = find_similar(text=text, exclude_case_id=case.pk, customer_id=case.customer_id,
                               threshold=options.duplicate_threshold)
        result["duplicates"] = [{"number": s.number, "score": s.score, "same_customer": s.same_customer}
                                for s in similar]
        index_fingerprint(case, text)
        applied, suggestions = _apply_to_case(case, assessment)
        assessed = {
            "assessed_at": now, "received_at": case.received_at, "model_version": assessment.model_version,
            "rules_digest": assessment.rules_digest, "review": assessment.review,
            "review_confidence": assessment.review_confidence, "predicted_type": assessment.type,
            "type_confidence": assessment.type_confidence, "predicted_priority": assessment.priority,
            "needs_manual_dispatch": assessment.needs_manual_dispatch or assessment.review != "ok",
            "result": result, "applied": applied, "suggestions": suggestions,
        }
        _upsert(CaseTriage(case=case, **assessed), list(assessed))  # people's confirmations stay
        triage = CaseTriage.objects.get(pk=case.pk)
        TriageAssessment.objects.create(case=case, assessed_at=now, model_version=assessment.model_version,
                                        rules_digest=assessment.rules_digest, result=result)
        if (options.auto_reject_enabled and assessment.is_rejectable
                and assessment.review_confidence >= options.auto_reject_threshold
                and Case.objects.filter(pk=case.pk, status=CaseStatus.PENDING).exists()):
            reject_case(case=case, actor=None, reason_code=_REVIEW_REJECTION[assessment.review],
                        note=_("Rejected automatically by content review (confidence %(c).0f%%).")
                        % {"c": assessment.review_confidence * 100})
    return triage


def _apply_to_case(case: Case, assessment: Assessment) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fill empty fields; a value a person chose stays and triage's differing value is a suggestion."""
    changes: dict[str, Any] = {}
    suggestions: dict[str, Any] = {}
    entered_by_person = case.registered_by_id is not None
    if assessment.review == "ok" or assessment.type != "other":
        if not case.feedback_type and not assessment.needs_manual_dispatch:
            changes["feedback_type"] = assessment.type
        elif case.feedback_type != assessment.type:
            suggestions["feedback_type"] = assessment.type
    if assessment.priority != case.priority:
        # A person at the counter or phone chose the priority; a system channel's is only the default.
        if entered_by_person:
            suggestions["priority"] = assessment.priority
        else:
            changes["priority"] = assessment.priority
    for entity in assessment.entities:
        field = _ENTITY_FIELDS.get(str(entity["kind"]))
        if field is None or field in changes or field in suggestions:
            continue
        if not getattr(case, field):
            changes[field] = str(entity["value"])[:64]
        elif getattr(case, field) != entity["value"]:
            suggestions[field] = entity["value"]
    if changes:
        case_apply_triage(case=case, changes=changes, reason=_triage_summary(assessment))
    return {k: str(v) for k, v in changes.items()}, suggestions


def _triage_summary(assessment: Assessment) -> str:
    with override("zh-hans"):
        return _("Automatic triage (model %(model)s, rules %(rules)s)") % {
            "model": assessment.model_version, "rules": assessment.rules_digest}


def triage_message(message_id: int) -> TriageAssessment | None:
    """A further customer message: review it and re-grade the case when it raises the stakes."""
    message = CaseMessage.objects.select_related("case", "case__customer").filter(pk=message_id).first()
    if message is None or message.case.status in FINISHED_STATUSES:
        return None
    case = message.case
    triager = current_triager()
    assessment = triager.assess(TriageInput(text=message.body, channel=message.channel,
                                            customer_tier=case.customer.tier,
                                            received_at=clock.localtime(message.sent_at)))
    result = assessment.as_dict()
    with transaction.atomic():
        run = TriageAssessment.objects.create(case=case, message=message, assessed_at=clock.now(),
                                              model_version=assessment.model_version,
                                              rules_digest=assessment.rules_digest, result=result)
        rank: dict[str, int] = {Priority.LOW: 0, Priority.MEDIUM: 1, Priority.HIGH: 2}
        if rank.get(assessment.priority, 1) > rank.get(case.priority, 1) and assessment.review in ("ok", "abuse"):
            case_apply_triage(case=case, changes={"priority": assessment.priority},
                              reason=_("The customer's new message raises the priority: %(why)s")
                              % {"why": "; ".join(r.detail or r.code for r in assessment.priority_reasons
                                                  if r.kind != "model")})
    return run


# --- People decide ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Confirmation:
    feedback_type: str
    priority: str
    review: str = "ok"  # what the reviewer judged the content to be
    domain: str = ""
    product_line: str = ""
    demand: str = ""
    reason: str = ""


def triage_confirm(*, case: Case, actor: User, confirmation: Confirmation) -> CaseTriage:
    """The classification & priority sheet: record each label against the prediction and apply it."""
    if not actor.can(Capability.EDIT_CASE) and not actor.can(Capability.REVIEW):
        raise PermissionDenied(_("Your role may not confirm classifications."))
    c = confirmation
    if c.feedback_type not in FeedbackType.values:
        raise ApplicationError(_("Unknown feedback type."), code="invalid", field="feedback_type")
    if c.priority not in Priority.values:
        raise ApplicationError(_("Unknown priority."), code="invalid", field="priority")
    with transaction.atomic():
        triage = CaseTriage.objects.select_for_update().filter(case=case).first()
        if triage is None:
            raise ApplicationError(_("This case has not been triaged yet."), code="not_triaged")
        result = triage.result
        predicted = {"type": triage.predicted_type, "priority": triage.predicted_priority, "review": triage.review,
                     "domain": result.get("domain", ""), "product_line": result.get("product_line", ""),
                     "demand": result.get("demand", "")}
        chosen = {"type": c.feedback_type, "priority": c.priority, "review": c.review, "domain": c.domain,
                  "product_line": c.product_line, "demand": c.demand}
        overrides = [d for d in chosen if chosen[d] and chosen[d] != predicted[d]]
        if overrides and not c.reason.strip() and "priority" in overrides:
            raise ApplicationError(_("Say why you change the priority."), code="reason_required", field="reason")
        now = clock.now()
        text = case_text(case)
        TriageDecision.objects.bulk_create([
            TriageDecision(case=case, dimension=dimension, predicted=predicted[dimension], chosen=value,
                           is_override=value != predicted[dimension], model_version=triage.model_version, text=text,
                           actor=actor, decided_at=now, reason=c.reason.strip())
            for dimension, value in chosen.items() if value
        ])
        case_apply_triage(case=case, changes={"feedback_type": c.feedback_type, "priority": c.priority},
                          reason=c.reason.strip(), confirmed_by=actor)
        triage.confirmed_at, triage.confirmed_by = now, actor
        triage.needs_manual_dispatch = False
        triage.save(update_fields=["confirmed_at", "confirmed_by", "needs_manual_dispatch"])
    return triage


def suggested_rejection(case: Case, triage: CaseTriage) -> str:
    """The rejection reason content review proposes for a still-pending case ('' when none)."""
    if not triage.result.get("is_rejectable") or case.status not in workflow.transition_for(workflow.Action.REJECT).sources:
        return ""
    return str(_REVIEW_REJECTION.get(triage.review, ""))


def reject_case(*, case: Case, actor: User | None, reason_code: str, note: str = "") -> Case:
    """R3.1: reject with the stated reason; the customer is told why (reason template)."""
    from caseloop.notify.models import Transport
    from caseloop.notify.services import outbox_enqueue

    with override("zh-hans"):
        template = REJECTION_TEMPLATES.get(reason_code, REJECTION_TEMPLATES[RejectionReason.SPAM])
        body = str(template) % {"number": case.number}
        subject = _("[%(number)s] About your feedback") % {"number": case.number}
    with transaction.atomic():
        rejected = case_transition(case=case, actor=actor, action=workflow.Action.REJECT, reason_code=reason_code,
                                   reason=note or body)
        if case.customer.email and reason_code != RejectionReason.ABUSE:
            outbox_enqueue(dedupe_key=f"reject:{case.number}", transport=Transport.EMAIL,
                           recipient=case.customer.email, subject=subject, body=body, case=case)
    return rejected


# What the customer is told (R3.1: rejected with a stated reason; out of scope redirected).
REJECTION_TEMPLATES: dict[str, Any] = {
    RejectionReason.SPAM: gettext_lazy("Your message %(number)s looks like advertising, so we have not registered it as "
                            "feedback. If it is a real problem, please write again and describe it."),
    RejectionReason.MEANINGLESS: gettext_lazy("We could not find a question or a problem in your message %(number)s. "
                                   "Please write again and tell us what happened."),
    RejectionReason.OUT_OF_SCOPE: gettext_lazy("Your message %(number)s concerns something we do not handle. Please contact "
                                    "the company or authority responsible; we are sorry we cannot help here."),
    RejectionReason.ABUSE: gettext_lazy("Your message %(number)s was not registered."),
    RejectionReason.FAKE: gettext_lazy("After checking, we could not confirm the facts in your message %(number)s."),
}


@dataclass(frozen=True)
class DeviationRate:
    decided: int
    overridden: int

    @property
    def rate(self) -> float:
        return self.overridden / self.decided if self.decided else 0.0


def deviation_rate(*, since: dt.datetime | None = None, dimensions: Sequence[str] = ("type", "priority")
                   ) -> dict[str, DeviationRate]:
    """处理偏差率 (R4.4): the share of automatic labels people corrected, per dimension."""
    decisions = TriageDecision.objects.filter(dimension__in=dimensions)
    if since is not None:
        decisions = decisions.filter(decided_at__gte=since)
    rows = decisions.values("dimension").annotate(decided=Count("id"), overridden=Count("id", filter=Q(is_override=True)))
    return {row["dimension"]: DeviationRate(row["decided"], row["overridden"]) for row in rows}


# A case younger than this is probably still in the hands of its own triage task.
TRIAGE_GRACE = dt.timedelta(minutes=2)


def triage_untriaged_cases(*, limit: int = 500, include_recent: bool = False) -> int:
    """Triage cases without an assessment, oldest first; returns how many were triaged."""
    pending = Case.objects.filter(triage__isnull=True)
    if not include_recent:
        pending = pending.filter(recorded_at__lt=clock.now() - TRIAGE_GRACE)
    ids = list(pending.order_by("pk").values_list("pk", flat=True)[:limit] if limit else
               pending.order_by("pk").values_list("pk", flat=True))
    for case_id in ids:
        triage_case(case_id)
    return len(ids)
