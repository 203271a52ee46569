"""Unmasked personal data only for roles that need it, and every disclosure logged (R9.3)."""

from __future__ import annotations

import pytest

from caseloop.accounts.roles import Role
from caseloop.customers.models import Customer, PersonalDataAccess
from caseloop.customers.personal_data import customer_contact_for
from tests.factories import CustomerFactory, UserFactory

ROLES_WITH_PERSONAL_DATA = [Role.AGENT, Role.SUPERVISOR, Role.SPECIALIST, Role.SERVICE_MANAGER]
ROLES_WITHOUT_PERSONAL_DATA = [Role.ANALYST, Role.AUDITOR, Role.QA_REVIEWER, Role.APPROVER, Role.ADMIN]


def test_the_two_role_lists_cover_every_role() -> None:
    assert set(ROLES_WITH_PERSONAL_DATA) | set(ROLES_WITHOUT_PERSONAL_DATA) == set(Role)


@pytest.fixture
def customer(db: None) -> Customer:
    return CustomerFactory(
        name="欧阳娜娜",
        phone="13800138000",
        phone_normalized="13800138000",
        email="nana@example.com",
        address="北京市朝阳区建国路88号院3号楼",
        member_id="VIP-0042",
        region="北京",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES_WITH_PERSONAL_DATA)
def test_roles_that_need_personal_data_see_it_and_the_disclosure_is_logged(role: str, customer: Customer) -> None:
    user = UserFactory(role=role)

    contact = customer_contact_for(
        user=user, customer=customer, purpose="view", case_number="CF202611230001", ip_address="10.0.0.8"
    )

    assert contact.is_masked is False
    assert (contact.name, contact.phone, contact.email, contact.address, contact.member_id) == (
        "欧阳娜娜",
        "13800138000",
        "nana@example.com",
        "北京市朝阳区建国路88号院3号楼",
        "VIP-0042",
    )
    entry = PersonalDataAccess.objects.get()
    assert (entry.user, entry.customer, entry.case_number, entry.fields, entry.purpose, entry.ip_address) == (
        user,
        customer,
        "CF202611230001",
        "phone,email,address,member_id",
        "view",
        "10.0.0.8",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES_WITHOUT_PERSONAL_DATA)
def test_other_roles_get_masked_data_and_nothing_is_logged(role: str, customer: Customer) -> None:
    contact = customer_contact_for(user=UserFactory(role=role), customer=customer, purpose="view")

    assert contact.is_masked is True
    assert (contact.name, contact.phone, contact.email, contact.address, contact.member_id) == (
        "欧***",
        "138****8000",
        "n***@example.com",
        "北京********",
        "V*******",
    )
    assert contact.region == "北京"
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.django_db
def test_an_inactive_agent_gets_masked_data_and_nothing_is_logged(customer: Customer) -> None:
    contact = customer_contact_for(
        user=UserFactory(role=Role.AGENT, is_active=False), customer=customer, purpose="view"
    )

    assert contact.is_masked is True
    assert not PersonalDataAccess.objects.exists()


@pytest.mark.django_db
def test_only_the_fields_actually_disclosed_are_logged() -> None:
    customer = CustomerFactory(phone="13800138000", phone_normalized="13800138000", email="")

    customer_contact_for(user=UserFactory(role=Role.AGENT), customer=customer, purpose="print")

    assert PersonalDataAccess.objects.get().fields == "phone"


@pytest.mark.django_db
def test_a_customer_without_personal_data_leaves_no_log_entry() -> None:
    anonymous = Customer.objects.create(is_anonymous=True)

    contact = customer_contact_for(user=UserFactory(role=Role.AGENT), customer=anonymous, purpose="view")

    assert contact.is_masked is False
    assert not PersonalDataAccess.objects.exists()
