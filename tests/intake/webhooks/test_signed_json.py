from __future__ import annotations

import json
import logging
import time
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from pytest_django import Settings

from caseloop.cases.choices import Channel
from caseloop.cases.models import Case, CaseMessage
from caseloop.customers.services import CustomerDetails
from caseloop.intake import channels
from caseloop.intake.models import InboundMessage, InboundOutcome, InboundStatus, WebhookEndpoint
from caseloop.intake.services import intake_process, intake_requeue
from tests.factories import register_case
from tests.intake.webhooks.conftest import HOOK_SECRET, sign

SMS_URL = "/hooks/sms/sms-gw/"
SOCIAL_URL = "/hooks/social/listening/"
JSON = "application/json"


def _sms(**fields: Any) -> bytes:
    message = {"id": "gw-0001", "from": "+86 138 0013 8000", "text": "宽带又断了，三天两次", "received_at": "2026-01-05T09:30:00+08:00",
               "author_name": "张女士"}
    message.update(fields)
    return json.dumps({k: v for k, v in message.items() if v is not None}, ensure_ascii=False).encode()


def test_signed_sms_is_accepted_and_becomes_a_case(post_on_commit: Any, sms_endpoint: WebhookEndpoint) -> None:
    body = _sms()
    response = post_on_commit(SMS_URL, body, content_type=JSON, **sign(body))

    assert response.status_code == 202
    message = InboundMessage.objects.get()
    assert response.json() == {"inbound_id": message.pk, "status": "accepted", "duplicate": False}
    assert (message.channel, message.source, message.external_id) == (Channel.SMS, "sms-gw", "gw-0001")
    assert (message.status, message.outcome) == (InboundStatus.PROCESSED, InboundOutcome.CREATED)
    case = Case.objects.get()
    assert case.channel == Channel.SMS
    assert case.customer.phone_normalized == "13800138000"
    assert case.customer.name == "张女士"
    assert case.content == "宽带又断了，三天两次"
    assert case.received_at.isoformat() == "2026-01-05T01:30:00+00:00"


def test_duplicate_id_makes_no_second_case(post_on_commit: Any, sms_endpoint: WebhookEndpoint) -> None:
    body = _sms()
    post_on_commit(SMS_URL, body, content_type=JSON, **sign(body))
    again = post_on_commit(SMS_URL, body, content_type=JSON, **sign(body))

    assert again.status_code == 202
    assert again.json()["duplicate"] is True
    assert InboundMessage.objects.count() == 1
    assert Case.objects.count() == 1


def test_sms_naming_an_open_case_of_the_same_phone_is_a_reply(post_on_commit: Any, sms_endpoint: WebhookEndpoint) -> None:
    case = register_case(channel=Channel.SMS, customer=CustomerDetails(phone="13800138000"))
    body = _sms(text=f"回复{case.number}：还是没有修好")

    post_on_commit(SMS_URL, body, content_type=JSON, **sign(body))

    assert Case.objects.count() == 1
    assert InboundMessage.objects.get().outcome == InboundOutcome.APPENDED
    assert CaseMessage.objects.get(case=case).body == f"回复{case.number}：还是没有修好"


def test_missing_signature_headers_are_refused_and_nothing_stored(client: Client, sms_endpoint: WebhookEndpoint) -> None:
    body = _sms()
    headers = sign(body)

    no_signature = client.post(SMS_URL, data=body, content_type=JSON,
                               HTTP_X_CASELOOP_TIMESTAMP=headers["HTTP_X_CASELOOP_TIMESTAMP"])
    no_timestamp = client.post(SMS_URL, data=body, content_type=JSON,
                               HTTP_X_CASELOOP_SIGNATURE=headers["HTTP_X_CASELOOP_SIGNATURE"])

    assert no_signature.status_code == no_timestamp.status_code == 401
    assert no_signature.json()["error"]["code"] == "signature_required"
    assert not InboundMessage.objects.exists()


@pytest.mark.parametrize("tamper", ["secret", "body", "timestamp"])
def test_bad_signature_is_refused_logged_and_nothing_stored(
    client: Client, sms_endpoint: WebhookEndpoint, caplog: pytest.LogCaptureFixture, tamper: str,
) -> None:
    body = _sms()
    headers = sign(body, secret="wrong-secret") if tamper == "secret" else sign(body)
    if tamper == "body":
        body = _sms(text="改过的内容")
    if tamper == "timestamp":
        headers["HTTP_X_CASELOOP_TIMESTAMP"] = str(int(headers["HTTP_X_CASELOOP_TIMESTAMP"]) + 1)

    with caplog.at_level(logging.WARNING, logger="caseloop.intake.hooks"):
        response = client.post(SMS_URL, data=body, content_type=JSON, **headers)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_signature"
    assert not InboundMessage.objects.exists()
    assert "sms/sms-gw" in caplog.text
    assert HOOK_SECRET not in caplog.text
    assert headers["HTTP_X_CASELOOP_SIGNATURE"] not in caplog.text


def test_stale_timestamp_is_refused(client: Client, sms_endpoint: WebhookEndpoint) -> None:
    body = _sms()
    response = client.post(SMS_URL, data=body, content_type=JSON, **sign(body, timestamp=int(time.time()) - 3600))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "stale_timestamp"
    assert not InboundMessage.objects.exists()


