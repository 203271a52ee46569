"""`caseloop apikey create|list|revoke` (caseloop/api/management/commands/apikey.py)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from caseloop.accounts.models import Department
from caseloop.accounts.roles import Role
from caseloop.api.models import ApiKey
from caseloop.api.services import apikey_authenticate

pytestmark = pytest.mark.django_db


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("apikey", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_create_prints_the_key_once_and_list_never_shows_it() -> None:
    out, err = _run("create", "--name", "erp", "--scopes", "cases:write,cases:read")

    secret = out.strip()
    api_key = apikey_authenticate(secret)
    assert api_key is not None
    assert (api_key.name, api_key.scopes, api_key.visibility) == ("erp", ["cases:read", "cases:write"], "own")
    assert "cannot be shown again" in err
    listing, _ = _run("list")
    assert "erp" in listing
    assert api_key.prefix in listing
    assert secret not in listing


def test_a_department_key_gets_a_specialist_service_user_of_those_departments(department: Department) -> None:
    _run("create", "--name", "store-app", "--scopes", "cases:read", "--visibility", "department",
         "--department", department.code)

    user = ApiKey.objects.get(name="store-app").user
    assert user.role == Role.SPECIALIST
    assert list(user.departments.all()) == [department]
    assert f"department:{department.code}" in _run("list")[0]


@pytest.mark.parametrize("args", [
    ["--scopes", "cases:delete"],
    ["--scopes", ""],
    ["--scopes", "cases:read", "--visibility", "department"],
    ["--scopes", "cases:read", "--department", "nowhere"],
])
def test_create_refuses_what_it_cannot_honour(args: list[str]) -> None:
    with pytest.raises(CommandError):
        _run("create", "--name", "bad", *args)

    assert not ApiKey.objects.exists()


def test_a_name_that_is_not_a_slug_is_refused() -> None:
    with pytest.raises(CommandError, match="密钥名称"):
        _run("create", "--name", "my key!", "--scopes", "cases:read")

    assert not ApiKey.objects.exists()


def test_a_second_key_of_the_same_name_is_refused() -> None:
    _run("create", "--name", "erp", "--scopes", "cases:read")

    with pytest.raises(CommandError, match="erp"):
        _run("create", "--name", "erp", "--scopes", "cases:read")


def test_revoke_stops_the_key_at_once() -> None:
    secret = _run("create", "--name", "erp", "--scopes", "cases:read")[0].strip()

    out, _ = _run("revoke", "erp")

    assert "erp" in out
    assert apikey_authenticate(secret) is None
    assert "revoked" in _run("list")[0]
    with pytest.raises(CommandError):
        _run("revoke", "nobody")
