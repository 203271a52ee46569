"""API keys, scopes and the rate limit (caseloop/api/auth.py, services.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest

from caseloop.api.models import ApiKey
from caseloop.api.services import apikey_authenticate, apikey_revoke
from caseloop.cases.models import Case
from tests.api.conftest import ApiClient, Key, case_payload

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer cl_0000_nope", "Basic dXNlcjpwYXNz", "Token x"])
def test_a_request_without_a_valid_key_is_unauthorized(key: Key, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = ApiClient(None).post("/cases", case_payload(), headers=headers)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Case.objects.exists()


def test_a_key_with_the_right_prefix_but_a_wrong_secret_is_unauthorized(key: Key) -> None:
    forged = key.secret[:-4] + ("AAAA" if not key.secret.endswith("AAAA") else "BBBB")

    assert ApiClient(forged).get("/cases").status_code == 401
    assert apikey_authenticate(forged) is None


@pytest.fixture(params=["local-memory", "redis"])
def any_cache(request: pytest.FixtureRequest) -> None:
    """Keys are cached after use: the per-process cache in development, Redis in production."""
    if request.param == "redis":
        request.getfixturevalue("redis_cache")


@pytest.mark.usefixtures("any_cache")
def test_a_revoked_key_is_unauthorized_at_once(key: Key) -> None:
    assert key.client().get("/cases").status_code == 200  # now cached

    apikey_revoke(name=key.api_key.name)

    assert key.client().get("/cases").status_code == 401
    key.api_key.user.refresh_from_db()
    assert key.api_key.user.is_active is False


@pytest.mark.usefixtures("any_cache")
def test_a_cached_key_follows_changes_to_its_scopes_and_its_service_user(key: Key) -> None:
    assert key.client().get("/cases").status_code == 200  # now cached

    key.api_key.scopes = ["cases:write"]
    key.api_key.save(update_fields=["scopes"])
    assert key.client().get("/cases").status_code == 403

    key.api_key.scopes = ["cases:read"]
    key.api_key.save(update_fields=["scopes"])
    assert key.client().get("/cases").status_code == 200
    key.api_key.user.is_active = False
    key.api_key.user.save(update_fields=["is_active"])
    assert key.client().get("/cases").status_code == 401


@pytest.mark.parametrize(("scopes", "method", "path"), [
    (["cases:read"], "post", "/cases"),
    (["cases:write"], "get", "/cases"),
    (["cases:write"], "get", "/cases/CF202501010001"),
    (["cases:read", "personal_data:read"], "post", "/cases/CF202501010001/messages"),
])
def test_a_key_without_the_operations_scope_is_forbidden(
    make_key: Callable[..., Key], scopes: list[str], method: str, path: str,
) -> None:
    api = make_key(scopes).client()

    response = api.post(path, case_payload()) if method == "post" else api.get(path)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"
    assert not Case.objects.exists()


def test_only_a_hash_of_the_key_is_stored(key: Key) -> None:
    stored = ApiKey.objects.values().get()

    assert stored["key_hash"] == hashlib.sha256(key.secret.encode()).hexdigest()
    assert key.secret not in str(stored)
    assert key.secret.startswith(f"cl_{stored['prefix']}_")


def test_the_service_user_cannot_log_in(key: Key) -> None:
    assert not key.api_key.user.has_usable_password()
    assert not key.api_key.user.is_staff


def test_a_key_over_its_rate_limit_is_told_when_to_retry(make_key: Callable[..., Key]) -> None:
    key = make_key(rate_limit_per_minute=2)
    api = key.client()

    statuses = [api.get("/cases").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    refused = api.get("/cases")
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Another key has its own allowance.
    assert make_key().client().get("/cases").status_code == 200


def test_the_api_needs_no_csrf_token(api: ApiClient) -> None:
    # ApiClient.post uses a client that enforces CSRF checks, like a browser-less integration.
    assert api.post("/cases", case_payload()).status_code == 201
