"""The agent console through Django's test client: login, the list, visibility, personal data,
transitions, CSRF, fast entry, escaping, attachments, language and the list's query budget."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from pytest_django import DjangoAssertNumQueries, Settings

from caseloop.cases.choices import CaseStatus, Channel, EventKind, FeedbackType, Priority, RejectionReason
from caseloop.cases.models import Case, CaseAttachment, CaseEvent
from caseloop.cases.services import UploadedAttachment, case_assign, case_set_escalated, case_transition
from caseloop.core import clock
from caseloop.core.errors import ApplicationError
from caseloop.customers.models import Customer, PersonalDataAccess
from caseloop.customers.services import CustomerDetails
from tests.console.helpers import EXE_BYTES, Staff, listed_numbers, png_bytes
from tests.factories import UserFactory, register_case

ClientFor = Callable[..., Client]
LIST_URL = reverse("console:case_list")
ENTRY_URL = reverse("console:case_entry")
MISSING_NUMBER = "CF209912310999"
SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def _url(name: str, *args: Any) -> str:
    return reverse(f"console:{name}", args=args)


def _contact_time(minutes_ago: int) -> str:
    """The value an agent's datetime-local field holds for `minutes_ago` minutes before now (local time)."""
    moment = timezone.localtime(timezone.now() - dt.timedelta(minutes=minutes_ago))
    return moment.strftime("%Y-%m-%dT%H:%M")


def _entry(**overrides: Any) -> dict[str, Any]:
    """A complete fast-entry form for a phone complaint."""
    data: dict[str, Any] = {
        "channel": Channel.PHONE,
        "received_at": _contact_time(5),
        "customer_name": "陈女士",
        "phone": "13912345678",
        "subject": "洗衣机脱水时异响",
        "content": "客户来电称洗衣机脱水时发出很大的异响，已经持续一周。",
        "priority": Priority.MEDIUM,
    }
    data.update(overrides)
    return data


def _html(response: Any) -> str:
    return response.content.decode()


def _state(case: Case) -> tuple[Any, ...]:
    """Everything a refused request must leave as it was."""
    row = Case.objects.get(pk=case.pk)
    return (
        row.status, row.is_escalated, row.owner_id, row.department_id, row.updated_at,
        CaseEvent.objects.filter(case=case).count(), CaseAttachment.objects.filter(case=case).count(),
        PersonalDataAccess.objects.count(), Case.objects.count(),
    )


def _refusal_message(**transition: Any) -> str:
    """The message `case_transition` gives for a refused transition, in the console's default language."""
    with translation.override("zh-hans"), pytest.raises(ApplicationError) as refused:
        case_transition(**transition)
    return refused.value.message


@pytest.fixture
def png() -> bytes:
    return png_bytes()


@pytest.fixture
def agents_case(staff: Staff, png: bytes) -> Case:
    """A case the agent registered: a known customer and one photo."""
    return register_case(
        registered_by=staff.agent,
        subject="洗衣机门封漏水",
        customer=CustomerDetails(name="张三丰", phone="13800138000", email="zhang.sanfeng@example.com",
                                 address="北京市海淀区中关村大街1号"),
        attachments=[UploadedAttachment(name="漏水照片.png", stream=io.BytesIO(png), size=len(png))],
    )


# --- Login ------------------------------------------------------------------------------------

# (method, url name, needs the case number, needs the attachment id, POST data)
CONSOLE_REQUESTS = [
    pytest.param("get", "case_list", False, False, None, id="list"),
    pytest.param("get", "case_export", False, False, None, id="export"),
    pytest.param("get", "case_entry", False, False, None, id="entry-form"),
    pytest.param("post", "case_entry", False, False, _entry(), id="entry-post"),
    pytest.param("get", "case_detail", True, False, None, id="detail"),
    pytest.param("get", "case_sheet", True, False, None, id="sheet"),
    pytest.param("post", "case_transition", True, False, {"action": "accept"}, id="transition"),
    pytest.param("post", "case_note", True, False, {"text": "已回电客户"}, id="note"),
    pytest.param("post", "case_escalate", True, False, {"escalated": "on", "reason": "客户投诉媒体"}, id="escalate"),
    pytest.param("post", "case_assign", True, False, {"reason": "转交"}, id="assign"),
    pytest.param("get", "attachment_download", True, True, None, id="attachment"),
]


