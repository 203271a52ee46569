"""Why triage decided what it did: one small value type, stored as JSON and rendered translated."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Reason:
    """`kind`: rule | model | signal. `code` names the rule or signal (labels in `labels.py`);
    `detail` is what matched (a keyword, a rule's name, a count); `confidence` for model reasons."""

    kind: str
    code: str
    detail: str = ""
    confidence: float | None = None

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.confidence is None:
            data.pop("confidence")
        else:
            data["confidence"] = round(self.confidence, 3)
        return data

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Reason:
        return Reason(kind=str(data.get("kind", "")), code=str(data.get("code", "")), detail=str(data.get("detail", "")),
                      confidence=data.get("confidence"))
