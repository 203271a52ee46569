"""The case page shows every automatic decision with its reasons, and people correct it there."""

from __future__ import annotations

import pytest
from django.test import Client

from caseloop.accounts.models import User
from caseloop.accounts.roles import Role
from caseloop.cases.choices import Channel, Priority
from caseloop.triage.models import TriageDecision
from caseloop.triage.services import triage_case
from tests.factories import UserFactory, register_case

pytestmark = pytest.mark.usefixtures("triage_ready")


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_case_page_shows_the_triage_with_its_reasons(supervisor: User) -> None:
    case = register_case(channel=Channel.API, subject="热水器漏电", content="热水器漏电，手都麻了，订单号2026110512345678")
    triage_case(case.pk)

    html = logged_in(supervisor).get(f"/cases/{case.number}/").content.decode()

    assert 'data-testid="triage"' in html
    assert "安全风险 — 漏电" in html  # the rule and the word that decided
    assert "漏电风险" in html  # the issue point
    assert "2026110512345678" in html
    assert 'data-testid="triage-form"' in html


def test_insults_are_masked_on_the_case_page(supervisor: User) -> None:
    case = register_case(channel=Channel.API, subject="快递", content="你们这帮傻逼，快递十天了还没到")
    triage_case(case.pk)
    html = logged_in(supervisor).get(f"/cases/{case.number}/").content.decode()
    content = html.split('data-testid="case-content">', 1)[1].split("</div>", 1)[0]
    assert "傻逼" not in content
    assert "＊＊" in content


def test_correcting_on_the_sheet_records_the_override(supervisor: User) -> None:
    case = register_case(channel=Channel.API, subject="热水器漏电", content="热水器漏电，手都麻了")
    triage_case(case.pk)

    response = logged_in(supervisor).post(f"/cases/{case.number}/triage/", {
        "feedback_type": "repair_quality", "priority": Priority.MEDIUM, "review": "ok",
        "reason": "已上门检测，是维修后接线问题"})

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.feedback_type == "repair_quality"
    assert case.priority == Priority.MEDIUM
    assert TriageDecision.objects.filter(case=case, dimension="priority", is_override=True).exists()


def test_a_case_the_user_may_not_see_cannot_be_confirmed(db: None) -> None:
    other_agent = UserFactory(role=Role.AGENT)
    case = register_case(channel=Channel.API, subject="漏电", content="插座漏电")
    triage_case(case.pk)
    response = logged_in(other_agent).post(f"/cases/{case.number}/triage/", {
        "feedback_type": "other", "priority": Priority.LOW, "review": "ok", "reason": "x"})
    assert response.status_code == 404
    assert not TriageDecision.objects.exists()


def test_the_sheet_requires_a_logged_in_user_and_csrf(supervisor: User) -> None:
    case = register_case(channel=Channel.API, subject="漏电", content="插座漏电")
    triage_case(case.pk)
    assert Client().post(f"/cases/{case.number}/triage/", {}).status_code == 302  # to the log-in page
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(supervisor)
    assert csrf_client.post(f"/cases/{case.number}/triage/", {"feedback_type": "other"}).status_code == 403


def test_a_suggested_rejection_is_confirmed_by_a_person_and_the_customer_is_told_why(supervisor: User) -> None:
    from caseloop.cases.choices import CaseStatus, RejectionReason
    from caseloop.notify.models import OutboxMessage
    from tests.factories import CustomerDetailsFactory

    case = register_case(channel=Channel.API, subject="兼职", content="兼职刷单日赚500，加微信 abc12345 详聊",
                         customer=CustomerDetailsFactory(email="spam@example.com"))
    triage_case(case.pk)
    client = logged_in(supervisor)
    html = client.get(f"/cases/{case.number}/").content.decode()
    assert 'data-testid="confirm-rejection"' in html  # offered, not done: a person decides
    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING

    response = client.post(f"/cases/{case.number}/transition/",
                           {"action": "reject", "reason_code": RejectionReason.SPAM, "reason": ""})

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.REJECTED
    assert case.rejection_reason == RejectionReason.SPAM
    notice = OutboxMessage.objects.get(case=case, dedupe_key=f"reject:{case.number}")
    assert case.number in notice.body
    assert 'data-testid="confirm-rejection"' not in client.get(f"/cases/{case.number}/").content.decode()


def test_the_case_list_offers_the_manual_classification_queue(supervisor: User) -> None:
    """R3.3: a case triage was unsure about waits in a queue until a person confirms it."""
    from caseloop.triage.models import CaseTriage

    unsure = register_case(channel=Channel.API, subject="咨询", content="那个东西怎么弄")
    sure = register_case(channel=Channel.API, subject="热水器漏电", content="热水器漏电，手都麻了")
    triage_case(unsure.pk)
    triage_case(sure.pk)
    CaseTriage.objects.filter(case=unsure).update(needs_manual_dispatch=True)
    CaseTriage.objects.filter(case=sure).update(needs_manual_dispatch=False)
    client = logged_in(supervisor)

    html = client.get("/cases/?manual_triage=on").content.decode()
    assert unsure.number in html
    assert sure.number not in html

    client.post(f"/cases/{unsure.number}/triage/", {"feedback_type": "consultation", "priority": Priority.LOW,
                                                    "review": "ok", "reason": "客户询问用法"})
    assert unsure.number not in client.get("/cases/?manual_triage=on").content.decode()