def _console_url(case: Case, name: str, with_number: bool, with_attachment: bool) -> str:
    args: list[Any] = [case.number] if with_number else []
    if with_attachment:
        args.append(case.attachments.get().pk)
    return _url(name, *args)


@pytest.mark.parametrize(("method", "name", "with_number", "with_attachment", "data"), CONSOLE_REQUESTS)
def test_anonymous_visitor_is_sent_to_login_from_every_console_url_and_nothing_changes(
    client: Client, agents_case: Case, method: str, name: str, with_number: bool, with_attachment: bool,
    data: dict[str, Any] | None,
) -> None:
    url = _console_url(agents_case, name, with_number, with_attachment)
    before = _state(agents_case)

    response = client.post(url, data) if method == "post" else client.get(url)

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == _url("login")
    assert parse_qs(location.query)["next"] == [url]
    assert _state(agents_case) == before


def test_root_url_leads_an_anonymous_visitor_to_the_login_form(client: Client, db: None) -> None:
    response = client.get("/", follow=True)

    assert response.redirect_chain[-1][0].startswith(_url("login") + "?next=")
    assert 'name="password"' in _html(response)


# --- The list: pages, filters, visibility ----------------------------------------------------

def test_case_list_is_paginated_on_the_server_with_the_configured_page_size(
    settings: Settings, staff: Staff, client_for: ClientFor,
) -> None:
    settings.CASELOOP = {**settings.CASELOOP, "CASE_LIST_PAGE_SIZE": 3}
    now = clock.now()
    # Newest first is the default order: case 0 was received most recently.
    numbers = [register_case(registered_by=staff.supervisor, received_at=now - dt.timedelta(hours=n + 1)).number
               for n in range(7)]
    client = client_for(staff.supervisor)

    pages = [client.get(LIST_URL, {"page": n}) for n in (1, 2, 3)]

    assert [listed_numbers(page) for page in pages] == [numbers[0:3], numbers[3:6], numbers[6:7]]
    assert pages[0].context["page"].paginator.count == 7
    assert pages[0].context["page"].paginator.num_pages == 3
    assert 'href="?&page=2"' in _html(pages[0])
    # Out of range or nonsense page numbers give the nearest real page, not an error.
    assert listed_numbers(client.get(LIST_URL, {"page": 99})) == numbers[6:7]
    assert listed_numbers(client.get(LIST_URL, {"page": "x"})) == numbers[0:3]


def test_case_list_page_links_keep_the_filters(settings: Settings, staff: Staff, client_for: ClientFor) -> None:
    settings.CASELOOP = {**settings.CASELOOP, "CASE_LIST_PAGE_SIZE": 2}
    for _ in range(5):
        register_case(registered_by=staff.supervisor, priority=Priority.HIGH)
    register_case(registered_by=staff.supervisor, priority=Priority.LOW)

    response = client_for(staff.supervisor).get(LIST_URL, {"priority": Priority.HIGH, "page": 2})

    html = _html(response)
    assert response.context["page"].paginator.count == 5
    assert 'href="?priority=high&page=1"' in html
    assert 'href="?priority=high&page=3"' in html


@pytest.fixture
def assorted_cases(staff: Staff) -> dict[str, Case]:
    boss = staff.supervisor
    long_ago = clock.now() - dt.timedelta(days=60)
    return {
        "high_phone": register_case(registered_by=boss, priority=Priority.HIGH, channel=Channel.PHONE),
        "low_email": register_case(registered_by=boss, priority=Priority.LOW, channel=Channel.EMAIL),
        "accepted_web": case_transition(case=register_case(registered_by=boss), actor=boss, action="accept"),
        # Received two months ago and still open: its resolution deadline has passed.
        "overdue_store": register_case(registered_by=boss, channel=Channel.STORE, received_at=long_ago),
        # Just as old, but rejected: a finished case is never overdue.
        "old_rejected": case_transition(case=register_case(registered_by=boss, received_at=long_ago), actor=boss,
                                        action="reject", reason_code=RejectionReason.SPAM),
    }


