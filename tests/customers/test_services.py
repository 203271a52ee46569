"""Identity resolution: find the customer by a contact point, fill gaps, never merge anonymous ones."""

from __future__ import annotations

import pytest

from caseloop.customers.models import Customer
from caseloop.customers.services import CustomerDetails, customer_find, customer_resolve
from tests.factories import CustomerFactory


@pytest.mark.django_db
def test_a_new_contact_creates_a_customer_with_normalised_contact_points() -> None:
    customer = customer_resolve(
        CustomerDetails(name=" 陈静 ", phone="+86 138 0013 8000", email="Chen.Jing@Example.com")
    )

    stored = Customer.objects.get()
    assert stored == customer
    assert (stored.name, stored.phone, stored.phone_normalized) == ("陈静", "+86 138 0013 8000", "13800138000")
    assert (stored.email, stored.email_normalized) == ("Chen.Jing@Example.com", "chen.jing@example.com")
    assert stored.is_anonymous is False


@pytest.mark.django_db
@pytest.mark.parametrize(
    "details",
    [
        CustomerDetails(phone="0086-138-0013-8000"),
        CustomerDetails(email=" LILEI@example.COM"),
        CustomerDetails(member_id="VIP-0042 "),
        CustomerDetails(wechat_openid="oWx123"),
    ],
    ids=["phone", "email", "member-id", "wechat"],
)
def test_any_known_contact_point_finds_the_existing_customer(details: CustomerDetails) -> None:
    existing = CustomerFactory(
        name="李雷",
        phone="13800138000",
        phone_normalized="13800138000",
        email="lilei@example.com",
        email_normalized="lilei@example.com",
        member_id="VIP-0042",
        wechat_openid="oWx123",
    )

    assert customer_resolve(details) == existing
    assert Customer.objects.count() == 1


@pytest.mark.django_db
def test_a_found_customer_gets_only_the_missing_fields_filled_in() -> None:
    # Given a customer known by name and phone
    existing = customer_resolve(CustomerDetails(name="李雷", phone="13800138000", region="上海"))

    # When a later contact gives the same phone, another name, an e-mail and another region
    found = customer_resolve(
        CustomerDetails(name="韩梅梅", phone="138 0013 8000", email="lilei@example.com", region="北京")
    )

    # Then it is the same customer; the e-mail is added, what was recorded is kept
    stored = Customer.objects.get()
    assert found.pk == existing.pk == stored.pk
    assert (stored.name, stored.region, stored.phone) == ("李雷", "上海", "13800138000")
    assert (stored.email, stored.email_normalized) == ("lilei@example.com", "lilei@example.com")


@pytest.mark.django_db
def test_the_oldest_customer_wins_when_contact_points_match_several() -> None:
    older = CustomerFactory(phone="13800138000", phone_normalized="13800138000")
    CustomerFactory(email="a@example.com", email_normalized="a@example.com")

    assert customer_resolve(CustomerDetails(phone="13800138000", email="a@example.com")) == older


@pytest.mark.django_db
def test_anonymous_customers_without_contact_are_never_merged() -> None:
    first = customer_resolve(CustomerDetails(is_anonymous=True, region="杭州"))
    second = customer_resolve(CustomerDetails(is_anonymous=True))

    assert first.pk != second.pk
    assert (first.is_anonymous, first.name, first.region) == (True, "", "杭州")
    assert Customer.objects.filter(is_anonymous=True).count() == 2


@pytest.mark.django_db
def test_an_anonymous_contact_with_a_known_phone_is_not_merged_into_the_named_customer() -> None:
    named = CustomerFactory(name="李雷", phone="13800138000", phone_normalized="13800138000")

    anonymous = customer_resolve(CustomerDetails(is_anonymous=True, phone="13800138000"))

    assert anonymous.pk != named.pk
    assert anonymous.is_anonymous is True
    named.refresh_from_db()
    assert named.name == "李雷"


@pytest.mark.django_db
def test_a_named_contact_is_not_merged_into_an_anonymous_customer_with_the_same_phone() -> None:
    anonymous = customer_resolve(CustomerDetails(is_anonymous=True, phone="13800138000"))

    named = customer_resolve(CustomerDetails(name="李雷", phone="13800138000"))

    assert named.pk != anonymous.pk
    assert customer_find(CustomerDetails(phone="13800138000")) == named


@pytest.mark.django_db
def test_details_without_any_contact_point_find_nobody() -> None:
    CustomerFactory(name="李雷")

    assert customer_find(CustomerDetails(name="李雷")) is None


@pytest.mark.django_db
def test_a_blank_contact_point_never_matches_customers_who_lack_it() -> None:
    CustomerFactory(name="没有会员号的客户", member_id="", email="", email_normalized="")

    found = customer_find(CustomerDetails(member_id="   ", email=" "))

    assert found is None
