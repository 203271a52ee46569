"""Which model and which configuration triage uses now, loaded once per process and refreshed
when an admin changes something (the stamp below is one cheap query)."""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from pathlib import Path

import sklearn
from django.conf import settings
from django.db import connections

from caseloop.triage import corpus
from caseloop.triage.classifier import TRAINING_RECIPE, ModelBundle, train
from caseloop.triage.engine import TriageConfig, Triager
from caseloop.triage.evaluation import read_cold
from caseloop.triage.extract import PatternSpec
from caseloop.triage.models import (
    AnalysisTemplate,
    DomainTerm,
    ExtractionPattern,
    PriorityRule,
    TriageModelVersion,
    TriageSettings,
)
from caseloop.triage.priority import PriorityRuleSpec
from caseloop.triage.text import Segmenter, normalise

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_cached: dict[str, tuple[str, Triager]] = {}
_builtin: dict[str, ModelBundle] = {}  # file → the built-in model read from it


def builtin_bundle() -> ModelBundle:
    """The model Caseloop ships with: trained from the repository's corpus (train split) the first
    time it is needed, then kept on disk under CASELOOP_VAR_DIR (keyed by the corpus digest)."""
    records = corpus.load(split="train")
    digest = corpus.digest(records, corpus.COLD_TRAIN)
    path = (Path(settings.VAR_DIR) / "triage"
            / f"builtin-{digest}-r{TRAINING_RECIPE}-sklearn{sklearn.__version__}.joblib")
    loaded = _builtin.get(str(path))
    if loaded is not None:  # unpickling costs more than half a second; the file never changes
        return loaded
    if path.exists():
        try:
            _builtin[str(path)] = bundle = ModelBundle.loads(path.read_bytes())
            return bundle
        except Exception:  # a file from an older Caseloop, or cut short: train again
            logger.warning("ignoring unreadable model file %s", path)
    # The shipped dictionary only: the built-in model is the same on every installation.
    bundle = train_bundle(version=f"builtin-{digest}", records=records, abuse_extra=shipped_abuse_examples(),
                          trained_on={"sources": ["corpus:train", "COLD:train"]}, segmenter=Segmenter())
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed, so a process reading it never sees half a file.
    with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as handle:
        handle.write(bundle.dumps())
    os.replace(handle.name, path)
    for stale in path.parent.glob("builtin-*.joblib"):  # models of an older corpus or scikit-learn
        if stale != path:
            stale.unlink(missing_ok=True)
    _builtin[str(path)] = bundle
    return bundle


def shipped_abuse_examples() -> list[tuple[str, int]]:
    return read_cold(corpus.COLD_TRAIN)


def train_bundle(*, version: str, records: list[corpus.Record],
                 abuse_extra: list[tuple[str, int]] | None = None, trained_on: dict[str, object] | None = None,
                 segmenter: Segmenter | None = None) -> ModelBundle:
    if segmenter is None:
        segmenter = Segmenter(DomainTerm.objects.filter(is_active=True).values_list("term", flat=True))
    texts = [normalise(r.text, segmenter) for r in records]
    extra = [(normalise(text, segmenter), label) for text, label in (abuse_extra or [])]
    return train(version=version, records=records, normalised=texts, abuse_extra=extra, trained_on=trained_on)


def current_config() -> TriageConfig:
    options = TriageSettings.current()
    rules = tuple(
        PriorityRuleSpec(name=rule.name, level=rule.level, effect=rule.effect,
                         keywords=tuple(k.strip() for k in rule.keywords.splitlines() if k.strip()),
                         customer_tiers=_csv(rule.customer_tiers), channels=_csv(rule.channels))
        for rule in PriorityRule.objects.filter(is_active=True)
    )
    templates = {
        t.feedback_type: {"checks": _lines(t.checks), "questions": _lines(t.questions)}
        for t in AnalysisTemplate.objects.all()
    }
    return TriageConfig(
        priority_rules=rules,
        domain_terms=tuple(DomainTerm.objects.filter(is_active=True).values_list("term", flat=True)),
        patterns=tuple(PatternSpec(p.kind, p.regex) for p in ExtractionPattern.objects.filter(is_active=True)),
        analysis_templates=templates,
        type_confidence_threshold=options.type_confidence_threshold,
        high_priority_threshold=options.high_priority_threshold,
        surge_threshold=options.surge_threshold,
        surge_window_hours=options.surge_window_hours,
    )


def _stamp() -> str:
    """Changes whenever the active model or any configuration row is added, changed or removed.

    Every triage asks, so it is one query (six ORM aggregates took a tenth of a triage's CPU).
    """
    connection = connections[TriageModelVersion.objects.db]
    quote = connection.ops.quote_name
    parts = [f"(SELECT {quote('version')} FROM {quote(TriageModelVersion._meta.db_table)} "  # noqa: S608 - quoted names
             f"WHERE {quote('is_active')} = %s LIMIT 1)"]
    for model in (PriorityRule, DomainTerm, ExtractionPattern, AnalysisTemplate, TriageSettings):
        latest, last_id, table = quote("updated_at"), quote("id"), quote(model._meta.db_table)
        parts.append(f"(SELECT CAST(MAX({latest}) AS TEXT) || '/' || CAST(MAX({last_id}) AS TEXT) "  # noqa: S608 - quoted names
                     f"|| '/' || CAST(COUNT(*) AS TEXT) FROM {table})")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), [True])
        row = cursor.fetchone()
    return "|".join(str(part) for part in row)


def active_bundle() -> ModelBundle:
    active = TriageModelVersion.objects.filter(is_active=True).first()
    if active is None:
        return builtin_bundle()
    return ModelBundle.loads(bytes(active.artifact))


def current_triager() -> Triager:
    stamp = _stamp()
    cached = _cached.get("triager")
    if cached and cached[0] == stamp:
        return cached[1]
    with _lock:
        cached = _cached.get("triager")
        if cached and cached[0] == stamp:
            return cached[1]
        previous = cached[1] if cached else None
        bundle = active_bundle()
        if previous is not None and previous.bundle.version == bundle.version:
            bundle = previous.bundle  # only the configuration changed: keep the loaded model
        triager = Triager(bundle, current_config())
        _cached["triager"] = (stamp, triager)
        return triager


def forget() -> None:
    """Drop the cached triager (tests, and after training in this process)."""
    _cached.clear()


def _csv(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip()]
