"""One triage pass over one text: normalise, review, classify, understand, grade, extract.

`Triager` is built from a trained `ModelBundle` and the organisation's configuration (rules,
terms, patterns, thresholds) and is pure: the database work (history counts, storing the result,
applying it to the case) is the caller's, in `caseloop.triage.services`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from caseloop.triage import priority as priority_rules
from caseloop.triage import review as content_review
from caseloop.triage.classifier import ModelBundle, Prediction
from caseloop.triage.extract import Extractor, PatternSpec
from caseloop.triage.reasons import Reason
from caseloop.triage.text import NormalisedText, Segmenter, normalise
from caseloop.triage.understand import Symptom, core_demand, default_symptoms, issue_points

OFFLINE_CHANNELS = frozenset({"service_center", "store", "paper", "phone"})


@dataclass(frozen=True)
class TriageConfig:
    """What an admin can change (defaults follow the process documents)."""

    priority_rules: tuple[priority_rules.PriorityRuleSpec, ...] = priority_rules.DEFAULT_RULES
    domain_terms: tuple[str, ...] = ()
    patterns: tuple[PatternSpec, ...] = ()
    analysis_templates: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    symptoms: tuple[Symptom, ...] | None = None
    type_confidence_threshold: float = 0.45  # below: the manual dispatch queue
    high_priority_threshold: float = 0.2  # see TriageSettings
    surge_threshold: int = 5
    surge_window_hours: int = 2

    def digest(self) -> str:
        """Identifies the rules that scored a case (stored with every assessment)."""
        payload = {
            "rules": [[r.name, r.level, r.effect, r.keywords, r.customer_tiers, r.channels] for r in self.priority_rules],
            "terms": sorted(self.domain_terms),
            "patterns": [[p.kind, p.regex] for p in self.patterns],
            "thresholds": [self.type_confidence_threshold, self.high_priority_threshold, self.surge_threshold,
                           self.surge_window_hours],
        }
        return hashlib.sha256(json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class TriageInput:
    text: str
    channel: str = ""
    customer_tier: str = ""
    received_at: dt.datetime | None = None  # relative dates (昨天) count from here


@dataclass
class Assessment:
    """Everything triage concluded about one text, with the reasons (serialisable as JSON)."""

    model_version: str
    rules_digest: str
    review: str
    review_confidence: float
    review_reasons: list[Reason]
    is_rejectable: bool
    masked_text: str
    type: str
    type_confidence: float
    type_alternatives: list[tuple[str, float]]
    needs_manual_dispatch: bool
    domain: str
    domain_confidence: float
    product_line: str
    product_line_confidence: float
    source: str
    priority: str
    priority_reasons: list[Reason]
    model_priority: str
    sentiment: str
    sentiment_confidence: float
    emotion: str
    emotion_confidence: float
    demand: str
    demand_reasons: list[Reason]
    issue_points: list[dict[str, Any]]
    entities: list[dict[str, Any]]
    similar_recent: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type, "type_confidence": round(self.type_confidence, 3),
            "type_alternatives": [[label, round(p, 3)] for label, p in self.type_alternatives],
            "needs_manual_dispatch": self.needs_manual_dispatch,
            "priority": self.priority, "priority_reasons": [r.as_dict() for r in self.priority_reasons],
            "model_priority": self.model_priority,
            "review": self.review, "review_confidence": round(self.review_confidence, 3),
            "review_reasons": [r.as_dict() for r in self.review_reasons], "is_rejectable": self.is_rejectable,
            "masked_text": self.masked_text,
            "sentiment": self.sentiment, "sentiment_confidence": round(self.sentiment_confidence, 3),
            "emotion": self.emotion, "emotion_confidence": round(self.emotion_confidence, 3),
            "domain": self.domain, "domain_confidence": round(self.domain_confidence, 3),
            "product_line": self.product_line, "product_line_confidence": round(self.product_line_confidence, 3),
            "source": self.source,
            "demand": self.demand, "demand_reasons": [r.as_dict() for r in self.demand_reasons],
            "issue_points": self.issue_points, "entities": self.entities,
            "similar_recent": self.similar_recent,
            "model_version": self.model_version, "rules_digest": self.rules_digest,
        }


# Given the predicted type, how many similar cases arrived lately (the caller asks the database).
SurgeCounter = Callable[[str], int]


class Triager:
    def __init__(self, bundle: ModelBundle, config: TriageConfig | None = None) -> None:
        self.bundle = bundle
        self.config = config or TriageConfig()
        self.segmenter = Segmenter(self.config.domain_terms)
        self.extractor = Extractor(self.config.patterns)
        self.rules_digest = self.config.digest()

    def normalise(self, text: str) -> NormalisedText:
        return normalise(text, self.segmenter)

    def assess(self, item: TriageInput, *, surge_counter: SurgeCounter | None = None) -> Assessment:
        text = self.normalise(item.text)
        predictions = self.bundle.predict(text)
        verdict = content_review.review(text, predictions=predictions,
                                        abuse_probability=self.bundle.abuse_probability(text))
        type_prediction = predictions.get("type") or Prediction("other", 0.0, {})
        feedback_type = type_prediction.label if verdict.has_substance or verdict.label == "ok" else "other"
        similar = surge_counter(feedback_type) if surge_counter and verdict.label == "ok" else 0
        grade = priority_rules.grade(
            folded=text.folded, predictions=predictions, rules=self.config.priority_rules,
            customer_tier=item.customer_tier, channel=item.channel, similar_recent=similar,
            surge_threshold=self.config.surge_threshold, surge_window_hours=self.config.surge_window_hours,
            high_threshold=self.config.high_priority_threshold, exclamations=text.exclamations,
        )
        level = grade.level
        if verdict.is_rejectable and not any(r.kind == "rule" for r in grade.reasons):
            level = priority_rules.LOW  # noise is not urgent, unless a rule says so
        demand_prediction = predictions.get("demand")
        demand = core_demand(text.folded, model_label=demand_prediction.label if demand_prediction else "",
                             model_confidence=demand_prediction.confidence if demand_prediction else 0.0)
        points = []
        for point in issue_points(text.folded, symptoms=self.config.symptoms or default_symptoms()):
            point_type = point.type or self._type_of(point.clause)
            template = self.config.analysis_templates.get(point_type, {})
            points.append({**point.as_dict(), "type": point_type, "template": template})
        reference = item.received_at or dt.datetime.now(dt.UTC)
        entities = [e.as_dict() for e in self.extractor.extract(item.text, reference=reference)]
        return Assessment(
            model_version=self.bundle.version, rules_digest=self.rules_digest,
            review=verdict.label, review_confidence=verdict.confidence, review_reasons=verdict.reasons,
            is_rejectable=verdict.is_rejectable, masked_text=verdict.masked_text,
            type=feedback_type, type_confidence=type_prediction.confidence,
            type_alternatives=type_prediction.top(3),
            needs_manual_dispatch=type_prediction.confidence < self.config.type_confidence_threshold,
            domain=_label(predictions, "domain"), domain_confidence=_confidence(predictions, "domain"),
            product_line=_label(predictions, "product_line"),
            product_line_confidence=_confidence(predictions, "product_line"),
            source=("offline" if item.channel in OFFLINE_CHANNELS else "online") if item.channel else "",
            priority=level, priority_reasons=grade.reasons, model_priority=grade.model_level,
            sentiment=_label(predictions, "sentiment"), sentiment_confidence=_confidence(predictions, "sentiment"),
            emotion=_label(predictions, "emotion"), emotion_confidence=_confidence(predictions, "emotion"),
            demand=demand.code, demand_reasons=demand.reasons, issue_points=points, entities=entities,
            similar_recent=similar,
        )

    def _type_of(self, clause: str) -> str:
        # One head only: issue points need just their type.
        return self.bundle.predict_many([self.normalise(clause)], "type")[0] if "type" in self.bundle.heads else ""

    def assess_many(self, items: Sequence[TriageInput]) -> list[Assessment]:
        return [self.assess(item) for item in items]


def _label(predictions: dict[str, Prediction], task: str) -> str:
    prediction = predictions.get(task)
    return prediction.label if prediction else ""


def _confidence(predictions: dict[str, Prediction], task: str) -> float:
    prediction = predictions.get(task)
    return prediction.confidence if prediction else 0.0
