"""How good triage is: accuracy, macro-F1 and confusion tables on labelled data (our corpus's
held-out split, or the public sets in shared/data), plus the figures the issue aims at:
high-priority recall and spam/abuse precision. Pure: reads files, never the database."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from caseloop.triage import corpus, duplicates
from caseloop.triage.engine import TriageInput, Triager


@dataclass
class TaskReport:
    task: str
    n: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, dict[str, float]]
    confusion: dict[str, dict[str, int]]
    extra: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"task": self.task, "n": self.n, "accuracy": round(self.accuracy, 4), "macro_f1": round(self.macro_f1, 4),
                "per_class": self.per_class, "confusion": self.confusion, **{k: round(v, 4) for k, v in self.extra.items()}}


def score(task: str, gold: Sequence[str], predicted: Sequence[str]) -> TaskReport:
    labels = sorted(set(gold) | set(predicted))
    confusion = {g: {p: 0 for p in labels} for g in labels}
    for g, p in zip(gold, predicted, strict=True):
        confusion[g][p] += 1
    per_class: dict[str, dict[str, float]] = {}
    f1s = []
    for label in sorted(set(gold)):
        tp = confusion[label][label]
        fp = sum(confusion[g][label] for g in labels if g != label)
        fn = sum(confusion[label][p] for p in labels if p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
                            "support": tp + fn}
        f1s.append(f1)
    correct = sum(g == p for g, p in zip(gold, predicted, strict=True))
    return TaskReport(task, len(gold), correct / len(gold) if gold else 0.0, sum(f1s) / len(f1s) if f1s else 0.0,
                      per_class, confusion)


def precision_of(predicted: Sequence[str], gold: Sequence[str], label: str) -> float:
    flagged = [g for g, p in zip(gold, predicted, strict=True) if p == label]
    return sum(g == label for g in flagged) / len(flagged) if flagged else 0.0


def evaluate_corpus(triager: Triager, records: Sequence[corpus.Record]) -> dict[str, TaskReport]:
    """Run the full triage (rules + models, as in production) over labelled records."""
    results = [triager.assess(TriageInput(text=r.text)) for r in records]
    outputs = {
        "type": [a.type for a in results], "priority": [a.priority for a in results],
        "review": [a.review for a in results], "sentiment": [a.sentiment for a in results],
        "emotion": [a.emotion for a in results], "domain": [a.domain for a in results],
        "product_line": [a.product_line for a in results], "demand": [a.demand for a in results],
    }
    reports: dict[str, TaskReport] = {}
    for task, predicted_all in outputs.items():
        rows = [(r.labels[task], p) for r, p in zip(records, predicted_all, strict=True) if task in r.labels]
        if not rows:
            continue
        gold, predicted = [g for g, _ in rows], [p for _, p in rows]
        report = score(task, gold, predicted)
        if task == "priority":
            report.extra["high_recall"] = report.per_class.get("high", {}).get("recall", 0.0)
        if task == "review":
            report.extra["spam_precision"] = precision_of(predicted, gold, "spam")
            report.extra["abuse_precision"] = precision_of(predicted, gold, "abuse")
            flagged = [(g, p) for g, p in zip(gold, predicted, strict=True) if p in ("spam", "abuse")]
            report.extra["spam_or_abuse_precision"] = (sum(g == p for g, p in flagged) / len(flagged)) if flagged else 0.0
        reports[task] = report
    # The same records by script: traditional Chinese must not lose much.
    for script in ("simplified", "traditional"):
        rows = [(r.labels["type"], a.type) for r, a in zip(records, results, strict=True)
                if "type" in r.labels and r.script == script and r.labels.get("review", "ok") == "ok"]
        if rows:
            reports[f"type[{script}]"] = score(f"type[{script}]", [g for g, _ in rows], [p for _, p in rows])
    return reports


# --- The public sets in shared/data (evaluation only, except COLD's train split) ----------------


def read_cold(path: Path) -> list[tuple[str, int]]:
    """COLD's CSV (plain, or gzipped as shipped in corpus/public/cold/)."""
    text = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    rows = csv.DictReader(io.StringIO(text.decode("utf-8-sig"), newline=""))
    return [(row["TEXT"], int(row["label"])) for row in rows if row.get("TEXT")]