@pytest.mark.parametrize(("query", "expected"), [
    pytest.param({"status": CaseStatus.ACCEPTED}, {"accepted_web"}, id="status"),
    pytest.param({"status": [CaseStatus.PENDING, CaseStatus.REJECTED]},
                 {"high_phone", "low_email", "overdue_store", "old_rejected"}, id="two-statuses"),
    pytest.param({"priority": Priority.HIGH}, {"high_phone"}, id="priority"),
    pytest.param({"priority": [Priority.HIGH, Priority.LOW]}, {"high_phone", "low_email"}, id="two-priorities"),
    pytest.param({"channel": Channel.PHONE}, {"high_phone"}, id="channel"),
    pytest.param({"channel": [Channel.EMAIL, Channel.STORE]}, {"low_email", "overdue_store"}, id="two-channels"),
    pytest.param({"overdue": "on"}, {"overdue_store"}, id="overdue"),
    pytest.param({"overdue": "on", "channel": Channel.STORE}, {"overdue_store"}, id="overdue-and-channel"),
    pytest.param({"overdue": "on", "priority": Priority.HIGH}, set(), id="overdue-and-priority-none"),
    pytest.param({}, {"high_phone", "low_email", "accepted_web", "overdue_store", "old_rejected"}, id="no-filter"),
])
def test_case_list_filters_by_status_priority_channel_and_overdue(
    staff: Staff, client_for: ClientFor, assorted_cases: dict[str, Case], query: dict[str, Any], expected: set[str],
) -> None:
    response = client_for(staff.supervisor).get(LIST_URL, query)

    assert response.status_code == 200
    assert set(listed_numbers(response)) == {assorted_cases[key].number for key in expected}
    assert response.context["page"].paginator.count == len(expected)
    if not expected:
        assert '<td colspan="10" class="muted">没有符合条件的工单。</td>' in _html(response)


def test_agent_list_shows_only_cases_the_agent_registered_or_owns(staff: Staff, client_for: ClientFor) -> None:
    boss = staff.supervisor
    registered = register_case(registered_by=staff.agent)
    owned = case_assign(case=register_case(registered_by=boss), actor=boss, department=None, owner=staff.agent)
    colleagues = register_case(registered_by=staff.other_agent)
    routed = register_case(registered_by=boss, department_id=staff.home.pk)
    client = client_for(staff.agent)

    response = client.get(LIST_URL)

    assert set(listed_numbers(response)) == {registered.number, owned.number}
    assert response.context["page"].paginator.count == 2
    assert dict((code, n) for code, _name, n in response.context["status_counts"])[CaseStatus.PENDING] == 2
    # Searching by number does not reach around the rule either.
    for hidden in (colleagues, routed):
        assert listed_numbers(client.get(LIST_URL, {"q": hidden.number})) == []


def test_csv_export_holds_only_the_cases_the_agent_may_see_and_no_contact_details(
    staff: Staff, client_for: ClientFor,
) -> None:
    mine = register_case(registered_by=staff.agent, customer=CustomerDetails(name="陈女士", phone="13912345678"))
    colleagues = register_case(registered_by=staff.other_agent)

    response = client_for(staff.agent).get(_url("case_export"))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert mine.number in text
    assert colleagues.number not in text
    assert "13912345678" not in text


