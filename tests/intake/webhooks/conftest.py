from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from pytest_django import Settings

from caseloop.cases.choices import Channel
from caseloop.intake.models import WebhookEndpoint

WECHAT_TOKEN = "wx-token-4f1c9a"
HOOK_SECRET = "hook-secret-8d2e7b"


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings: Settings) -> None:
    """process_inbound runs inside the request's on_commit (the worker's job in production)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def wechat_endpoint(db: None) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(channel=Channel.WECHAT, key="wx-main", name="公众号", token=WECHAT_TOKEN)


@pytest.fixture
def sms_endpoint(db: None) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(channel=Channel.SMS, key="sms-gw", name="短信网关", secret=HOOK_SECRET)


@pytest.fixture
def social_endpoint(db: None) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(channel=Channel.SOCIAL, key="listening", name="舆情监测", secret=HOOK_SECRET)


def wechat_query(token: str = WECHAT_TOKEN, *, timestamp: int | None = None, nonce: str = "n0nce42",
                 **extra: str) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = hashlib.sha1("".join(sorted([token, stamp, nonce])).encode()).hexdigest()  # noqa: S324 (WeChat's protocol)
    return {"signature": signature, "timestamp": stamp, "nonce": nonce, **extra}


def wechat_text(*, openid: str = "oUser_abc123", content: str = "洗衣机漏水，请尽快处理", msg_id: str = "2345678901234567",
                created: int | None = None) -> bytes:
    created = int(time.time()) if created is None else created
    return (f"<xml><ToUserName><![CDATA[gh_account]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>").encode()


def sign(body: bytes, *, secret: str = HOOK_SECRET, timestamp: int | None = None) -> dict[str, str]:
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"HTTP_X_CASELOOP_SIGNATURE": f"sha256={digest}", "HTTP_X_CASELOOP_TIMESTAMP": stamp}


@pytest.fixture
def post_on_commit(client: Client, django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """POST and run what the view left for after commit (the test's own transaction never commits)."""

    def post(path: str, body: bytes, *, content_type: str, **extra: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data=body, content_type=content_type, **extra)

    return post
