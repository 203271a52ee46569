"""Tracking at /track/: number + code open the case; nothing internal and nothing of others shows;
a wrong number and a wrong code are indistinguishable and rate limited."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import Settings

from caseloop.accounts.models import User
from caseloop.accounts.roles import Role
from caseloop.cases import workflow
from caseloop.cases.choices import CaseStatus, Channel, EventKind, MessageDirection
from caseloop.cases.models import Case, CaseEvent, CaseMessage
from caseloop.cases.services import case_add_message, case_add_note, case_set_escalated, case_transition
from caseloop.portal.tracking import public_entry
from tests.factories import UserFactory
from tests.portal.helpers import feedback_data, without_csrf

pytestmark = pytest.mark.django_db

TRACK_URL = reverse("portal:track")
SCRIPT = "<script>alert(1)</script>"
NOTE = "内部备注：此客户曾多次索赔，谨慎处理"
HOLD_REASON = "等待供应商王经理回复配件价格"


def _file_case(client: Client, **overrides: Any) -> tuple[Case, str]:
    response = client.post(reverse("portal:feedback"), feedback_data(**overrides), follow=True)
    html = response.content.decode()
    number = re.search(r'data-testid="case-number">([^<]+)<', html)
    code = re.search(r'data-testid="tracking-code">([^<]+)<', html)
    assert number, html
    assert code, html
    return Case.objects.get(number=number.group(1)), code.group(1)


def _open(client: Client, number: str, code: str, **extra: Any) -> Any:
    return client.post(TRACK_URL, {"number": number, "code": code}, follow=True, **extra)


@pytest.fixture
def supervisor(db: None) -> User:
    return UserFactory(username="boss-wang", role=Role.SUPERVISOR, display_name="王主管")


def test_the_right_pair_shows_the_status_and_the_public_progress(client: Client) -> None:
    case, code = _file_case(client)

    response = _open(Client(), case.number, f" {code.lower()} ")  # as typed from an SMS

    html = response.content.decode()
    assert response.status_code == 200
    assert response.redirect_chain == [(TRACK_URL, 302)]
    assert f'data-testid="tracked-number">{case.number}<' in html
    assert 'data-testid="case-status">待处理<' in html
    assert "冰箱冷藏室不制冷" in html
    assert "no-store" in response["Cache-Control"]


def test_internal_notes_markers_reasons_and_staff_names_never_reach_the_tracking_page(
    client: Client, supervisor: User,
) -> None:
    case, code = _file_case(client)
    case_add_note(case=case, actor=supervisor, text=NOTE)
    case_set_escalated(case=case, actor=supervisor, escalated=True, reason="升级原因：媒体曝光风险")
    case = case_transition(case=case, actor=supervisor, action=workflow.Action.ACCEPT)
    case = case_transition(case=case, actor=supervisor, action=workflow.Action.HOLD, reason=HOLD_REASON)
    case_add_message(case=case, direction=MessageDirection.OUTBOUND, channel=Channel.EMAIL, author=supervisor,
                     body="您好，我们已安排师傅明天上门。")

    viewer = Client()
    viewer.cookies["django_language"] = "en"
    html = _open(viewer, case.number, code).content.decode()

    assert 'data-testid="case-status">On hold<' in html
    assert "Status: Accepted" in html
    assert "您好，我们已安排师傅明天上门。" in html
    assert "Customer service" in html
    for secret in (NOTE, "升级原因", HOLD_REASON, "王主管", "boss-wang", "Escalated", "Internal note"):
        assert secret not in html, secret


def test_another_customers_case_is_never_shown(client: Client) -> None:
    mine, code = _file_case(client)
    theirs, _their_code = _file_case(client, subject="电视机黑屏", phone="13999999999", email="other@example.cn")

    html = _open(Client(), mine.number, code).content.decode()

    assert theirs.number not in html
    assert "电视机黑屏" not in html
    assert "13999999999" not in html


def test_a_wrong_number_and_a_wrong_code_get_byte_identical_answers(client: Client) -> None:
    case, code = _file_case(client)
    other, _other_code = _file_case(client, subject="洗碗机漏水", phone="13700000000", email="")
    visitor = Client()
    visitor.get(TRACK_URL)  # the CSRF cookie is set once, as in a browser

    wrong_code = visitor.post(TRACK_URL, {"number": case.number, "code": "ABCDEFGH"})
    wrong_number = visitor.post(TRACK_URL, {"number": "CF209912319999", "code": code})
    right_code_of_another_case = visitor.post(TRACK_URL, {"number": other.number, "code": code})

    assert wrong_code.status_code == wrong_number.status_code == right_code_of_another_case.status_code == 200
    assert without_csrf(wrong_code.content) == without_csrf(wrong_number.content)
    assert without_csrf(wrong_code.content) == without_csrf(right_code_of_another_case.content)
    assert dict(wrong_code.items()).keys() == dict(wrong_number.items()).keys()
    assert case.number.encode() not in wrong_code.content
    assert b'data-testid="track-error"' in wrong_code.content


def test_wrong_pairs_are_rate_limited_per_ip_even_for_the_right_pair_afterwards(
    client: Client, settings: Settings,
) -> None:
    settings.CASELOOP = {**settings.CASELOOP, "PORTAL_TRACK_FAILURES_PER_IP": 3}
    case, code = _file_case(client)
    visitor = Client()

    answers = [
        visitor.post(TRACK_URL, {"number": case.number, "code": "WRONG234"}).status_code,
        visitor.post(TRACK_URL, {"number": "CF209912319999", "code": code}).status_code,
        visitor.post(TRACK_URL, {"number": case.number, "code": "WRONG567"}).status_code,
    ]
    blocked = visitor.post(TRACK_URL, {"number": case.number, "code": code})

    assert answers == [200, 200, 200]
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert case.number.encode() not in blocked.content
    # Another address may still look up its case.
    assert _open(Client(REMOTE_ADDR="10.9.9.9"), case.number, code).redirect_chain == [(TRACK_URL, 302)]


def test_the_rate_limit_ends_with_its_window(client: Client, settings: Settings) -> None:
    settings.CASELOOP = {**settings.CASELOOP, "PORTAL_TRACK_FAILURES_PER_IP": 1}
    case, code = _file_case(client)
    visitor = Client()
    visitor.post(TRACK_URL, {"number": case.number, "code": "WRONG234"})
    assert visitor.post(TRACK_URL, {"number": case.number, "code": code}).status_code == 429

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        assert _open(visitor, case.number, code).redirect_chain == [(TRACK_URL, 302)]


def test_customer_text_is_escaped_on_the_tracking_page(client: Client, supervisor: User) -> None:
    case, code = _file_case(client, subject=SCRIPT, content=f"{SCRIPT} 冰箱坏了")
    case_add_message(case=case, direction=MessageDirection.OUTBOUND, channel=Channel.EMAIL, author=supervisor,
                     body=f"回复 {SCRIPT}")

    html = _open(Client(), case.number, code).content.decode()

    assert SCRIPT not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_tracking_form_needs_a_csrf_token(client: Client) -> None:
    case, code = _file_case(client)

    response = Client(enforce_csrf_checks=True).post(TRACK_URL, {"number": case.number, "code": code})

    assert response.status_code == 403


def test_the_view_expires_and_can_be_closed(client: Client, settings: Settings) -> None:
    case, code = _file_case(client)
    visitor = Client()
    _open(visitor, case.number, code)

    visitor.post(reverse("portal:track_forget"))

    assert b'data-testid="submit-track"' in visitor.get(TRACK_URL).content
    _open(visitor, case.number, code)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1)):
        assert b'data-testid="submit-track"' in visitor.get(TRACK_URL).content


def test_the_customer_adds_a_message_which_answers_a_request_for_information(
    client: Client, supervisor: User,
) -> None:
    case, code = _file_case(client)
    case = case_transition(case=case, actor=supervisor, action=workflow.Action.ACCEPT)
    case_transition(case=case, actor=supervisor, action=workflow.Action.REQUEST_INFORMATION,
                    reason="请客户提供购买凭证")
    visitor = Client()
    _open(visitor, case.number, code)

    response = visitor.post(reverse("portal:track_message"), {"body": "购买凭证号 P-778899，已拍照。"}, follow=True)

    message = CaseMessage.objects.get(case=case)
    assert (message.direction, message.channel, message.author) == (MessageDirection.INBOUND, Channel.WEB, None)
    assert "购买凭证号 P-778899" in response.content.decode()
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED


def test_a_message_without_an_opened_case_is_not_accepted(client: Client) -> None:
    case, _code = _file_case(client)

    response = Client().post(reverse("portal:track_message"), {"body": "hello"})

    assert response.status_code == 302
    assert not CaseMessage.objects.filter(case=case).exists()


def test_spam_messages_are_refused(client: Client) -> None:
    case, code = _file_case(client)
    visitor = Client()
    _open(visitor, case.number, code)

    visitor.post(reverse("portal:track_message"), {"body": "www.a.com www.b.com www.c.com www.d.com"})

    assert not CaseMessage.objects.filter(case=case).exists()


@pytest.mark.parametrize(("kind", "is_internal", "shown"), [
    (EventKind.CREATED, False, True),
    (EventKind.STATUS_CHANGED, False, True),
    (EventKind.ATTACHMENT_ADDED, False, True),
    (EventKind.NOTE, True, False),
    (EventKind.ASSIGNED, True, False),
    (EventKind.FIELDS_CHANGED, True, False),
    (EventKind.ESCALATED, True, False),
    (EventKind.MESSAGE_OUT, False, False),  # shown with its full text among the messages instead
    (EventKind.STATUS_CHANGED, True, False),  # flagged internal: never, whatever its kind
])
def test_public_entry_shows_only_customer_facing_kinds(kind: str, is_internal: bool, shown: bool) -> None:
    event = CaseEvent(kind=kind, is_internal=is_internal, at=timezone.now(), to_status=CaseStatus.ACCEPTED,
                      reason="员工写给同事的原因")

    entry = public_entry(event)

    assert (entry is not None) == shown
    if entry is not None:
        assert "员工写给同事的原因" not in entry.title + entry.detail