def read_sentiment(path: Path) -> list[tuple[str, int]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [(row["review"], int(row["label"])) for row in csv.DictReader(handle) if row.get("review")]


def read_emotion(path: Path) -> list[tuple[str, str]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                item = json.loads(line)
                rows.append((item["content"], item["label"]))
    return rows


def read_pairs(path: Path) -> list[tuple[str, str, int]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            parts = line.rstrip("\n").split("\t")
            if path.suffix == ".tsv":
                if i == 0:
                    continue
                parts = parts[1:]
            if len(parts) >= 3 and parts[2].strip() in ("0", "1"):
                rows.append((parts[0], parts[1], int(parts[2])))
    return rows


def evaluate_abuse(triager: Triager, rows: Sequence[tuple[str, int]]) -> TaskReport:
    texts = [triager.normalise(t) for t, _ in rows]
    probabilities = triager.bundle.abuse_probabilities(texts)
    predicted = ["offensive" if p >= 0.5 else "not_offensive" for p in probabilities]
    gold = ["offensive" if label else "not_offensive" for _, label in rows]
    report = score("abuse[COLD test]", gold, predicted)
    report.extra["offensive_precision"] = precision_of(predicted, gold, "offensive")
    return report


def evaluate_sentiment(triager: Triager, rows: Sequence[tuple[str, int]], name: str) -> TaskReport:
    """Binary positive/negative: the sentiment head's positive vs negative probability."""
    head = triager.bundle.heads["sentiment"]
    x = triager.bundle.features.transform([triager.normalise(t) for t, _ in rows])
    proba = head.predict_proba(x)
    classes = list(head.classes_)
    pos, neg = classes.index("positive"), classes.index("negative")
    predicted = ["positive" if p[pos] >= p[neg] else "negative" for p in proba]
    gold = ["positive" if label else "negative" for _, label in rows]
    return score(f"sentiment[{name}]", gold, predicted)


def evaluate_emotion(triager: Triager, rows: Sequence[tuple[str, str]]) -> TaskReport:
    """Anger detection: CLUE's anger/disgust posts should be graded upset or strong, the others calm."""
    angry = {"anger", "disgust"}
    head = triager.bundle.heads["emotion"]
    x = triager.bundle.features.transform([triager.normalise(t) for t, _ in rows])
    labels = head.predict(x)
    predicted = ["angry" if str(label) in ("upset", "strong") else "not_angry" for label in labels]
    gold = ["angry" if label in angry else "not_angry" for _, label in rows]
    return score("emotion[CLUE anger]", gold, predicted)


def evaluate_pairs(rows: Sequence[tuple[str, str, int]], name: str, threshold: float) -> TaskReport:
    """Near-duplicate detection as used in production (MinHash estimate ≥ threshold), plus the
    best threshold in hindsight, to show how far paraphrase is from near-copy."""
    scores = []
    for a, b, _ in rows:
        fa, fb = duplicates.fingerprint(a), duplicates.fingerprint(b)
        scores.append(duplicates.estimated_similarity(fa.signature, fb.signature) if fa and fb else 0.0)
    gold = ["same" if label else "different" for *_, label in rows]
    predicted = ["same" if s >= threshold else "different" for s in scores]
    report = score(f"duplicates[{name}]", gold, predicted)
    best = max((sum((s >= t) == bool(label) for s, (*_, label) in zip(scores, rows, strict=True)) / len(rows), t)
               for t in [i / 20 for i in range(1, 20)])
    report.extra["same_precision"] = precision_of(predicted, gold, "same")
    report.extra["best_threshold_accuracy"] = best[0]
    report.extra["best_threshold"] = best[1]
    return report


def evaluate_shared(triager: Triager, directory: Path, *, duplicate_threshold: float = 0.5) -> dict[str, TaskReport]:
    """Every known public set under `directory` (shared/data or one of its folders); test splits only."""
    reports: dict[str, TaskReport] = {}
    folders = [directory] if (directory / "test.csv").exists() or (directory / "test.txt").exists() or (
        directory / "test.tsv").exists() else sorted(p for p in directory.iterdir() if p.is_dir())
    for folder in folders:
        name = folder.name
        if name.startswith("abuse") and (folder / "test.csv").exists():
            reports[name] = evaluate_abuse(triager, read_cold(folder / "test.csv"))
        elif name.startswith("sentiment") and (folder / "test.csv").exists():
            reports[name] = evaluate_sentiment(triager, read_sentiment(folder / "test.csv"), name)
        elif name.startswith("emotion") and (folder / "test.txt").exists():
            reports[name] = evaluate_emotion(triager, read_emotion(folder / "test.txt"))
        elif name.startswith("similarity"):
            test = next((folder / f for f in ("test.txt", "test.tsv") if (folder / f).exists()), None)
            if test is not None:
                reports[name] = evaluate_pairs(read_pairs(test), name, duplicate_threshold)
    return reports


def confusion_table(report: TaskReport, width: int = 7) -> str:
    labels = list(report.confusion)
    short = [label[:width] for label in labels]
    lines = [" " * (width + 2) + " ".join(f"{s:>{width}}" for s in short)]
    for label, row_short in zip(labels, short, strict=True):
        row = report.confusion[label]
        lines.append(f"{row_short:>{width}}  " + " ".join(f"{row[p]:>{width}}" for p in labels))
    return "\n".join(lines)


def summary_counts(records: Sequence[corpus.Record], task: str) -> dict[str, int]:
    return dict(Counter(r.labels.get(task, "") for r in records))
