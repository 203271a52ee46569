"""The operations of /api/v1. Thin: they translate JSON to the services' values and back.

Registration goes through `intake.services.intake_register` like every other channel; reads go
through `cases.access` / `cases.selectors` as the key's service user, so the one visibility rule
applies (a case the key may not see is "not found").
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
from typing import Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Header, Query, Router, Schema, Status

from caseloop.api.auth import ApiKeyAuth
from caseloop.api.errors import ApiError
from caseloop.api.idempotency import Answer, request_fingerprint, run_idempotent
from caseloop.api.models import ApiKey, ApiScope
from caseloop.api.pagination import ORDERINGS, Position, after, decode_cursor, encode_cursor
from caseloop.api.schemas import (
    CaseIn,
    CaseListOut,
    CaseOut,
    ErrorOut,
    MessageIn,
    MessageOut,
    RegistrationOut,
)
from caseloop.cases.access import access_case, visible_cases
from caseloop.cases.choices import CaseStatus, Channel, FeedbackType, Priority
from caseloop.cases.models import Case, CaseMessage
from caseloop.cases.selectors import CaseFilters, case_list
from caseloop.cases.services import CaseRegistration, UploadedAttachment
from caseloop.core import clock
from caseloop.core.errors import ApplicationError
from caseloop.core.http import client_ip
from caseloop.customers.models import PersonalDataAccess
from caseloop.customers.personal_data import customer_contact_for, masked_contact
from caseloop.customers.services import CustomerDetails
from caseloop.intake.services import intake_customer_reply, intake_register

router = Router(tags=["cases"])

# The refusals an operation may answer with, all in the ErrorOut shape (see caseloop/api/errors.py).
ERRORS = frozenset({400, 401, 403, 404, 409, 413, 422, 429})

IDEMPOTENCY_HEADER = Header(None, alias="Idempotency-Key", max_length=200,
                            description="Retries with the same key get the first answer; another body → 409.")

# Fields the list shows; the rest of a case is only read by the detail.
_SUMMARY_FIELDS = ("id", "number", "status", "channel", "feedback_type", "priority", "subject", "external_id",
                   "department__code", "is_escalated", "received_at", "updated_at", "resolution_due_at")


def _api_key(request: HttpRequest) -> ApiKey:
    api_key = request.auth  # type: ignore[attr-defined]  # set by ApiKeyAuth
    assert isinstance(api_key, ApiKey)
    return api_key


# --- POST /cases ----------------------------------------------------------------------------


@router.post(
    "/cases", auth=ApiKeyAuth(ApiScope.CASES_WRITE), response={201: RegistrationOut, 200: RegistrationOut,
                                                              ERRORS: ErrorOut},
    summary="Register a case", url_name="case_create",
)
def case_create(request: HttpRequest, response: HttpResponse, payload: CaseIn,
                idempotency_key: str | None = IDEMPOTENCY_HEADER) -> Status[dict[str, Any]]:
    """Register the customer's feedback: 201 with the number and the tracking code. An
    `external_id` seen before on the same channel answers 200 with the case registered then."""
    api_key = _api_key(request)
    registration = _registration(payload)
    fingerprint = request_fingerprint(method="POST", path=request.path, payload=payload.model_dump(mode="json"))

    def work() -> Answer:
        result = intake_register(registration=registration, registered_by=api_key.user)
        case = result.case
        if not result.created and not visible_cases(api_key.user).filter(pk=case.pk).exists():
            # Another integration's case: do not tell its number to this key.
            raise ApiError(409, "external_id_conflict",
                           _("This external ID is already used by a case this key may not see."), field="external_id")
        body = {
            "number": case.number,
            "status": case.status,
            "created": result.created,
            "tracking_code": result.tracking_code or None,
            "duplicate_of": result.linked_to.number if result.linked_to else None,
            "url": reverse("api-v1:case_detail", kwargs={"number": case.number}),
        }
        return Answer(status=201 if result.created else 200, body=body)

    answer = run_idempotent(api_key=api_key, key=idempotency_key, fingerprint=fingerprint, work=work,
                            stores_files=bool(payload.attachments))
    if answer.is_replay:
        response["Idempotent-Replayed"] = "true"
    return Status(answer.status, answer.body)


def _registration(payload: CaseIn) -> CaseRegistration:
    customer = payload.customer
    if customer.email:
        try:
            validate_email(customer.email)
        except DjangoValidationError:
            raise ApplicationError(_("Enter a valid e-mail address."), code="invalid", field="customer.email") from None
    return CaseRegistration(
        channel=payload.channel,
        subject=payload.subject,
        content=payload.content,
        received_at=_aware(payload.received_at, "received_at") or clock.now(),
        customer=CustomerDetails(
            name=customer.name, is_anonymous=customer.is_anonymous, phone=customer.phone, email=customer.email,
            address=customer.address, member_id=customer.member_id, wechat_openid=customer.wechat_openid,
            region=customer.region,
        ),
        feedback_type=payload.feedback_type or "",
        priority=payload.priority,
        expectation=payload.expectation,
        evidence=payload.evidence,
        product_id=payload.product_id,
        product_model=payload.product_model,
        product_description=payload.product_description,
        serial_number=payload.serial_number,
        purchase_date=payload.purchase_date,
        service_name=payload.service_name,
        order_number=payload.order_number,
        problem_occurred_at=_aware(payload.problem_occurred_at, "problem_occurred_at"),
        problem_location=payload.problem_location,
        external_id=payload.external_id,
        attachments=[_decoded(index, item.name, item.data, item.description)
                     for index, item in enumerate(payload.attachments)],
    )


def _aware(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise ApplicationError(_("Give the time with a time zone, e.g. 2025-03-01T09:30:00+08:00."), code="invalid",
                               field=field)
    return value


def _decoded(index: int, name: str, data: str, description: str) -> UploadedAttachment:
    """The attachment's bytes; type and size are checked by case_register (cases.attachments)."""
    text = "".join(data.split())
    try:
        content = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise ApplicationError(_("The attachment is not valid base64."), code="invalid_base64",
                               field=f"attachments[{index}].data") from None
    return UploadedAttachment(name=name, stream=io.BytesIO(content), size=len(content), description=description)


