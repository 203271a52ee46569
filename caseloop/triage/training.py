"""Learning from people (R3/R4): retrain from the corpus, confirmed/corrected labels and data
files; the new model replaces the active one only when it is not worse on the held-out split."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from caseloop.core import clock
from caseloop.triage import corpus, evaluation
from caseloop.triage.classifier import ModelBundle
from caseloop.triage.engine import Triager
from caseloop.triage.loading import active_bundle, current_config, forget, shipped_abuse_examples, train_bundle
from caseloop.triage.models import TriageDecision, TriageModelVersion

# A model may be this much worse on one summary figure before it is refused (noise of a re-fit).
TOLERANCE = 0.005


@dataclass(frozen=True)
class TrainingRequest:
    data_dirs: tuple[Path, ...] = ()
    use_corpus: bool = True
    use_decisions: bool = True
    force: bool = False
    note: str = ""


@dataclass
class TrainingOutcome:
    version: str
    activated: bool
    message: str
    new_metrics: dict[str, float]
    old_metrics: dict[str, float]
    trained_on: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "activated": self.activated, "message": self.message,
                "new": self.new_metrics, "previous": self.old_metrics, "trained_on": self.trained_on}


def decision_records() -> list[corpus.Record]:
    """Each case's latest human label per dimension, as training records (never a test record)."""
    labels: dict[int, dict[str, str]] = {}
    texts: dict[int, str] = {}
    for decision in TriageDecision.objects.order_by("decided_at", "id").only("case_id", "dimension", "chosen", "text"):
        labels.setdefault(decision.case_id, {})[decision.dimension] = decision.chosen
        texts[decision.case_id] = decision.text
    test_texts = {r.text for r in corpus.load(split="test")}
    return [corpus.Record(text=texts[case_id], labels=case_labels, source="decisions")
            for case_id, case_labels in labels.items() if texts[case_id] not in test_texts]


def _extra_data(directories: tuple[Path, ...]) -> tuple[list[corpus.Record], list[tuple[str, int]]]:
    records: list[corpus.Record] = []
    abuse: list[tuple[str, int]] = []
    for directory in directories:
        if (directory / "train.csv").exists() and directory.name.startswith("abuse"):
            abuse += evaluation.read_cold(directory / "train.csv")
            continue
        for path in sorted(directory.rglob("*.jsonl")):
            if path.name.startswith("test"):
                continue
            records += [r for r in corpus.read_jsonl(path) if corpus.split_of(r.text) == "train"]
    return records, abuse


def summary(reports: dict[str, evaluation.TaskReport]) -> dict[str, float]:
    def get(task: str, key: str) -> float:
        report = reports.get(task)
        if report is None:
            return 0.0
        return report.macro_f1 if key == "macro_f1" else report.extra.get(key, 0.0)

    return {"type_macro_f1": round(get("type", "macro_f1"), 4), "high_recall": round(get("priority", "high_recall"), 4),
            "review_macro_f1": round(get("review", "macro_f1"), 4),
            "spam_or_abuse_precision": round(get("review", "spam_or_abuse_precision"), 4)}


def _score(bundle: ModelBundle, test: list[corpus.Record]) -> dict[str, float]:
    return summary(evaluation.evaluate_corpus(Triager(bundle, current_config()), test))


def train_and_activate(request: TrainingRequest, *, progress: Callable[[str], None] = lambda _: None) -> TrainingOutcome:
    records: list[corpus.Record] = corpus.load(split="train") if request.use_corpus else []
    decisions = decision_records() if request.use_decisions else []
    extra, abuse = _extra_data(request.data_dirs)
    if request.use_corpus:  # the shipped abuse set belongs to the corpus (a --data copy of it is not read twice)
        known = {text for text, _ in abuse}
        abuse += [(text, label) for text, label in shipped_abuse_examples() if text not in known]
    records = [*records, *decisions, *extra]
    if not records:
        return TrainingOutcome("", False, "nothing to train on", {}, {})
    version = clock.now().astimezone(dt.UTC).strftime("%Y%m%d-%H%M%S")
    trained_on = {"corpus_records": len(records) - len(decisions) - len(extra), "decision_records": len(decisions),
                  "file_records": len(extra), "abuse_records": len(abuse),
                  "data": [str(d) for d in request.data_dirs]}
    progress(f"training {version} on {len(records)} records (+{len(abuse)} abuse examples)…")
    bundle = train_bundle(version=version, records=records, abuse_extra=abuse, trained_on=trained_on)
    test = corpus.load(split="test")
    progress(f"evaluating on {len(test)} held-out records…")
    new = _score(bundle, test)
    old = _score(active_bundle(), test)
    worse = [k for k in new if new[k] < old.get(k, 0.0) - TOLERANCE]
    if worse and not request.force:
        message = f"kept the active model: the new one is worse on {', '.join(worse)}"
        return TrainingOutcome(version, False, message, new, old, bundle.trained_on)
    bundle.metrics = new
    with transaction.atomic():
        TriageModelVersion.objects.filter(is_active=True).update(is_active=False)
        TriageModelVersion.objects.create(version=version, is_active=True, artifact=bundle.dumps(),
                                          trained_on=bundle.trained_on, metrics=new, note=request.note)
    forget()
    return TrainingOutcome(version, True, "activated", new, old, bundle.trained_on)
