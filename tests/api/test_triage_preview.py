"""POST /api/v1/triage/preview: the same triage a case gets, for one text, nothing stored."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from caseloop.cases.models import Case
from tests.api.conftest import Key

pytestmark = pytest.mark.usefixtures("triage_ready")


@pytest.fixture
def triage_key(make_key: Callable[..., Key]) -> Key:
    return make_key(["triage:preview"])


def test_preview_answers_with_reasons_and_stores_nothing(triage_key: Key) -> None:
    response = triage_key.client().post("/triage/preview", {"text": "燃气灶漏气，厨房里一股煤气味，订单号2026110112345678",
                                                          "channel": "wechat"})
    assert response.status_code == 200
    body = response.json()
    assert body["priority"] == "high"
    assert any(r["kind"] == "rule" for r in body["priority_reasons"])
    assert {"type", "type_confidence", "review", "sentiment", "issue_points", "entities"} <= set(body)
    assert {"kind": "order_number", "value": "2026110112345678"}.items() <= body["entities"][0].items() or any(
        e["kind"] == "order_number" for e in body["entities"])
    assert body["source"] == "online"
    assert not Case.objects.exists()


def test_preview_needs_its_scope(make_key: Callable[..., Key]) -> None:
    response = make_key(["cases:read"]).client().post("/triage/preview", {"text": "快递没到"})
    assert response.status_code == 403
    assert response.json()["error"]["code"]


def test_preview_names_the_missing_field_in_the_requests_language(triage_key: Key) -> None:
    response = triage_key.client(language="en").post("/triage/preview", {"channel": "web"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "text"


def test_preview_refuses_an_unknown_channel(triage_key: Key) -> None:
    response = triage_key.client().post("/triage/preview", {"text": "快递没到", "channel": "fax"})
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "channel"