def test_csv_export_keeps_a_formula_like_subject_as_text(staff: Staff, client_for: ClientFor) -> None:
    # A subject typed by a customer must not run as a spreadsheet formula when the export is opened.
    register_case(registered_by=staff.agent, subject="=HYPERLINK(\"http://evil.example\",\"点我\")")

    response = client_for(staff.agent).get(_url("case_export"))

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK(" in text
    assert ",=HYPERLINK(" not in text


@pytest.mark.parametrize(("role", "shown", "hidden"), [
    ("analyst", "张**", "张三丰"),
    ("auditor", "张**", "张三丰"),
    ("agent", "张三丰", "张**"),
])
def test_case_list_masks_customer_names_for_roles_without_personal_data_rights(
    staff: Staff, client_for: ClientFor, agents_case: Case, role: str, shown: str, hidden: str,
) -> None:
    html = _html(client_for(getattr(staff, role)).get(LIST_URL))

    assert shown in html
    assert hidden not in html


def test_specialist_list_shows_only_their_departments_cases(staff: Staff, client_for: ClientFor) -> None:
    boss = staff.supervisor
    home = register_case(registered_by=boss, department_id=staff.home.pk)
    register_case(registered_by=boss, department_id=staff.away.pk)
    register_case(registered_by=boss)
    register_case(registered_by=staff.agent)

    response = client_for(staff.specialist).get(LIST_URL)

    assert listed_numbers(response) == [home.number]
    assert response.context["page"].paginator.count == 1


# --- Cases one may not see: 404 everywhere, nothing changes ----------------------------------

@pytest.mark.parametrize("viewer", ["other_agent", "away_specialist"])
@pytest.mark.parametrize(("method", "name", "with_number", "with_attachment", "data"),
                         [p for p in CONSOLE_REQUESTS if p.values[2]])
def test_invisible_case_answers_404_like_a_missing_one_and_nothing_changes(
    staff: Staff, client_for: ClientFor, agents_case: Case, viewer: str, method: str, name: str, with_number: bool,
    with_attachment: bool, data: dict[str, Any] | None,
) -> None:
    client = client_for(getattr(staff, viewer))
    url = _console_url(agents_case, name, with_number, with_attachment)
    missing_url = url.replace(agents_case.number, MISSING_NUMBER)
    before = _state(agents_case)

    response = client.post(url, data) if method == "post" else client.get(url)
    missing = client.post(missing_url, data) if method == "post" else client.get(missing_url)

    assert response.status_code == 404
    assert missing.status_code == 404
    # The same answer as for a number that does not exist: nothing to tell the two apart.
    assert _html(response).replace(agents_case.number, "N") == _html(missing).replace(MISSING_NUMBER, "N")
    assert _state(agents_case) == before
    assert PersonalDataAccess.objects.count() == 0


# --- Personal data: masked for some roles, logged for others ---------------------------------

@pytest.mark.parametrize("role", ["analyst", "auditor"])
@pytest.mark.parametrize("page", ["case_detail", "case_sheet"])
def test_roles_without_personal_data_rights_see_masked_contact_and_leave_no_access_log(
    staff: Staff, client_for: ClientFor, agents_case: Case, role: str, page: str,
) -> None:
    response = client_for(getattr(staff, role)).get(_url(page, agents_case.number))

    html = _html(response)
    assert response.status_code == 200
    assert "138****8000" in html
    assert "13800138000" not in html
    assert "zhang.sanfeng@example.com" not in html
    assert "北京市海淀区中关村大街1号" not in html
    assert "张三丰" not in html
    assert "张**" in html
    assert PersonalDataAccess.objects.count() == 0


def test_agent_sees_full_contact_and_each_view_writes_exactly_one_access_log_row(
    staff: Staff, client_for: ClientFor, agents_case: Case,
) -> None:
    client = client_for(staff.agent)

    detail = client.get(_url("case_detail", agents_case.number))

    assert "13800138000" in _html(detail)
    assert "138****8000" not in _html(detail)
    log = list(PersonalDataAccess.objects.all())
    assert len(log) == 1
    assert log[0].user == staff.agent
    assert log[0].customer == agents_case.customer
    assert log[0].case_number == agents_case.number
    assert log[0].purpose == PersonalDataAccess.Purpose.VIEW
    assert set(log[0].fields.split(",")) == {"phone", "email", "address"}
    assert log[0].ip_address == "127.0.0.1"

    client.get(_url("case_detail", agents_case.number))
    assert PersonalDataAccess.objects.count() == 2

    sheet = client.get(_url("case_sheet", agents_case.number))
    assert "13800138000" in _html(sheet)
    assert PersonalDataAccess.objects.count() == 3
    assert PersonalDataAccess.objects.order_by("-id").first().purpose == PersonalDataAccess.Purpose.PRINT


# --- Transitions -----------------------------------------------------------------------------

def test_transition_post_moves_the_case_and_appends_exactly_one_event(staff: Staff, client_for: ClientFor) -> None:
    case = register_case(registered_by=staff.agent)
    events_before = set(CaseEvent.objects.filter(case=case).values_list("pk", flat=True))
    client = client_for(staff.agent)

    response = client.post(_url("case_transition", case.number), {"action": "accept"})

    assert response.status_code == 302
    assert response["Location"] == _url("case_detail", case.number)
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED
    new_events = list(CaseEvent.objects.filter(case=case).exclude(pk__in=events_before))
    assert len(new_events) == 1
    event = new_events[0]
    assert (event.kind, event.action, event.from_status, event.to_status, event.actor) == (
        EventKind.STATUS_CHANGED, "accept", CaseStatus.PENDING, CaseStatus.ACCEPTED, staff.agent)
    page = _html(client.get(_url("case_detail", case.number)))
    assert '<li class="success">已完成：受理。</li>' in page
    assert '<span class="badge" data-testid="case-status">已受理</span>' in page


@pytest.mark.parametrize(("action", "data"), [
    pytest.param("resolve", {"reason": "已上门更换门封"}, id="not-from-this-status"),
    pytest.param("reject", {"reason_code": RejectionReason.SPAM}, id="role-may-not"),
    pytest.param("request_information", {"reason": "  "}, id="reason-missing"),
    pytest.param("teleport", {}, id="unknown-action"),
])
def test_refused_transition_shows_the_reason_and_changes_nothing(
    staff: Staff, client_for: ClientFor, action: str, data: dict[str, str],
) -> None:
    case = register_case(registered_by=staff.agent)
    expected = _refusal_message(case=case, actor=staff.agent, action=action, reason=data.get("reason", ""),
                                reason_code=data.get("reason_code", ""))
    before = _state(case)
    client = client_for(staff.agent)

    response = client.post(_url("case_transition", case.number), {"action": action, **data})

    assert response.status_code == 302
    assert response["Location"] == _url("case_detail", case.number)
    assert _state(case) == before
    assert f'<li class="error">{escape(expected)}</li>' in _html(client.get(response["Location"]))


def test_illegal_transition_message_names_the_status_and_the_action(staff: Staff, client_for: ClientFor) -> None:
    case = register_case(registered_by=staff.agent)

    response = client_for(staff.agent).post(_url("case_transition", case.number),
                                            {"action": "resolve", "reason": "已处理"}, follow=True)

    assert "工单当前为“待处理”，不能执行“标记为已解决”" in _html(response)
    assert Case.objects.get(pk=case.pk).status == CaseStatus.PENDING


# --- CSRF ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "data"), [
    pytest.param("case_transition", {"action": "accept"}, id="transition"),
    pytest.param("case_note", {"text": "已回电"}, id="note"),
    pytest.param("case_escalate", {"escalated": "on", "reason": "媒体关注"}, id="escalate"),
    pytest.param("case_entry", _entry(), id="entry"),
])
def test_console_post_without_csrf_token_is_refused_and_changes_nothing(
    staff: Staff, client_for: ClientFor, agents_case: Case, name: str, data: dict[str, Any],
) -> None:
    client = client_for(staff.agent, enforce_csrf_checks=True)
    url = _url(name) if name == "case_entry" else _url(name, agents_case.number)
    before = _state(agents_case)

    response = client.post(url, data)

    assert response.status_code == 403
    assert _state(agents_case) == before


