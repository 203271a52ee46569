"""The error shape and its language (caseloop/api/errors.py)."""

from __future__ import annotations

import pytest
from pytest_django import Settings

from caseloop.cases.models import Case
from tests.api.conftest import ApiClient, Key, case_payload

pytestmark = pytest.mark.django_db


def test_malformed_json_is_a_400_with_its_own_code(api: ApiClient) -> None:
    response = api.post("/cases", None, raw=b'{"subject": "unterminated')

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    assert response.json()["error"]["field"] is None
    assert not Case.objects.exists()


def test_a_body_over_the_upload_limit_is_413(api: ApiClient, settings: Settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api.post("/cases", case_payload(content="很长" * 1000))

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"
    assert not Case.objects.exists()


def test_a_body_that_is_not_utf8_is_malformed_json(api: ApiClient) -> None:
    response = api.post("/cases", None, raw='{"subject": "主题"}'.encode("gb18030"))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


@pytest.mark.parametrize(("body", "field", "code"), [
    ({k: v for k, v in case_payload().items() if k != "subject"}, "subject", "required"),
    (case_payload(subject="题" * 201), "subject", "too_long"),
    (case_payload(priority="urgent"), "priority", "invalid_choice"),
    (case_payload(customer={"phone": 13800138000}), "customer.phone", "invalid"),
    (case_payload(attachments=[{"data": "AAAA"}]), "attachments[0].name", "required"),
    (case_payload(subjcet="typo"), "subjcet", "unknown_field"),
    (case_payload(received_at="yesterday"), "received_at", "invalid"),
    ([case_payload()], None, "invalid"),
])
def test_a_validation_error_names_the_field(api: ApiClient, body: object, field: str | None, code: str) -> None:
    response = api.post("/cases", body)

    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["field"], error["code"]) == (field, code)
    assert error["message"]
    assert error["details"][0] == {"field": field, "code": code, "message": error["message"]}
    assert not Case.objects.exists()


def test_every_problem_is_listed(api: ApiClient) -> None:
    response = api.post("/cases", {"customer": {}, "priority": "urgent"})

    assert {item["field"] for item in response.json()["error"]["details"]} == {"subject", "content", "priority"}


def test_the_services_refusals_keep_their_code_and_field(api: ApiClient) -> None:
    response = api.post("/cases", case_payload(customer={"email": "not-an-address"}))
    assert response.json()["error"] | {"message": ""} == {"code": "invalid", "field": "customer.email", "message": ""}

    response = api.post("/cases", case_payload(customer={}))
    assert (response.status_code, response.json()["error"]["field"]) == (422, "customer")


@pytest.mark.parametrize(("accept_language", "language", "message"), [
    (None, "zh-hans", "主题为必填项。"),
    ("en-US,en;q=0.9", "en", "The subject is required."),
    ("zh-TW,zh;q=0.9", "zh-hant", "主題為必填項。"),
    ("fr-FR, en;q=0.5", "en", "The subject is required."),
    ("de-DE", "zh-hans", "主题为必填项。"),
])
def test_messages_are_in_the_requested_language_chinese_by_default(
    key: Key, accept_language: str | None, language: str, message: str,
) -> None:
    response = key.client(accept_language).post("/cases", case_payload(subject="   "))

    assert response.status_code == 422
    assert response.json()["error"] == {"code": "required", "message": message, "field": "subject"}
    assert response["Content-Language"] == language


def test_not_found_is_translated_too(key: Key) -> None:
    assert key.client().get("/cases/CF209901010001").json()["error"]["message"] == "未找到工单 CF209901010001。"
    english = key.client("en").get("/cases/CF209901010001").json()["error"]
    assert english == {"code": "not_found", "message": "Case CF209901010001 was not found.", "field": None}


def test_an_english_client_gets_english_validation_messages(key: Key) -> None:
    error = key.client("en").post("/cases", {"customer": {}, "content": "x"}).json()["error"]

    assert error["message"] == "This field is required."
