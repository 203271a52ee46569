"""Test data. Cases are only ever made through `case_register`, so that the number, the search
document and the first timeline event are as consistent as in production."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory

from caseloop.accounts.models import Department, User
from caseloop.accounts.roles import Role
from caseloop.cases.choices import Channel, Priority
from caseloop.cases.models import Case
from caseloop.cases.services import CaseRegistration, RegistrationResult, case_register
from caseloop.core import clock
from caseloop.customers.models import Customer
from caseloop.customers.services import CustomerDetails
from caseloop.products.models import Product

PASSWORD = "pass-1234-word"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept-{n}")
    name = factory.Sequence(lambda n: f"部门{n}")


class UserFactory(factory.django.DjangoModelFactory):
    """A person with one role; `UserFactory(role=Role.SPECIALIST, departments=[dept])`."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.AGENT
    email = factory.LazyAttribute(lambda user: f"{user.username}@caseloop.test")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def departments(self, create: bool, extracted: list[Department] | None, **kwargs: Any) -> None:
        if create and extracted:
            self.departments.set(extracted)

    @classmethod
    def _after_postgeneration(cls, instance: User, create: bool, results: dict[str, Any] | None = None) -> None:
        # set_password only changes the instance; keep the hash.
        if create:
            instance.save(update_fields=["password"])


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"客户{n}")
    phone = factory.Sequence(lambda n: f"139{n:08d}")
    phone_normalized = factory.LazyAttribute(lambda customer: customer.phone)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    brand = "海川"
    name = factory.Sequence(lambda n: f"滚筒洗衣机{n}")
    model = factory.Sequence(lambda n: f"XQG{80 + n}-B{n}")
    product_line = "洗衣机"


class CustomerDetailsFactory(factory.Factory):
    class Meta:
        model = CustomerDetails

    name = factory.Sequence(lambda n: f"顾客{n}")
    phone = factory.Sequence(lambda n: f"137{n:08d}")


def _a_minute_ago() -> dt.datetime:
    return clock.now() - dt.timedelta(minutes=1)


class CaseRegistrationFactory(factory.Factory):
    """What an intake channel hands to `case_register`; build it, never create a Case from it."""

    class Meta:
        model = CaseRegistration

    channel = Channel.WEB
    subject = factory.Sequence(lambda n: f"洗衣机故障反馈 {n}")
    content = "洗衣机脱水时噪音很大，希望尽快上门检查。"
    received_at = factory.LazyFunction(_a_minute_ago)
    customer = factory.SubFactory(CustomerDetailsFactory)
    priority = Priority.MEDIUM


def register(*, registered_by: User | None = None, **fields: Any) -> RegistrationResult:
    """Register a case through the service; `fields` override CaseRegistration's defaults."""
    return case_register(registration=CaseRegistrationFactory.build(**fields), registered_by=registered_by)


def register_case(*, registered_by: User | None = None, **fields: Any) -> Case:
    return register(registered_by=registered_by, **fields).case