def test_console_post_with_the_pages_csrf_token_is_accepted(
    staff: Staff, client_for: ClientFor, agents_case: Case,
) -> None:
    client = client_for(staff.agent, enforce_csrf_checks=True)
    page = _html(client.get(_url("case_detail", agents_case.number)))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None

    response = client.post(_url("case_transition", agents_case.number),
                           {"action": "accept", "csrfmiddlewaretoken": token.group(1)})

    assert response.status_code == 302
    assert Case.objects.get(pk=agents_case.pk).status == CaseStatus.ACCEPTED


# --- Fast entry ------------------------------------------------------------------------------

def test_entry_45_minutes_after_the_contact_is_flagged_late_with_a_warning(
    staff: Staff, client_for: ClientFor,
) -> None:
    response = client_for(staff.agent).post(ENTRY_URL, _entry(received_at=_contact_time(45)), follow=True)

    case = Case.objects.get()
    assert response.redirect_chain == [(_url("case_detail", case.number), 302)]
    assert case.is_entry_late is True
    assert (case.channel, case.registered_by, case.customer.phone) == (Channel.PHONE, staff.agent, "13912345678")
    html = _html(response)
    assert f'<li class="success">工单 {case.number} 已登记。</li>' in html
    assert '<li class="warning">本工单的登记时间晚于客户来电/来访超过 30 分钟。</li>' in html


def test_entry_within_30_minutes_is_not_flagged_late(staff: Staff, client_for: ClientFor) -> None:
    response = client_for(staff.agent).post(ENTRY_URL, _entry(received_at=_contact_time(10)), follow=True)

    case = Case.objects.get()
    assert case.is_entry_late is False
    assert '<li class="warning">' not in _html(response)


