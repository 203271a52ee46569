"""Who sees which case: one rule for every list, detail and export (access.py)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import transaction

from caseloop.accounts.models import Department, User
from caseloop.accounts.roles import Role
from caseloop.cases.access import access_case, visible_cases
from caseloop.cases.models import Case
from caseloop.cases.services import case_assign
from caseloop.core.errors import NotFound
from tests.factories import DepartmentFactory, UserFactory, register_case

OWN, REGISTERED, SAME_DEPARTMENT, OTHER_DEPARTMENT, UNROUTED = (
    "own",
    "registered",
    "same_department",
    "other_department",
    "unrouted",
)
ALL = {OWN, REGISTERED, SAME_DEPARTMENT, OTHER_DEPARTMENT, UNROUTED}

# Written out per role, independently of roles.ROLES_SEEING_ALL_CASES.
VISIBLE_TO: dict[str, set[str]] = {
    Role.AGENT: {OWN, REGISTERED},
    Role.SPECIALIST: {OWN, REGISTERED, SAME_DEPARTMENT},
    Role.APPROVER: {OWN, REGISTERED, SAME_DEPARTMENT},
    Role.SUPERVISOR: ALL,
    Role.SERVICE_MANAGER: ALL,
    Role.QA_REVIEWER: ALL,
    Role.ANALYST: ALL,
    Role.ADMIN: ALL,
    Role.AUDITOR: ALL,
}


@dataclass
class World:
    user: User
    cases: dict[str, Case]


def _world(role: str, *, is_active: bool = True) -> World:
    """A user of `role` in department A, and one case of each kind of relationship to them."""
    home = DepartmentFactory(code="home", name="售后服务部")
    away = DepartmentFactory(code="away", name="物流部")
    user = UserFactory(role=role, departments=[home], is_active=is_active)
    boss = UserFactory(role=Role.SUPERVISOR)
    colleague = UserFactory(role=Role.SPECIALIST, departments=[home])
    stranger = UserFactory(role=Role.SPECIALIST, departments=[away])

    own = register_case(registered_by=boss)
    # Owned by the user, routed to no department of theirs: visible only because they own it.
    case_assign(case=own, actor=boss, department=None, owner=user)
    cases = {
        OWN: own,
        REGISTERED: register_case(registered_by=user, department_id=away.pk),
        SAME_DEPARTMENT: case_assign(
            case=register_case(registered_by=boss), actor=boss, department=home, owner=colleague
        ),
        OTHER_DEPARTMENT: case_assign(
            case=register_case(registered_by=boss), actor=boss, department=away, owner=stranger
        ),
        UNROUTED: register_case(registered_by=boss),
    }
    return World(user=user, cases=cases)


def _numbers(world: World, kinds: set[str]) -> set[str]:
    return {world.cases[kind].number for kind in kinds}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_visible_cases_follow_the_role_rule(role: str) -> None:
    world = _world(role)

    visible = set(visible_cases(world.user).values_list("number", flat=True))

    assert visible == _numbers(world, VISIBLE_TO[role])


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_access_case_returns_visible_cases_and_reports_the_others_as_not_found(role: str) -> None:
    world = _world(role)

    for kind, case in world.cases.items():
        if kind in VISIBLE_TO[role]:
            assert access_case(world.user, case.number).pk == case.pk
        else:
            with pytest.raises(NotFound):
                access_case(world.user, case.number)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_an_inactive_user_sees_no_case_not_even_their_own(role: str) -> None:
    world = _world(role, is_active=False)

    assert not visible_cases(world.user).exists()
    for case in world.cases.values():
        with pytest.raises(NotFound):
            access_case(world.user, case.number)


@pytest.mark.django_db
def test_an_unknown_number_and_an_invisible_number_get_the_same_answer(agent: User) -> None:
    hidden = register_case()

    with pytest.raises(NotFound) as invisible:
        access_case(agent, hidden.number)
    with pytest.raises(NotFound) as unknown:
        access_case(agent, "CF209901010001")

    assert type(invisible.value) is type(unknown.value)
    assert invisible.value.code == unknown.value.code == "not_found"


@pytest.mark.django_db
def test_access_case_accepts_a_number_typed_in_lower_case_with_spaces(agent: User) -> None:
    case = register_case(registered_by=agent)

    assert access_case(agent, f"  {case.number.lower()} ").pk == case.pk


@pytest.mark.django_db
def test_a_specialist_in_two_departments_sees_both(
    specialist: User, department: Department, other_department: Department
) -> None:
    boss = UserFactory(role=Role.SUPERVISOR)
    first = register_case(registered_by=boss, department_id=department.pk)
    second = register_case(registered_by=boss, department_id=other_department.pk)
    assert set(visible_cases(specialist)) == {first}

    specialist.departments.add(other_department)

    assert set(visible_cases(specialist)) == {first, second}


@pytest.mark.django_db(transaction=True)
def test_access_case_for_update_locks_the_case_despite_its_optional_joins(supervisor: User) -> None:
    # PostgreSQL refuses FOR UPDATE on the nullable side of an outer join unless OF names the table.
    case = register_case()
    with transaction.atomic():
        locked = access_case(supervisor, case.number, for_update=True)
        assert locked.pk == case.pk
        assert locked.customer.pk == case.customer_id