@pytest.mark.parametrize(("body", "code", "field", "words"), [
    (b'{"id": "1", "from": "13800138000", "text": "hi"', "malformed_json", None, "line 1"),
    (b"[1, 2]", "malformed_json", None, "object"),
    (b"\xff\xfe{}", "invalid_encoding", None, "UTF-8"),
    (b'{"from": "13800138000", "text": "hi"}', "required", "id", "“id”"),
    (b'{"id": "1", "from": "13800138000", "text": ""}', "required", "text", "“text”"),
    (b'{"id": "1", "from": "13800138000", "text": ["a"]}', "invalid", "text", "string"),
    (b'{"id": "1", "from": "call me", "text": "hi"}', "invalid", "from", "phone"),
    (b'{"id": "1", "from": "13800138000", "text": "hi", "received_at": "yesterday"}', "invalid", "received_at", "ISO 8601"),
    (b'{"id": "1", "from": "13800138000", "text": "hi", "received_at": "2026-01-05T09:30:00"}', "invalid", "received_at", "offset"),
])
def test_malformed_body_is_a_400_naming_the_problem(
    client: Client, sms_endpoint: WebhookEndpoint, body: bytes, code: str, field: str | None, words: str,
) -> None:
    response = client.post(SMS_URL, data=body, content_type=JSON, HTTP_ACCEPT_LANGUAGE="en", **sign(body))

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code
    assert error.get("field") == field
    assert words in error["message"]
    assert not InboundMessage.objects.exists()


def test_error_message_follows_the_request_language(client: Client, sms_endpoint: WebhookEndpoint) -> None:
    body = b'{"id": "1", "text": "hi"}'
    english = client.post(SMS_URL, data=body, content_type=JSON, HTTP_ACCEPT_LANGUAGE="en", **sign(body))
    chinese = client.post(SMS_URL, data=body, content_type=JSON, HTTP_ACCEPT_LANGUAGE="zh-CN", **sign(body))

    assert english.json()["error"]["message"] == "The field “from” is required."
    assert english["Content-Language"] == "en"
    assert chinese.json()["error"]["code"] == "required"
    assert chinese["Content-Language"] == "zh-hans"


def test_unknown_inactive_or_mismatched_endpoint_is_not_found(client: Client, sms_endpoint: WebhookEndpoint) -> None:
    body = _sms()
    assert client.post("/hooks/sms/unknown/", data=body, content_type=JSON, **sign(body)).status_code == 404
    assert client.post("/hooks/social/sms-gw/", data=body, content_type=JSON, **sign(body)).status_code == 404
    assert client.post("/hooks/web/sms-gw/", data=body, content_type=JSON, **sign(body)).status_code == 404
    sms_endpoint.is_active = False
    sms_endpoint.save()
    assert client.post(SMS_URL, data=body, content_type=JSON, **sign(body)).status_code == 404
    assert not InboundMessage.objects.exists()


def test_only_post_is_accepted(client: Client, sms_endpoint: WebhookEndpoint) -> None:
    assert client.get(SMS_URL).status_code == 405


def test_social_post_becomes_a_case_with_its_address(post_on_commit: Any, social_endpoint: WebhookEndpoint) -> None:
    body = json.dumps({"id": 98765, "from": "洗衣机受害者", "platform": "weibo", "text": "某品牌洗衣机用了一个月就坏了",
                       "url": "https://weibo.example/98765", "author_name": "小王"}, ensure_ascii=False).encode()

    response = post_on_commit(SOCIAL_URL, body, content_type=JSON, **sign(body))

    assert response.status_code == 202
    case = Case.objects.get()
    assert case.channel == Channel.SOCIAL
    assert case.evidence == "https://weibo.example/98765"
    assert case.customer.name == "小王 (weibo @洗衣机受害者)"
    assert InboundMessage.objects.get().external_id == "98765"


def test_crash_after_the_answer_leaves_the_message_to_process_again(
    client: Client, sms_endpoint: WebhookEndpoint, settings: Settings,
) -> None:
    # The worker never got to it (crash between the 2xx and processing): nothing is lost.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    body = _sms()
    response = client.post(SMS_URL, data=body, content_type=JSON, **sign(body))

    assert response.status_code == 202
    message = InboundMessage.objects.get()
    assert message.status == InboundStatus.RECEIVED
    assert not Case.objects.exists()

    result = intake_process(message.pk)

    assert result.outcome == InboundOutcome.CREATED
    assert Case.objects.count() == 1


def test_processing_failure_quarantines_and_requeue_processes(
    post_on_commit: Any, sms_endpoint: WebhookEndpoint,
) -> None:
    body = _sms()
    broken = mock.Mock(side_effect=RuntimeError("parser bug"))
    with mock.patch.dict(channels.PARSERS, {Channel.SMS: broken}):
        response = post_on_commit(SMS_URL, body, content_type=JSON, **sign(body))

    assert response.status_code == 202
    message = InboundMessage.objects.get()
    assert message.status == InboundStatus.QUARANTINED
    assert "parser bug" in message.reason
    assert not Case.objects.exists()

    result = intake_requeue(message.pk)

    assert result.outcome == InboundOutcome.CREATED
    assert Case.objects.count() == 1


def test_enqueue_failure_still_answers_with_the_message_stored(client: Client, sms_endpoint: WebhookEndpoint,
                                                               django_capture_on_commit_callbacks: Any) -> None:
    from django.db import OperationalError

    body = _sms()
    queue_down = mock.Mock(**{"enqueue.side_effect": OperationalError("queue down")})
    with mock.patch("caseloop.intake.hooks.process_inbound", queue_down), django_capture_on_commit_callbacks(execute=True):
        response = client.post(SMS_URL, data=body, content_type=JSON, **sign(body))

    assert response.status_code == 202
    queue_down.enqueue.assert_called_once()
    assert InboundMessage.objects.get().status == InboundStatus.RECEIVED
