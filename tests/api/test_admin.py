"""API keys in the Django admin: listed, narrowed, revoked; never created or deleted there."""

from __future__ import annotations

import pytest
from django.test import Client

from caseloop.api.models import ApiKey
from tests.api.conftest import Key
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_() -> Client:
    client = Client()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_an_admin_revokes_a_key_and_it_stops_working(admin_client_: Client, key: Key) -> None:
    assert admin_client_.get("/admin/api/apikey/").status_code == 200

    response = admin_client_.post("/admin/api/apikey/", {"action": "revoke", "_selected_action": [key.api_key.pk]})

    assert response.status_code == 302
    assert ApiKey.objects.get().revoked_at is not None
    assert key.client().get("/cases").status_code == 401


def test_an_admin_narrows_the_scopes(admin_client_: Client, key: Key) -> None:
    url = f"/admin/api/apikey/{key.api_key.pk}/change/"
    assert admin_client_.get(url).status_code == 200

    admin_client_.post(url, {"scopes": ["cases:read"], "rate_limit_per_minute": 60})

    assert ApiKey.objects.get().scopes == ["cases:read"]
    assert key.client().post("/cases", {}).status_code == 403


def test_keys_are_neither_added_nor_deleted_in_the_admin(admin_client_: Client, key: Key) -> None:
    assert admin_client_.get("/admin/api/apikey/add/").status_code == 403
    assert admin_client_.get(f"/admin/api/apikey/{key.api_key.pk}/delete/").status_code == 403
