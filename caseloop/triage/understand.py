"""Understanding a complaint (R3.2): its issue points, the core demand, what to check for each.

Clauses are cut at punctuation and connectives; a clause that names a known symptom becomes
the symptom's standard issue (耳机声音断断续续 → 连接不稳定 + 音质异常, 充电慢 → 充电效率低);
other clauses that carry a problem word are kept in the customer's words. Pure: the symptom map
and templates are data (`data/symptoms.json`, `AnalysisTemplate`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from caseloop.triage.reasons import Reason

DATA_DIR = Path(__file__).with_name("data")

_CLAUSE_SPLIT = re.compile(r"[。！？!?；;\n，,、]+|(?:另外|还有就是|还有|而且|并且|此外|其次|再者|同时|然后)")
_PROBLEM_WORDS = re.compile(
    r"不|没|无法|不能|坏|慢|差|漏|断|卡|错|问题|故障|异常|投诉|失败|太久|烂|假|乱|贵|多收|少|丢|破|脏|臭|吵|响|烫|延误|延迟|骚扰|泄露|拖")
_FILLER = re.compile(r"^(?:我们|我|你们|你|就是|而且|然后|但是|可是|结果|现在|目前|的|了|也|还|都|又)+")


@dataclass(frozen=True)
class Symptom:
    pattern: re.Pattern[str]
    issue: str
    type: str


@lru_cache(maxsize=1)
def default_symptoms() -> tuple[Symptom, ...]:
    raw = json.loads((DATA_DIR / "symptoms.json").read_text(encoding="utf-8"))
    return tuple(Symptom(re.compile(item["cues"]), item["issue"], item["type"]) for item in raw)


@dataclass(frozen=True)
class IssuePoint:
    text: str  # the standard issue name, or the customer's clause
    clause: str  # where in the text it was found
    type: str = ""  # the type of this issue (symptom map or the type model)
    symptom: bool = False  # True when it came from the symptom map

    def as_dict(self) -> dict[str, object]:
        return {"text": self.text, "clause": self.clause, "type": self.type, "from_symptom_map": self.symptom}


@dataclass(frozen=True)
class Demand:
    code: str
    reasons: list[Reason] = field(default_factory=list)


MODEL_FIRST_CONFIDENCE = 0.5
_DEMAND_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("refund", re.compile(r"退款|退钱|退货退款|把钱退|退费|全额退")),
    ("exchange", re.compile(r"换货|换新|换一台|换一个|调换")),
    ("compensation", re.compile(r"赔偿|补偿|赔钱|三倍|假一赔")),
    ("repair", re.compile(r"维修|上门修|修一下|修好|检修|派师傅")),
    ("apology", re.compile(r"道歉|赔礼")),
    ("explanation", re.compile(r"解释|说法|给个交代|交代|为什么")),
    ("improvement", re.compile(r"建议|希望(?:能|可以)?增加|希望(?:能|可以)?优化|改进")),
    ("information", re.compile(r"请问|怎么|如何|能不能|可以吗|吗[?？]|多少钱|在哪")),
    ("fix", re.compile(r"尽快|马上|立刻|赶紧|处理一下|解决")),
)


def issue_points(folded: str, *, symptoms: Sequence[Symptom] | None = None, limit: int = 5) -> list[IssuePoint]:
    symptoms = default_symptoms() if symptoms is None else symptoms
    points: list[IssuePoint] = []
    seen: set[str] = set()
    for raw_clause in _CLAUSE_SPLIT.split(folded):
        clause = raw_clause.strip()
        if len(clause) < 2:
            continue
        matched = [s for s in symptoms if s.pattern.search(clause)]
        for symptom in matched:
            if symptom.issue not in seen:
                seen.add(symptom.issue)
                points.append(IssuePoint(symptom.issue, clause, symptom.type, symptom=True))
        if not matched and _PROBLEM_WORDS.search(clause):
            text = _FILLER.sub("", clause)[:20]
            if len(text) >= 3 and text not in seen:
                seen.add(text)
                points.append(IssuePoint(text, clause))
        if len(points) >= limit:
            break
    return points[:limit]


def core_demand(folded: str, *, model_label: str = "", model_confidence: float = 0.0) -> Demand:
    """The model when it is sure; otherwise the customer's own words (a reader sees which), then the model.

    On the corpus's held-out split the confident model beat the word cues (accuracy 0.63 vs 0.57):
    cues like 解决 or 请问 appear in texts whose real demand is something else.
    """
    if model_label and model_confidence >= MODEL_FIRST_CONFIDENCE:
        return Demand(model_label, [Reason("model", "demand.model", detail=model_label, confidence=model_confidence)])
    for code, pattern in _DEMAND_CUES:
        match = pattern.search(folded)
        if match:
            return Demand(code, [Reason("rule", "demand.words", detail=match.group(0))])
    if model_label:
        return Demand(model_label, [Reason("model", "demand.model", detail=model_label, confidence=model_confidence)])
    return Demand("none")
