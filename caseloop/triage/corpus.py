"""The labelled triage corpus shipped with Caseloop (see corpus/README.md) and its fixed split.

The split is decided by a hash of each text, so it never changes when records are added and the
test records are never trained on.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

CORPUS_DIR = Path(__file__).with_name("corpus")
TEST_SHARE = 5  # one record in five is held out

# The label fields of a record and the tasks the models learn from them.
LABEL_FIELDS = ("type", "priority", "review", "sentiment", "emotion", "domain", "product_line", "demand")


@dataclass(frozen=True)
class Record:
    text: str
    labels: dict[str, str]
    issue_points: tuple[str, ...] = ()
    script: str = "simplified"
    source: str = ""  # file it came from
    extra: dict[str, object] = field(default_factory=dict)


def split_of(text: str) -> str:
    digest = hashlib.sha1(text.strip().encode("utf-8"), usedforsecurity=False).digest()
    return "test" if digest[0] % TEST_SHARE == 0 else "train"


def read_jsonl(path: Path) -> Iterator[Record]:
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, 1):
            line = line.strip()
            if not line:
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{line_number}: {exc}") from exc
            text = str(raw.get("text", "")).strip()
            if not text:
                continue
            labels = {name: str(raw[name]) for name in LABEL_FIELDS if raw.get(name)}
            yield Record(text=text, labels=labels, issue_points=tuple(raw.get("issue_points") or ()),
                         script=str(raw.get("script") or "simplified"), source=path.name)


def load(directory: Path = CORPUS_DIR, *, split: str | None = None) -> list[Record]:
    """Every record under `directory` (*.jsonl, recursively); `split` 'train'/'test' keeps one side."""
    seen: set[str] = set()
    records: list[Record] = []
    for path in sorted(directory.rglob("*.jsonl")):
        for record in read_jsonl(path):
            if record.text in seen:  # a text in two files would leak across the split
                continue
            seen.add(record.text)
            if split is None or split_of(record.text) == split:
                records.append(record)
    return records


# The public abuse set the built-in model also learns from (Apache-2.0, see its README).
COLD_TRAIN = CORPUS_DIR / "public" / "cold" / "train.csv.gz"


def digest(records: Iterable[Record], *files: Path) -> str:
    """Identifies a training set: the same records (and data files) give the same digest."""
    h = hashlib.sha256()
    for record in sorted(records, key=lambda r: r.text):
        h.update(json.dumps([record.text, record.labels], ensure_ascii=False, sort_keys=True).encode())
    for path in files:
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:16]