# --- GET /cases/{number} --------------------------------------------------------------------


@router.get("/cases/{number}", auth=ApiKeyAuth(ApiScope.CASES_READ), response={200: CaseOut, ERRORS: ErrorOut},
            summary="Read a case", url_name="case_detail")
def case_detail(request: HttpRequest, number: str) -> dict[str, Any]:
    """The case with its attachments and messages; internal notes and markers are never included.
    Customer contact details are masked unless the key has `personal_data:read` (each unmasked
    read is logged)."""
    api_key = _api_key(request)
    case = access_case(api_key.user, number)
    if api_key.has_scope(ApiScope.PERSONAL_DATA_READ):
        contact = customer_contact_for(user=api_key.user, customer=case.customer, purpose=PersonalDataAccess.Purpose.API,
                                       case_number=case.number, ip_address=client_ip(request))
    else:
        contact = masked_contact(case.customer)
    return {
        **_summary(case, department=case.department.code if case.department else None),
        "content": case.content,
        "expectation": case.expectation,
        "product_description": case.product_description,
        "serial_number": case.serial_number,
        "order_number": case.order_number,
        "recorded_at": case.recorded_at,
        "is_entry_late": case.is_entry_late,
        "duplicate_of": case.duplicate_of.number if case.duplicate_of else None,
        "first_response_due_at": case.first_response_due_at,
        "first_responded_at": case.first_responded_at,
        "resolved_at": case.resolved_at,
        "closed_at": case.closed_at,
        "customer": {
            "name": contact.name, "is_anonymous": contact.is_anonymous, "phone": contact.phone,
            "email": contact.email, "address": contact.address, "member_id": contact.member_id,
            "region": contact.region, "is_masked": contact.is_masked,
        },
        "attachments": [
            {"name": item.original_name, "content_type": item.content_type, "size": item.size, "sha256": item.sha256,
             "description": item.description, "uploaded_at": item.uploaded_at}
            for item in case.attachments.all()
        ],
        "messages": [_message(message) for message in case.messages.all()],
    }


def _summary(case: Case, *, department: str | None) -> dict[str, Any]:
    return {
        "number": case.number, "status": case.status, "channel": case.channel, "feedback_type": case.feedback_type,
        "priority": case.priority, "subject": case.subject, "external_id": case.external_id,
        "department": department, "is_escalated": case.is_escalated, "received_at": case.received_at,
        "updated_at": case.updated_at, "resolution_due_at": case.resolution_due_at,
    }


