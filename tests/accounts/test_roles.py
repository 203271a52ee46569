"""The role table is data the whole system trusts; a few facts about it are worth pinning."""

from __future__ import annotations

import pytest

from caseloop.accounts.roles import ROLE_CAPABILITIES, Capability, Role, capabilities_of, role_can
from tests.factories import UserFactory


def test_every_role_has_an_entry_in_the_capability_table() -> None:
    # An unlisted role would silently get no capabilities at all.
    assert set(ROLE_CAPABILITIES) == set(Role.values)


def test_unknown_role_has_no_capabilities() -> None:
    assert capabilities_of("intern") == frozenset()
    assert not role_can("intern", Capability.REGISTER_CASE)


@pytest.mark.parametrize(
    ("role", "capability", "expected"),
    [
        (Role.AGENT, Capability.REVIEW, False),
        (Role.AGENT, Capability.ASSIGN, False),
        (Role.SUPERVISOR, Capability.REVIEW, True),
        (Role.SPECIALIST, Capability.REGISTER_CASE, False),
        (Role.QA_REVIEWER, Capability.VIEW_PERSONAL_DATA, False),
        (Role.APPROVER, Capability.APPROVE, True),
        (Role.ANALYST, Capability.ADD_NOTE, False),
        (Role.AUDITOR, Capability.VIEW_ACCESS_LOG, True),
    ],
)
def test_role_can_answers_from_the_table(role: str, capability: Capability, expected: bool) -> None:
    assert role_can(role, capability) is expected


@pytest.mark.django_db
def test_inactive_user_can_do_nothing_whatever_the_role() -> None:
    # Given a supervisor who has left
    user = UserFactory(role=Role.SUPERVISOR, is_active=False)

    # Then no capability is granted
    assert not any(user.can(capability) for capability in Capability)


@pytest.mark.django_db
def test_factory_user_can_log_in_with_the_documented_password() -> None:
    user = UserFactory()

    user.refresh_from_db()
    assert user.check_password("pass-1234-word")
