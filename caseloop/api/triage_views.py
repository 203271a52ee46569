"""POST /api/v1/triage/preview: what triage makes of a text, without registering anything."""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from caseloop.api.auth import ApiKeyAuth
from caseloop.api.models import ApiScope
from caseloop.api.schemas import ErrorOut
from caseloop.cases.choices import Channel
from caseloop.core import clock
from caseloop.triage.engine import TriageInput
from caseloop.triage.loading import current_triager

router = Router(tags=["triage"])


class TriagePreviewIn(Schema):
    text: str = Field(..., min_length=1, max_length=20000, description="The customer's words (subject and content).")
    channel: Channel | None = Field(None, description="Where it came from (online/offline source, channel rules).")
    customer_tier: str = Field("", max_length=20, description="standard, member, vip or enterprise.")


class ReasonOut(Schema):
    kind: str = Field(..., description="rule, model or signal")
    code: str
    detail: str = ""
    confidence: float | None = None


class TriagePreviewOut(Schema):
    type: str
    type_confidence: float
    type_alternatives: list[tuple[str, float]]
    needs_manual_dispatch: bool
    priority: str
    priority_reasons: list[ReasonOut]
    review: str = Field(..., description="ok, spam, abuse, out_of_scope or meaningless")
    review_confidence: float
    review_reasons: list[ReasonOut]
    is_rejectable: bool
    masked_text: str
    sentiment: str
    emotion: str
    domain: str
    product_line: str
    source: str
    demand: str
    demand_reasons: list[ReasonOut]
    issue_points: list[dict[str, Any]]
    entities: list[dict[str, Any]]
    model_version: str
    rules_digest: str
    ms: float = Field(..., description="Time triage took, in milliseconds.")


@router.post("/triage/preview", auth=ApiKeyAuth(ApiScope.TRIAGE_PREVIEW),
             response={200: TriagePreviewOut, frozenset({400, 401, 403, 422, 429}): ErrorOut},
             summary="Preview triage of a text", url_name="triage_preview")
def triage_preview(request: HttpRequest, payload: TriagePreviewIn) -> dict[str, Any]:
    """Review, type, priority with its reasons, sentiment, issue points and entities of one text —
    the same pass a registered case goes through. Nothing is stored."""
    started = time.perf_counter()
    text = payload.text.strip()
    result = current_triager().assess(TriageInput(text=text, channel=payload.channel or "",
                                                  customer_tier=payload.customer_tier,
                                                  received_at=clock.localtime(clock.now())))
    return {**result.as_dict(), "ms": round((time.perf_counter() - started) * 1000, 2)}
