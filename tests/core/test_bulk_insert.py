"""insert_many (COPY on PostgreSQL, executemany on SQLite) and insert_new (one row, statement built
once): keys, defaults and JSON either way."""

from __future__ import annotations

import datetime as dt

import pytest

from caseloop.cases.choices import EventKind
from caseloop.cases.models import CaseEvent, CaseSearchDocument
from caseloop.core import clock
from caseloop.core.bulk_insert import insert_many, insert_new
from caseloop.customers.models import Customer
from tests.factories import register_case

pytestmark = pytest.mark.django_db


def test_new_rows_get_their_keys_and_a_later_plain_insert_does_not_collide() -> None:
    customers = [Customer(name=f"客户{n}", phone=f"1390000000{n}") for n in range(3)]

    insert_many(customers)

    assert all(customer.pk for customer in customers)
    assert len({customer.pk for customer in customers}) == 3
    stored = Customer.objects.in_bulk([customer.pk for customer in customers])
    assert [stored[customer.pk].name for customer in customers] == ["客户0", "客户1", "客户2"]
    assert all(stored[customer.pk].created_at is not None for customer in customers)  # auto_now_add stamped
    later = Customer.objects.create(name="后来的客户")
    assert later.pk > max(customer.pk for customer in customers)


def test_json_fields_and_given_one_to_one_keys_are_stored_as_given() -> None:
    case = register_case()
    CaseSearchDocument.objects.filter(case=case).delete()
    at = clock.now() - dt.timedelta(days=3)

    [event] = insert_many([CaseEvent(case=case, kind=EventKind.NOTE, at=at, reason="备注",
                                     changes={"channel": [None, "电话"], "n": 1})])
    insert_many([CaseSearchDocument(case=case, words="洗衣机 噪音", grams="洗衣 衣机")])

    stored = CaseEvent.objects.get(pk=event.pk)
    assert stored.changes == {"channel": [None, "电话"], "n": 1}
    assert stored.at == at
    assert CaseSearchDocument.objects.get(case=case).words == "洗衣机 噪音"


def test_nothing_to_insert_is_no_query(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(0):
        assert insert_many([]) == []


def test_imported_search_documents_are_found_by_the_search_index() -> None:
    from caseloop.cases.models import Case
    from caseloop.cases.search import index_terms
    from caseloop.cases.selectors import text_condition

    case = register_case(subject="发票", content="请开发票")
    CaseSearchDocument.objects.filter(case=case).delete()
    terms = index_terms("燃气灶打不着火")
    insert_many([CaseSearchDocument(case=case, words=terms.words, grams=terms.grams)])

    # The index is the database's own (FTS5 by trigger on SQLite, a generated tsvector on PostgreSQL).
    assert list(Case.objects.filter(text_condition("打不着火")).values_list("pk", flat=True)) == [case.pk]


def test_insert_new_stores_one_row_as_save_would_and_sets_its_key() -> None:
    customer = insert_new(Customer(name="陈静", phone="13800138000"))
    case = register_case()
    at = clock.now() - dt.timedelta(hours=2)
    event = insert_new(CaseEvent(case=case, kind=EventKind.NOTE, at=at, changes={"渠道": [None, "电话"]}))
    CaseSearchDocument.objects.filter(case=case).delete()
    document = insert_new(CaseSearchDocument(case=case, words="洗衣机 漏水", grams="洗衣"))  # key given: the case's

    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.name, stored.phone) == ("陈静", "13800138000")
    assert stored.created_at is not None  # auto_now_add stamped
    assert stored.created_at == customer.created_at
    assert customer._state.adding is False
    assert CaseEvent.objects.get(pk=event.pk).changes == {"渠道": [None, "电话"]}
    assert CaseEvent.objects.get(pk=event.pk).at == at
    assert CaseSearchDocument.objects.get(pk=document.pk).words == "洗衣机 漏水"
    assert Customer.objects.create(name="后来的客户").pk > customer.pk


def test_insert_new_saves_a_model_with_save_receivers_the_ordinary_way() -> None:
    from django.db.models.signals import post_save

    heard: list[Customer] = []

    def receiver(sender: type[Customer], instance: Customer, created: bool, **kwargs: object) -> None:
        heard.append(instance)

    post_save.connect(receiver, sender=Customer)
    try:
        customer = insert_new(Customer(name="有人在听"))
    finally:
        post_save.disconnect(receiver, sender=Customer)

    assert heard == [customer]
    assert Customer.objects.filter(pk=customer.pk).exists()