def _message(message: CaseMessage) -> dict[str, Any]:
    return {"id": message.pk, "direction": message.direction, "channel": message.channel, "body": message.body,
            "sent_at": message.sent_at.isoformat(), "external_id": message.external_id}


# --- GET /cases -----------------------------------------------------------------------------


class CaseListQuery(Schema):
    status: list[CaseStatus] = Field(default_factory=list, description="Repeat for several: ?status=a&status=b")
    priority: list[Priority] = Field(default_factory=list)
    channel: list[Channel] = Field(default_factory=list)
    feedback_type: list[FeedbackType] = Field(default_factory=list)
    received_from: dt.datetime | None = Field(None, description="Received at or after (ISO 8601).")
    received_to: dt.datetime | None = Field(None, description="Received before (ISO 8601).")
    updated_since: dt.datetime | None = Field(None, description="Changed at or after (ISO 8601): for syncing.")
    q: str = Field("", max_length=200, description="Case number, phone, order number or words of the text.")
    order: Literal["desc", "asc"] = Field("desc", description="By received time: newest first (desc) or oldest.")
    limit: int = Field(25, ge=1, le=100)
    cursor: str | None = Field(None, max_length=500)


@router.get("/cases", auth=ApiKeyAuth(ApiScope.CASES_READ), response={200: CaseListOut, ERRORS: ErrorOut},
            summary="List cases", url_name="case_list")
def case_index(request: HttpRequest, query: Query[CaseListQuery]) -> dict[str, Any]:
    """The cases this key may see, filtered, a page at a time (cursor over received time and ID)."""
    api_key = _api_key(request)
    filters = CaseFilters(statuses=tuple(query.status), priorities=tuple(query.priority),
                          channels=tuple(query.channel), feedback_types=tuple(query.feedback_type), text=query.q)
    cases = case_list(user=api_key.user, filters=filters)
    zone = clock.organisation_zone()
    if query.received_from:
        cases = cases.filter(received_at__gte=_in_zone(query.received_from, zone))
    if query.received_to:
        cases = cases.filter(received_at__lt=_in_zone(query.received_to, zone))
    if query.updated_since:
        cases = cases.filter(updated_at__gte=_in_zone(query.updated_since, zone))
    if query.cursor:
        cases = cases.filter(after(decode_cursor(query.cursor, order=query.order)))
    page = list(
        cases.select_related(None).select_related("department").only(*_SUMMARY_FIELDS)
        .order_by(*ORDERINGS[query.order])[: query.limit + 1]
    )
    next_cursor = None
    if len(page) > query.limit:
        page = page[: query.limit]
        last = page[-1]
        next_cursor = encode_cursor(Position(received_at=last.received_at, id=last.pk, order=query.order))
    return {
        "items": [_summary(case, department=case.department.code if case.department else None) for case in page],
        "next_cursor": next_cursor,
    }


def _in_zone(value: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """A time without a zone in a filter is read in the organisation's zone."""
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


# --- POST /cases/{number}/messages -----------------------------------------------------------


@router.post("/cases/{number}/messages", auth=ApiKeyAuth(ApiScope.CASES_WRITE),
             response={201: MessageOut, ERRORS: ErrorOut}, summary="Add a customer message to a case",
             url_name="case_message_create")
def case_message_create(request: HttpRequest, response: HttpResponse, number: str, payload: MessageIn,
                        idempotency_key: str | None = IDEMPOTENCY_HEADER) -> Status[dict[str, Any]]:
    """A further message from the customer about the case (added to its timeline). A case that
    was waiting for information from the customer resumes."""
    api_key = _api_key(request)
    sent_at = _aware(payload.sent_at, "sent_at")
    fingerprint = request_fingerprint(method="POST", path=request.path, payload=payload.model_dump(mode="json"))

    def work() -> Answer:
        case = access_case(api_key.user, number, for_update=True)
        message = intake_customer_reply(case=case, channel=payload.channel or case.channel, body=payload.body,
                                        external_id=payload.external_id, sent_at=sent_at)
        return Answer(status=201, body=_message(message))

    answer = run_idempotent(api_key=api_key, key=idempotency_key, fingerprint=fingerprint, work=work)
    if answer.is_replay:
        response["Idempotent-Replayed"] = "true"
    return Status(answer.status, answer.body)
