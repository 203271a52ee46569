"""Registering many cases at once: the bulk path of imports of historical cases (R1.1 import).

The same case as `case_register` makes — number, customer, deadlines, search document, first
timeline event — with a handful of statements per batch instead of ~15 per case (COPY on
PostgreSQL, see `caseloop.core.bulk_insert`). What a bulk
registration leaves out on purpose: attachments, internal notes, and filling in missing details of
customers that already exist (an import never overwrites or completes what people recorded).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from caseloop.accounts.models import User
from caseloop.cases import search
from caseloop.cases.choices import CaseStatus, EventKind, Priority
from caseloop.cases.models import Case, CaseEvent, CaseSearchDocument
from caseloop.cases.numbering import allocate_case_numbers
from caseloop.cases.services import CaseRegistration, is_entry_late, validate_registration
from caseloop.core import clock
from caseloop.core.bulk_insert import insert_many
from caseloop.customers.models import Customer
from caseloop.customers.normalize import normalize_email, normalize_phone
from caseloop.customers.services import CustomerDetails, customer_fields
from caseloop.products.models import Order, Product
from caseloop.sla import deadlines


def case_register_bulk(*, registrations: Sequence[CaseRegistration], registered_by: User | None) -> list[Case]:
    """Create one case per registration, in one transaction; returns them in the given order.

    The caller removes registrations whose (channel, external_id) exist already; a duplicate that
    slips through makes the whole batch fail on the unique constraint (the caller then retries
    row by row).
    """
    for registration in registrations:
        validate_registration(registration)
        if registration.attachments:
            raise ValueError("bulk registration takes no attachments")
    if not registrations:
        return []
    recorded_at = clock.now()
    zone = clock.organisation_zone()
    terms = [search.index_terms(r.subject.strip(), r.content.strip(), r.product_description.strip() or r.product_model,
                                r.order_number.strip()) for r in registrations]
    with transaction.atomic():
        customers = _customers_for([r.customer for r in registrations])
        products = _products_by_model({r.product_model.strip().lower() for r in registrations if r.product_model.strip()})
        orders = {o.order_number: o for o in
                  Order.objects.filter(order_number__in={r.order_number.strip() for r in registrations if r.order_number})}
        numbers = allocate_case_numbers(prefix=settings.CASELOOP["CASE_NUMBER_PREFIX"],
                                        day=clock.local_date(recorded_at), count=len(registrations))
        cases = []
        for reg, number, customer in zip(registrations, numbers, customers, strict=True):
            product = products.get(reg.product_model.strip().lower()) if reg.product_model.strip() else None
            order = orders.get(reg.order_number.strip())
            first_response_due_at = deadlines.first_response_due(reg.received_at)
            priority = reg.priority or Priority.MEDIUM
            cases.append(Case(
                number=number, status=CaseStatus.PENDING, channel=reg.channel, feedback_type=reg.feedback_type,
                priority=priority, external_id=reg.external_id.strip(), subject=reg.subject.strip(),
                content=reg.content.strip(), expectation=reg.expectation.strip(), evidence=reg.evidence.strip(),
                customer=customer, product=product,
                product_description=reg.product_description.strip() or (str(product) if product else reg.product_model),
                serial_number=reg.serial_number.strip(), purchase_date=reg.purchase_date,
                purchase_voucher_number=reg.purchase_voucher_number.strip(), service_name=reg.service_name.strip(),
                order=order, order_number=reg.order_number.strip(), problem_occurred_at=reg.problem_occurred_at,
                problem_location=reg.problem_location.strip(), received_at=reg.received_at, recorded_at=recorded_at,
                is_entry_late=is_entry_late(channel=reg.channel, received_at=reg.received_at,
                                            recorded_at=recorded_at),
                registered_by=registered_by, department_id=reg.department_id,
                first_response_due_at=first_response_due_at,
                resolution_due_at=deadlines.resolution_due(first_response_due_at, priority, zone),
                special_group=reg.special_group, needs_cross_department=reg.needs_cross_department,
            ))
        insert_many(cases)
        insert_many([CaseSearchDocument(case=case, words=t.words, grams=t.grams)
                     for case, t in zip(cases, terms, strict=True)])
        insert_many([CaseEvent(case=case, kind=EventKind.CREATED, actor=registered_by, at=recorded_at,
                               to_status=case.status, is_internal=False,
                               changes={"channel": [None, case.channel],
                                        "received_at": [None, case.received_at.isoformat()]})
                     for case in cases])
    return cases


def _customers_for(details: list[CustomerDetails]) -> list[Customer]:
    """One customer per details: found by a contact point (one query), else created (one insert).

    Rows of the batch with the same contact point share one new customer.
    """
    keys = [_contact_keys(d) for d in details]
    phones = {value for k in keys for kind, value in k if kind == "phone"}
    emails = {value for k in keys for kind, value in k if kind == "email"}
    members = {value for k in keys for kind, value in k if kind == "member"}
    openids = {value for k in keys for kind, value in k if kind == "openid"}
    found: dict[tuple[str, str], Customer] = {}
    if phones or emails or members or openids:
        existing = Customer.objects.filter(
            Q(phone_normalized__in=phones) | Q(email_normalized__in=emails) | Q(member_id__in=members)
            | Q(wechat_openid__in=openids), is_anonymous=False).order_by("-id")
        for customer in existing:  # oldest last, so the oldest record wins
            for key in (("phone", customer.phone_normalized), ("email", customer.email_normalized),
                        ("member", customer.member_id), ("openid", customer.wechat_openid)):
                if key[1]:
                    found[key] = customer
    result: list[Customer] = []
    new: list[Customer] = []
    for detail, contact_keys in zip(details, keys, strict=True):
        match = next((found[k] for k in contact_keys if k in found), None)
        if match is None:
            match = Customer(**customer_fields(detail), is_anonymous=detail.is_anonymous)
            new.append(match)
            for key in contact_keys:
                found[key] = match
        result.append(match)
    insert_many(new)
    return result


def _contact_keys(detail: CustomerDetails) -> list[tuple[str, str]]:
    if detail.is_anonymous:
        return []
    keys = []
    if detail.phone.strip() and (phone := normalize_phone(detail.phone)):
        keys.append(("phone", phone))
    if detail.email.strip():
        keys.append(("email", normalize_email(detail.email)))
    if detail.member_id.strip():
        keys.append(("member", detail.member_id.strip()))
    if detail.wechat_openid.strip():
        keys.append(("openid", detail.wechat_openid.strip()))
    return keys


def _products_by_model(models: set[str]) -> dict[str, Product]:
    if not models:
        return {}
    query = Q()
    for model in models:
        query |= Q(model__iexact=model)
    return {p.model.lower(): p for p in Product.objects.filter(query)}