def test_entry_without_subject_shows_a_form_error_and_creates_no_case(staff: Staff, client_for: ClientFor) -> None:
    data = _entry()
    del data["subject"]

    response = client_for(staff.agent).post(ENTRY_URL, data)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["subject"]
    assert '<ul class="errorlist"><li>这个字段是必填项。</li></ul>' in _html(response)
    # What was typed is kept, so the agent does not type it again.
    assert "客户来电称洗衣机脱水时发出很大的异响" in _html(response)
    assert Case.objects.count() == 0
    assert Customer.objects.count() == 0
    assert CaseEvent.objects.count() == 0


def test_entry_with_contact_time_in_the_future_is_refused(staff: Staff, client_for: ClientFor) -> None:
    response = client_for(staff.agent).post(ENTRY_URL, _entry(received_at=_contact_time(-120)))

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["received_at"]
    assert Case.objects.count() == 0


def test_role_without_registration_right_cannot_use_the_entry_form(staff: Staff, client_for: ClientFor) -> None:
    client = client_for(staff.analyst)

    form = client.get(ENTRY_URL)
    posted = client.post(ENTRY_URL, _entry())

    assert form.status_code == posted.status_code == 302
    assert posted["Location"] == LIST_URL
    assert Case.objects.count() == 0


# --- Escaping --------------------------------------------------------------------------------

def test_customer_text_with_a_script_tag_is_rendered_escaped_on_detail_list_and_sheet(
    staff: Staff, client_for: ClientFor,
) -> None:
    client = client_for(staff.agent)
    client.post(ENTRY_URL, _entry(customer_name=f"陈{SCRIPT}", subject=f"烘干异常{SCRIPT}",
                                  content=f"客户说：{SCRIPT}请处理", expectation=SCRIPT, evidence=SCRIPT,
                                  internal_note=SCRIPT))
    case = Case.objects.get()
    assert SCRIPT in case.content  # stored verbatim, escaped only when shown

    for url in (_url("case_detail", case.number), LIST_URL, _url("case_sheet", case.number)):
        html = _html(client.get(url))
        assert SCRIPT not in html, url
        assert "<script" not in html, url
        assert ESCAPED_SCRIPT in html, url


def test_search_text_is_echoed_escaped(staff: Staff, client_for: ClientFor) -> None:
    html = _html(client_for(staff.agent).get(LIST_URL, {"q": f'"><img src=x onerror=alert(1)>{SCRIPT}'}))

    assert "<script" not in html
    assert "<img src=x" not in html
    assert "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" in html


# --- Attachments -----------------------------------------------------------------------------

def test_png_uploaded_with_the_entry_form_is_stored_and_downloaded_as_an_attachment(
    staff: Staff, client_for: ClientFor, png: bytes, media_root: Path,
) -> None:
    client = client_for(staff.agent)
    upload = SimpleUploadedFile("漏水照片.png", png, content_type="image/png")

    client.post(ENTRY_URL, _entry(attachments=upload))

    case = Case.objects.get()
    attachment = case.attachments.get()
    assert (attachment.original_name, attachment.content_type, attachment.size) == ("漏水照片.png", "image/png",
                                                                                     len(png))
    stored = Path(attachment.file.path)
    assert stored.is_relative_to(media_root)
    assert stored.read_bytes() == png
    download_url = _url("attachment_download", case.number, attachment.pk)
    assert f'href="{download_url}"' in _html(client.get(_url("case_detail", case.number)))

    response = client.get(download_url)

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert quote("漏水照片.png") in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    response.close()


def test_attachment_of_another_case_is_not_served_under_this_case(
    staff: Staff, client_for: ClientFor, agents_case: Case,
) -> None:
    other = register_case(registered_by=staff.agent)

    response = client_for(staff.agent).get(_url("attachment_download", other.number, agents_case.attachments.get().pk))

    assert response.status_code == 404


def test_executable_renamed_to_jpg_is_refused_and_no_case_is_created(
    staff: Staff, client_for: ClientFor, media_root: Path,
) -> None:
    upload = SimpleUploadedFile("发票.jpg", EXE_BYTES, content_type="image/jpeg")

    response = client_for(staff.agent).post(ENTRY_URL, _entry(attachments=upload))

    assert response.status_code == 200
    assert "文件“发票.jpg”的内容与其类型不符。" in _html(response)
    assert Case.objects.count() == 0
    assert CaseAttachment.objects.count() == 0
    assert CaseEvent.objects.count() == 0
    assert Customer.objects.count() == 0
    assert [p for p in media_root.rglob("*") if p.is_file()] == []


