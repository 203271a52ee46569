"""The four operations of /api/v1 (caseloop/api/views.py): happy paths, visibility, personal data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from pytest_django import DjangoAssertNumQueries, Settings

from caseloop.accounts.models import Department
from caseloop.api.models import KeyVisibility
from caseloop.cases import workflow
from caseloop.cases.choices import CaseStatus, EventKind, MessageDirection
from caseloop.cases.models import Case, CaseAttachment, CaseMessage
from caseloop.cases.services import case_transition
from caseloop.core import clock
from caseloop.customers.models import PersonalDataAccess
from caseloop.intake.services import tracking_code_matches
from caseloop.notify.models import OutboxMessage
from tests.api.conftest import ApiClient, Key, attachment, case_payload
from tests.factories import register_case

pytestmark = pytest.mark.django_db


# --- POST /cases --------------------------------------------------------------------------------


def test_registering_a_case_answers_201_with_number_status_and_tracking_code(api: ApiClient, key: Key) -> None:
    response = api.post("/cases", case_payload(external_id="app-1001"))

    assert response.status_code == 201
    body = response.json()
    case = Case.objects.get()
    assert body == {"number": case.number, "status": "pending", "created": True, "tracking_code": body["tracking_code"],
                    "duplicate_of": None, "url": f"/api/v1/cases/{case.number}"}
    assert tracking_code_matches(case, body["tracking_code"])
    assert case.channel == "api"
    assert case.external_id == "app-1001"
    assert case.registered_by == key.api_key.user
    assert case.customer.phone_normalized == "13800138000"
    assert case.events.filter(kind=EventKind.CREATED).count() == 1
    # The intake service queued the acknowledgement to the customer's e-mail.
    assert OutboxMessage.objects.filter(case=case, recipient="zhang@example.cn").count() == 1


def test_an_attachment_is_stored_with_the_case(api: ApiClient) -> None:
    response = api.post("/cases", case_payload(attachments=[attachment(description="铭牌照片")]))

    assert response.status_code == 201
    stored = CaseAttachment.objects.get()
    assert (stored.original_name, stored.content_type, stored.size, stored.description) == (
        "photo.png", "image/png", 72, "铭牌照片")


def test_an_oversize_attachment_is_refused_and_nothing_is_registered(api: ApiClient, settings: Settings) -> None:
    settings.CASELOOP = {**settings.CASELOOP, "ATTACHMENT_MAX_BYTES": 50}

    response = api.post("/cases", case_payload(attachments=[attachment()]))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "attachment_too_large"
    assert response.json()["error"]["field"] == "attachments"
    assert not Case.objects.exists()
    assert not CaseAttachment.objects.exists()


@pytest.mark.parametrize(("name", "data", "code"), [
    ("setup.exe", b"MZ\x90\x00" + b"\x00" * 60, "attachment_type_forbidden"),
    ("photo.png", b"MZ\x90\x00" + b"\x00" * 60, "attachment_content_mismatch"),
])
def test_a_forbidden_attachment_is_refused(api: ApiClient, name: str, data: bytes, code: str) -> None:
    response = api.post("/cases", case_payload(attachments=[attachment(name=name, data=data)]))

    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert not Case.objects.exists()


def test_an_attachment_that_is_not_base64_names_the_item(api: ApiClient) -> None:
    response = api.post("/cases", case_payload(attachments=[attachment(), {"name": "b.png", "data": "@@not base64@@"}]))

    assert response.status_code == 422
    assert response.json()["error"] | {"message": ""} == {"code": "invalid_base64", "message": "",
                                                         "field": "attachments[1].data"}
    assert not Case.objects.exists()


def test_the_same_external_id_again_answers_200_with_the_first_case(api: ApiClient) -> None:
    first = api.post("/cases", case_payload(external_id="app-7")).json()

    response = api.post("/cases", case_payload(external_id="app-7", subject="再次提交"))

    assert response.status_code == 200
    assert response.json() | {"url": ""} == {"number": first["number"], "status": "pending", "created": False,
                                             "tracking_code": None, "duplicate_of": None, "url": ""}
    assert Case.objects.count() == 1


def test_an_external_id_of_a_case_the_key_may_not_see_is_a_conflict(make_key: Callable[..., Key]) -> None:
    make_key().client().post("/cases", case_payload(external_id="shared-1"))

    response = make_key().client().post("/cases", case_payload(external_id="shared-1"))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "external_id_conflict"
    assert Case.objects.get().number not in response.content.decode()


def test_a_naive_contact_time_is_refused_naming_the_field(api: ApiClient) -> None:
    response = api.post("/cases", case_payload(received_at="2025-03-01T09:30:00"))

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "received_at"
    assert not Case.objects.exists()


def test_a_contact_time_with_a_zone_is_kept(api: ApiClient) -> None:
    received = (clock.now() - dt.timedelta(hours=2)).replace(microsecond=0)

    api.post("/cases", case_payload(received_at=received.isoformat()))

    assert Case.objects.get().received_at == received


# --- GET /cases/{number} ------------------------------------------------------------------------


def test_reading_a_case_masks_personal_data_without_the_scope(api: ApiClient) -> None:
    number = api.post("/cases", case_payload()).json()["number"]

    response = api.get(f"/cases/{number}")

    assert response.status_code == 200
    body = response.json()
    assert body["number"] == number
    assert body["content"] == case_payload()["content"]
    assert body["customer"] == {"name": "张*", "is_anonymous": False, "phone": "+86**********8000",
                                "email": "z***@example.cn", "address": "", "member_id": "", "region": "",
                                "is_masked": True}
    assert "13800138000" not in response.content.decode()
    assert not PersonalDataAccess.objects.exists()


def test_reading_a_case_with_the_personal_data_scope_discloses_and_logs_it(make_key: Callable[..., Key]) -> None:
    key = make_key(["cases:read", "cases:write", "personal_data:read"])
    api = key.client()
    number = api.post("/cases", case_payload()).json()["number"]

    body = api.get(f"/cases/{number}").json()

    assert body["customer"]["phone"] == "+86 138 0013 8000"
    assert body["customer"]["is_masked"] is False
    access = PersonalDataAccess.objects.get()
    assert (access.user, access.case_number, access.purpose, access.fields) == (
        key.api_key.user, number, PersonalDataAccess.Purpose.API, "phone,email")
    assert access.ip_address == "127.0.0.1"


def test_the_detail_lists_attachments_and_messages_but_no_internal_notes(api: ApiClient) -> None:
    number = api.post("/cases", case_payload(attachments=[attachment()])).json()["number"]
    api.post(f"/cases/{number}/messages", {"body": "补充：机器放在阳台。"})

    body = api.get(f"/cases/{number}").json()

    assert [item["name"] for item in body["attachments"]] == ["photo.png"]
    assert [(m["direction"], m["body"]) for m in body["messages"]] == [("inbound", "补充：机器放在阳台。")]
    assert "special_group" not in body
    assert "needs_cross_department" not in body


@pytest.fixture
def two_departments_cases(department: Department, other_department: Department) -> tuple[Case, Case]:
    return register_case(department_id=department.pk), register_case(department_id=other_department.pk)


def test_a_department_bound_key_sees_its_departments_cases_only(
    make_key: Callable[..., Key], department: Department, two_departments_cases: tuple[Case, Case],
) -> None:
    ours, theirs = two_departments_cases
    api = make_key(["cases:read"], visibility=KeyVisibility.DEPARTMENT, departments=[department]).client()

    assert api.get(f"/cases/{ours.number}").status_code == 200
    hidden = api.get(f"/cases/{theirs.number}")
    assert hidden.status_code == 404
    assert hidden.json()["error"]["code"] == "not_found"
    assert [item["number"] for item in api.get("/cases").json()["items"]] == [ours.number]


def test_a_key_of_its_own_cases_sees_only_what_it_registered(
    api: ApiClient, two_departments_cases: tuple[Case, Case],
) -> None:
    mine = api.post("/cases", case_payload()).json()["number"]

    assert api.get(f"/cases/{two_departments_cases[0].number}").status_code == 404
    assert [item["number"] for item in api.get("/cases").json()["items"]] == [mine]


def test_a_key_that_sees_all_cases_sees_every_department(
    make_key: Callable[..., Key], two_departments_cases: tuple[Case, Case],
) -> None:
    api = make_key(["cases:read"], visibility=KeyVisibility.ALL).client()

    numbers = {item["number"] for item in api.get("/cases").json()["items"]}

    assert numbers == {case.number for case in two_departments_cases}


def test_a_key_whose_service_user_was_deactivated_is_unauthorized(key: Key) -> None:
    case = register_case(registered_by=key.api_key.user)
    key.api_key.user.is_active = False
    key.api_key.user.save()

    assert key.client().get(f"/cases/{case.number}").status_code == 401


# --- GET /cases -----------------------------------------------------------------------------


@pytest.fixture
def all_key(make_key: Callable[..., Key]) -> ApiClient:
    return make_key(["cases:read"], visibility=KeyVisibility.ALL).client()


def test_the_list_filters_on_status_priority_channel_and_type(all_key: ApiClient) -> None:
    wanted = register_case(channel="wechat", priority="high", feedback_type="product_quality")
    register_case(channel="wechat", priority="low", feedback_type="product_quality")
    register_case(channel="email", priority="high", feedback_type="product_quality")
    register_case(channel="wechat", priority="high", feedback_type="suggestion")
    accepted = register_case(channel="wechat", priority="high", feedback_type="product_quality")
    case_transition(case=accepted, actor=None, action=workflow.Action.ACCEPT)

    items = all_key.get("/cases", {"status": "pending", "priority": "high", "channel": "wechat",
                                   "feedback_type": "product_quality"}).json()["items"]

    assert [item["number"] for item in items] == [wanted.number]
    several = all_key.get("/cases", {"status": ["pending", "accepted"], "priority": "high", "channel": "wechat",
                                     "feedback_type": "product_quality"}).json()["items"]
    assert {item["number"] for item in several} == {wanted.number, accepted.number}


def test_the_list_filters_on_received_and_updated_times(all_key: ApiClient) -> None:
    now = clock.now()
    old = register_case(received_at=now - dt.timedelta(days=3))
    recent = register_case(received_at=now - dt.timedelta(hours=1))

    since_yesterday = all_key.get("/cases", {"received_from": (now - dt.timedelta(days=1)).isoformat()}).json()
    before_yesterday = all_key.get("/cases", {"received_to": (now - dt.timedelta(days=1)).isoformat()}).json()
    updated_later = all_key.get("/cases", {"updated_since": (now + dt.timedelta(minutes=1)).isoformat()}).json()

    assert [item["number"] for item in since_yesterday["items"]] == [recent.number]
    assert [item["number"] for item in before_yesterday["items"]] == [old.number]
    assert updated_later["items"] == []


def test_an_unknown_filter_value_names_the_parameter(all_key: ApiClient) -> None:
    response = all_key.get("/cases", {"status": "lost"})

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "status[0]"


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_the_cursor_walks_every_case_exactly_once_even_while_cases_arrive(all_key: ApiClient, order: str) -> None:
    now = clock.now()
    same_moment = now - dt.timedelta(hours=5)
    existing = [register_case(received_at=now - dt.timedelta(hours=hours)) for hours in (1, 2, 3, 4)]
    existing += [register_case(received_at=same_moment) for _ in range(3)]  # ties are ordered by ID
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 2, "order": order} | ({"cursor": cursor} if cursor else {})
        body = all_key.get("/cases", params).json()
        seen += [item["number"] for item in body["items"]]
        pages += 1
        if pages == 2:
            # A new case arrives mid-walk, newest (desc: before the position; asc: at the end).
            register_case(received_at=clock.now())
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == len(set(seen))
    expected = {case.number for case in existing}
    assert expected <= set(seen)
    if order == "desc":
        assert set(seen) == expected
    received = {case.number: case.received_at for case in Case.objects.all()}
    keys = [(received[number], Case.objects.get(number=number).pk) for number in seen]
    assert keys == sorted(keys, reverse=order == "desc")


def test_a_tampered_cursor_is_refused(all_key: ApiClient) -> None:
    register_case()
    register_case()
    cursor = all_key.get("/cases", {"limit": 1}).json()["next_cursor"]

    assert all_key.get("/cases", {"cursor": "not-a-cursor"}).json()["error"]["code"] == "invalid_cursor"
    other_order = all_key.get("/cases", {"cursor": cursor, "order": "asc"})
    assert other_order.status_code == 400
    assert other_order.json()["error"]["field"] == "cursor"


def test_a_page_of_the_list_costs_the_same_few_queries_however_many_cases(
    all_key: ApiClient, django_assert_num_queries: DjangoAssertNumQueries, department: Department,
) -> None:
    for _ in range(5):
        register_case(department_id=department.pk)
    all_key.get("/cases")  # records the key's last use (once a minute)

    with django_assert_num_queries(1):  # the page (department joined); the key is cached after its first use
        body = all_key.get("/cases", {"limit": 10}).json()

    assert len(body["items"]) == 5
    assert {item["department"] for item in body["items"]} == {department.code}


# --- POST /cases/{number}/messages --------------------------------------------------------------


def test_a_customer_message_is_added_to_the_timeline(api: ApiClient) -> None:
    number = api.post("/cases", case_payload()).json()["number"]
    sent = (clock.now() - dt.timedelta(minutes=3)).replace(microsecond=0)

    response = api.post(f"/cases/{number}/messages", {"body": "还有异响", "sent_at": sent.isoformat(),
                                                      "external_id": "msg-1"})

    assert response.status_code == 201
    message = CaseMessage.objects.get()
    assert response.json() | {"sent_at": ""} == {"id": message.pk, "direction": "inbound", "channel": "api",
                                                 "body": "还有异响", "sent_at": "", "external_id": "msg-1"}
    assert (message.direction, message.sent_at, message.case.number) == (MessageDirection.INBOUND, sent, number)
    assert message.case.events.filter(kind=EventKind.MESSAGE_IN).count() == 1


def test_a_message_resumes_a_case_waiting_for_information(api: ApiClient) -> None:
    number = api.post("/cases", case_payload()).json()["number"]
    case = Case.objects.get(number=number)
    case_transition(case=case, actor=None, action=workflow.Action.REQUEST_INFORMATION, reason="请提供购买凭证")

    api.post(f"/cases/{number}/messages", {"body": "凭证号 12345"})

    assert Case.objects.get(number=number).status == CaseStatus.PENDING


def test_a_message_to_a_case_the_key_may_not_see_is_not_found(api: ApiClient) -> None:
    case = register_case()

    response = api.post(f"/cases/{case.number}/messages", {"body": "你好"})

    assert response.status_code == 404
    assert not CaseMessage.objects.exists()


def test_an_empty_message_is_refused_naming_the_field(api: ApiClient) -> None:
    number = api.post("/cases", case_payload()).json()["number"]

    response = api.post(f"/cases/{number}/messages", {"body": "   "})

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "body"
    assert not CaseMessage.objects.exists()
