"""The bulk registration path of imports makes the same cases as case_register, in one go."""

from __future__ import annotations

import datetime as dt

import pytest

from caseloop.accounts.models import User
from caseloop.cases.bulk import case_register_bulk
from caseloop.cases.choices import Channel, EventKind
from caseloop.cases.models import Case, CaseEvent
from caseloop.cases.selectors import CaseFilters, case_list
from caseloop.core import clock
from caseloop.core.errors import ApplicationError
from caseloop.customers.models import Customer
from caseloop.customers.services import CustomerDetails
from tests.factories import CaseRegistrationFactory, register_case

pytestmark = pytest.mark.django_db


def _rows(n: int, **fields: object) -> list:  # type: ignore[type-arg]
    return [CaseRegistrationFactory.build(channel=Channel.IMPORT, external_id=f"old-{i}",
                                          received_at=clock.now() - dt.timedelta(days=400), **fields)
            for i in range(n)]


def test_numbers_continue_the_daily_sequence_without_gap_or_duplicate() -> None:
    before = register_case()
    imported = case_register_bulk(registrations=_rows(5), registered_by=None)
    after = register_case()

    sequence = [int(c.number[-4:]) for c in [before, *imported, after]]
    assert sequence == list(range(1, 8))


def test_each_case_gets_its_search_document_and_first_timeline_event(supervisor: User) -> None:
    rows = _rows(3, subject="热水器漏水", content="燃气热水器底部一直漏水")

    cases = case_register_bulk(registrations=rows, registered_by=None)

    assert CaseEvent.objects.filter(case__in=cases, kind=EventKind.CREATED).count() == 3
    found = case_list(user=supervisor, filters=CaseFilters(text="热水器 漏水"))
    assert {c.pk for c in found} == {c.pk for c in cases}


def test_customers_are_matched_by_contact_point_and_shared_within_the_batch() -> None:
    existing = register_case(customer=CustomerDetails(name="张三", phone="13800138000")).customer
    rows = [
        *_rows(2, customer=CustomerDetails(name="张三", phone="+86 138 0013 8000")),
        *[CaseRegistrationFactory.build(channel=Channel.IMPORT, external_id=f"new-{i}",
                                        customer=CustomerDetails(name="李四", email="Li.Si@Example.cn"))
          for i in range(2)],
    ]

    cases = case_register_bulk(registrations=rows, registered_by=None)

    assert [c.customer_id for c in cases[:2]] == [existing.pk, existing.pk]
    assert cases[2].customer_id == cases[3].customer_id != existing.pk
    assert Customer.objects.count() == 2


def test_imported_history_is_not_counted_as_late_entry() -> None:
    cases = case_register_bulk(registrations=_rows(2), registered_by=None)

    assert not any(c.is_entry_late for c in cases)


def test_a_refused_row_refuses_the_batch_and_creates_nothing() -> None:
    rows = [*_rows(2), CaseRegistrationFactory.build(channel=Channel.IMPORT, external_id="x", subject=" ")]

    with pytest.raises(ApplicationError) as refused:
        case_register_bulk(registrations=rows, registered_by=None)

    assert refused.value.field == "subject"
    assert not Case.objects.exists()