# --- Language --------------------------------------------------------------------------------

def test_interface_is_simplified_chinese_even_when_the_browser_asks_for_english(
    staff: Staff, client_for: ClientFor,
) -> None:
    response = client_for(staff.agent).get(LIST_URL, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    html = _html(response)
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in html
    assert ">新建工单</a>" in html
    assert "New case" not in html


def test_login_page_is_simplified_chinese_for_an_english_browser(client: Client, db: None) -> None:
    response = client.get(_url("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in _html(response)


@pytest.mark.parametrize("accept_language", ["zh-TW,zh;q=0.9,en;q=0.8", "zh-HK", "zh-Hant-TW"])
def test_traditional_chinese_browser_gets_traditional_chinese(
    staff: Staff, client_for: ClientFor, accept_language: str,
) -> None:
    response = client_for(staff.agent).get(LIST_URL, HTTP_ACCEPT_LANGUAGE=accept_language)

    html = _html(response)
    assert response["Content-Language"] == "zh-hant"
    assert '<html lang="zh-hant">' in html
    assert ">新建工單</a>" in html


def test_chosen_language_wins_over_the_browser(staff: Staff, client_for: ClientFor) -> None:
    client = client_for(staff.agent)
    client.post("/i18n/setlang/", {"language": "en", "next": LIST_URL})

    response = client.get(LIST_URL, HTTP_ACCEPT_LANGUAGE="zh-TW")

    assert response["Content-Language"] == "en"
    assert ">New case</a>" in _html(response)


def test_transition_buttons_follow_the_interface_language(staff: Staff, client_for: ClientFor) -> None:
    case = register_case(registered_by=staff.agent)
    client = client_for(staff.agent)
    client.post("/i18n/setlang/", {"language": "en", "next": LIST_URL})

    html = _html(client.get(_url("case_detail", case.number)))

    assert 'data-action="accept">Accept</button>' in html
    assert ">受理</button>" not in html


# --- Query budget ----------------------------------------------------------------------------

def _register_listed_cases(staff: Staff, count: int) -> None:
    """Cases with everything the list shows: customer, department, owner, escalation, type."""
    boss = staff.supervisor
    # An owner without a display name: the list falls back to the full name, then the user name.
    handler = UserFactory(role="specialist", departments=[staff.home], first_name="明", last_name="钱")
    for n in range(count):
        case = register_case(registered_by=boss, feedback_type=FeedbackType.PRODUCT_QUALITY,
                             customer=CustomerDetails(name=f"顾客{n}", phone=f"1380000{n:04d}", is_anonymous=n % 5 == 0))
        case = case_assign(case=case, actor=boss, department=staff.home, owner=handler if n % 2 else staff.specialist)
        if n % 3 == 0:
            case_set_escalated(case=case, actor=boss, escalated=True, reason="客户多次来电")


def test_case_list_runs_the_same_number_of_queries_for_5_or_40_cases(
    staff: Staff, client_for: ClientFor, django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client = client_for(staff.supervisor)
    _register_listed_cases(staff, 5)
    with CaptureQueriesContext(connection) as five:
        assert len(listed_numbers(client.get(LIST_URL))) == 5
    _register_listed_cases(staff, 35)

    with django_assert_max_num_queries(len(five.captured_queries)):
        response = client.get(LIST_URL)

    assert len(listed_numbers(response)) == 25
    # Session, user, counts, the page, its count, the filter form's choices: a handful, not one per row.
    assert len(five.captured_queries) <= 10


def test_case_list_queries_stay_constant_with_a_search_and_filters(
    staff: Staff, client_for: ClientFor, django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client = client_for(staff.supervisor)
    query = {"q": "洗衣机", "priority": Priority.MEDIUM, "status": CaseStatus.PENDING}
    _register_listed_cases(staff, 5)
    with CaptureQueriesContext(connection) as five:
        assert len(listed_numbers(client.get(LIST_URL, query))) == 5
    _register_listed_cases(staff, 35)

    with django_assert_max_num_queries(len(five.captured_queries)):
        response = client.get(LIST_URL, query)

    assert len(listed_numbers(response)) == 25

