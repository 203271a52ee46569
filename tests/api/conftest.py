"""API keys and a JSON client for the REST API tests (tests/api)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.test.client import MULTIPART_CONTENT

from caseloop.accounts.models import Department
from caseloop.api.models import ApiKey, KeyVisibility
from caseloop.api.services import apikey_create

ALL_SCOPES = ["cases:read", "cases:write"]
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    # The cache outlives a test's database rollback; key IDs may be reused by the next test.
    cache.clear()


@dataclass
class ApiClient:
    """Sends JSON to /api/v1 with `Authorization: Bearer <key>`; answers are (status, body, response)."""

    key: str | None
    language: str | None = None

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        result = {}
        if self.key is not None:
            result["Authorization"] = f"Bearer {self.key}"
        if self.language:
            result["Accept-Language"] = self.language
        result.update(headers or {})
        return result

    def get(self, path: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> Any:
        return Client().get(f"/api/v1{path}", params or {}, headers=self._headers(headers))

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None, *, raw: bytes | None = None) -> Any:
        data = raw if raw is not None else json.dumps(body)
        return Client(enforce_csrf_checks=True).post(f"/api/v1{path}", data, content_type="application/json",
                                                     headers=self._headers(headers))


@dataclass
class Key:
    api_key: ApiKey
    secret: str

    def client(self, language: str | None = None) -> ApiClient:
        return ApiClient(self.secret, language)


@pytest.fixture
def make_key(db: None) -> Callable[..., Key]:
    counter = iter(range(1, 1000))

    def make(scopes: list[str] | None = None, *, visibility: str = KeyVisibility.OWN,
             departments: list[Department] | None = None, name: str | None = None, **kwargs: Any) -> Key:
        created = apikey_create(name=name or f"key-{next(counter)}", scopes=scopes or ALL_SCOPES,
                                visibility=visibility, departments=departments, **kwargs)
        return Key(created.api_key, created.secret)

    return make


@pytest.fixture
def key(make_key: Callable[..., Key]) -> Key:
    return make_key()


@pytest.fixture
def api(key: Key) -> ApiClient:
    return key.client()


def case_payload(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "api",
        "customer": {"name": "张三", "phone": "+86 138 0013 8000", "email": "zhang@example.cn"},
        "subject": "洗衣机脱水噪音大",
        "content": "新买的滚筒洗衣机脱水时噪音很大，希望上门检查。",
        "order_number": "DD20250301001",
    }
    body.update(overrides)
    return body


def attachment(name: str = "photo.png", data: bytes = PNG, **extra: Any) -> dict[str, Any]:
    return {"name": name, "content_type": "image/png", "data": base64.b64encode(data).decode(), **extra}


__all__ = ["MULTIPART_CONTENT", "ApiClient", "Key", "attachment", "case_payload"]
