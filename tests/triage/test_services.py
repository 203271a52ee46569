"""Triage against the database: what a case gets, what people see and correct, what is learned."""

from __future__ import annotations

import datetime as dt

import pytest
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from caseloop.accounts.models import User
from caseloop.cases.choices import CaseStatus, Channel, EventKind, Priority
from caseloop.cases.models import Case, CaseEvent
from caseloop.core import clock
from caseloop.core.errors import ApplicationError, PermissionDenied
from caseloop.customers.services import CustomerDetails
from caseloop.intake.services import intake_customer_reply, intake_register
from caseloop.notify.models import OutboxMessage
from caseloop.triage.classifier import ModelBundle
from caseloop.triage.models import CaseFingerprintBand, CaseTriage, PriorityRule, TriageDecision, TriageSettings
from caseloop.triage.services import Confirmation, deviation_rate, triage_case, triage_confirm, triage_message
from tests.factories import CaseRegistrationFactory, CustomerDetailsFactory, register_case

pytestmark = pytest.mark.usefixtures("triage_ready")

SAFETY = "热水器漏电，洗澡的时候手都麻了，太危险了，请马上派人来处理"


def test_a_safety_complaint_is_graded_high_with_the_rule_and_word_that_decided(agent: User) -> None:
    case = register_case(channel=Channel.API, subject="热水器漏电", content=SAFETY)
    due_before = case.resolution_due_at

    triage = triage_case(case.pk)

    assert triage is not None
    case.refresh_from_db()
    assert case.priority == Priority.HIGH
    assert case.resolution_due_at != due_before  # the deadline follows the priority
    reasons = triage.result["priority_reasons"]
    assert any(r["kind"] == "rule" and r["detail"].startswith("安全风险 — 漏电") for r in reasons)
    assert triage.model_version.startswith("builtin-")
    assert triage.rules_digest
    event = CaseEvent.objects.get(case=case, kind=EventKind.TRIAGED)
    assert event.changes["priority"] == [Priority.MEDIUM, Priority.HIGH]
    assert event.actor is None


def test_extracted_values_fill_empty_fields_and_never_overwrite_what_was_entered() -> None:
    text = "订单号 2026110512345678 的冰箱不制冷了，序列号 SN8899776655"
    empty = register_case(channel=Channel.API, subject="冰箱不制冷", content=text)
    entered = register_case(channel=Channel.API, subject="冰箱不制冷", content=text, order_number="DD-KEEP-ME")

    triage_case(empty.pk)
    kept = triage_case(entered.pk)

    empty.refresh_from_db()
    entered.refresh_from_db()
    assert empty.order_number == "2026110512345678"
    assert empty.serial_number == "SN8899776655"
    assert entered.order_number == "DD-KEEP-ME"
    assert kept is not None
    assert kept.suggestions["order_number"] == "2026110512345678"


def test_a_priority_a_person_chose_is_kept_and_triage_only_suggests(agent: User) -> None:
    case = register_case(channel=Channel.PHONE, registered_by=agent, subject="漏电", content=SAFETY,
                         priority=Priority.LOW)

    triage = triage_case(case.pk)

    case.refresh_from_db()
    assert case.priority == Priority.LOW
    assert triage is not None
    assert triage.suggestions["priority"] == Priority.HIGH


def test_a_near_duplicate_from_another_customer_is_linked_with_its_score() -> None:
    text = "你们的APP昨晚开始一直闪退，打开就崩溃，重装了也没用，订单都没法查"
    first = register_case(channel=Channel.API, subject="APP闪退", content=text)
    triage_case(first.pk)
    second = register_case(channel=Channel.API, subject="APP闪退", content=text + "！！",
                           customer=CustomerDetailsFactory())

    triage = triage_case(second.pk)

    assert triage is not None
    [link] = triage.result["duplicates"]
    assert link["number"] == first.number
    assert link["score"] >= 0.8
    assert not link["same_customer"]
    assert CaseFingerprintBand.objects.filter(case=second).count() == 16


def test_a_rerun_replaces_the_assessment_and_index_rows() -> None:
    case = register_case(channel=Channel.API, subject="物流太慢", content="快递一周了还没到，物流信息也不更新")
    triage_case(case.pk)
    triage_case(case.pk)
    assert CaseTriage.objects.filter(case=case).count() == 1
    assert CaseFingerprintBand.objects.filter(case=case).count() == 16
    assert case.triage_runs.count() == 2


def test_many_customers_with_the_same_problem_in_a_short_window_raise_the_priority() -> None:
    settings_row = TriageSettings.current()
    settings_row.surge_threshold = 4
    settings_row.save()
    texts = ["APP登录不上，一直提示网络错误", "今天早上开始登录不了APP了", "登录失败，验证码也收不到",
             "账号登不上去，急用", "app一直登录失败是怎么回事"]
    triaged = []
    for text in texts:
        case = register_case(channel=Channel.API, subject="登录问题", content=text, customer=CustomerDetailsFactory())
        triaged.append(triage_case(case.pk))
    last = triaged[-1]
    assert last is not None
    if last.predicted_type != triaged[0].predicted_type:  # pragma: no cover - the model disagrees with itself
        pytest.skip("the model typed these differently")
    assert last.predicted_priority == Priority.HIGH
    assert any(r["code"] == "scope.surge" for r in last.result["priority_reasons"])


def test_spam_is_only_suggested_for_rejection_by_default() -> None:
    case = register_case(channel=Channel.WEB, subject="兼职", content="兼职刷单日赚500，加微信 abc12345 www.jz.top")

    triage = triage_case(case.pk)

    case.refresh_from_db()
    assert triage is not None
    assert triage.review == "spam"
    assert triage.result["is_rejectable"]
    assert case.status == CaseStatus.PENDING
    assert triage.needs_manual_dispatch  # a person looks at it


def test_automatic_rejection_when_the_admin_enabled_it_tells_the_customer_why() -> None:
    TriageSettings.objects.filter(pk=1).update(auto_reject_enabled=True, auto_reject_threshold=0.7)
    reg = CaseRegistrationFactory.build(channel=Channel.WEB, subject="兼职", content="兼职刷单日赚500，加微信 abc12345 www.jz.top",
                                        customer=CustomerDetails(name="x", email="bot@example.cn"))
    case = intake_register(registration=reg, acknowledge=False).case

    triage_case(case.pk)

    case.refresh_from_db()
    assert case.status == CaseStatus.REJECTED
    assert case.rejection_reason == "spam"
    message = OutboxMessage.objects.get(case=case, dedupe_key=f"reject:{case.number}")
    assert "广告" in message.body


def test_confirming_records_each_label_and_counts_overrides_in_the_deviation_rate(supervisor: User) -> None:
    case = register_case(channel=Channel.API, subject="漏电", content=SAFETY)
    triage = triage_case(case.pk)
    assert triage is not None

    triage_confirm(case=case, actor=supervisor, confirmation=Confirmation(
        feedback_type="repair_quality" if triage.predicted_type != "repair_quality" else "parts",
        priority=triage.predicted_priority, review="ok"))

    decisions = {d.dimension: d for d in TriageDecision.objects.filter(case=case)}
    assert decisions["type"].is_override
    assert not decisions["priority"].is_override
    assert decisions["type"].text.startswith("漏电") or "漏电" in decisions["type"].text
    rates = deviation_rate()
    assert rates["type"].rate == 1.0
    assert rates["priority"].rate == 0.0
    triage.refresh_from_db()
    assert triage.confirmed_by == supervisor
    assert CaseEvent.objects.filter(case=case, kind=EventKind.TRIAGE_CONFIRMED, actor=supervisor).exists()


def test_a_rerun_replaces_the_assessment_but_keeps_a_persons_confirmation(supervisor: User) -> None:
    case = register_case(channel=Channel.API, subject="漏电", content=SAFETY)
    triage = triage_case(case.pk)
    assert triage is not None
    triage_confirm(case=case, actor=supervisor, confirmation=Confirmation(
        feedback_type=triage.predicted_type, priority=triage.predicted_priority, review="ok"))
    CaseTriage.objects.filter(pk=case.pk).update(predicted_type="stale")

    again = triage_case(case.pk)

    assert again is not None
    assert again.predicted_type == triage.predicted_type  # the assessment is new ...
    assert again.confirmed_by == supervisor  # ... the confirmation stays
    assert again.confirmed_at is not None


def test_changing_the_priority_on_the_sheet_needs_a_reason(supervisor: User) -> None:
    case = register_case(channel=Channel.API, subject="漏电", content=SAFETY)
    triage_case(case.pk)
    with pytest.raises(ApplicationError) as refused:
        triage_confirm(case=case, actor=supervisor, confirmation=Confirmation(
            feedback_type="product_quality", priority=Priority.LOW))
    assert refused.value.field == "reason"
    assert not TriageDecision.objects.exists()


def test_roles_without_edit_or_review_may_not_confirm() -> None:
    from tests.factories import UserFactory

    analyst = UserFactory(role="analyst")
    case = register_case(channel=Channel.API, subject="漏电", content=SAFETY)
    triage_case(case.pk)
    with pytest.raises(PermissionDenied):
        triage_confirm(case=case, actor=analyst, confirmation=Confirmation("product_quality", Priority.HIGH))


def test_a_new_message_that_reports_a_fire_raises_the_priority() -> None:
    case = register_case(channel=Channel.API, subject="充电宝", content="充电宝充电有点慢，想问下正常吗")
    Case.objects.filter(pk=case.pk).update(priority=Priority.LOW)
    message = intake_customer_reply(case=case, channel=Channel.API, body="刚才充电的时候充电宝冒烟起火了！")

    run = triage_message(message.pk)

    case.refresh_from_db()
    assert run is not None
    assert run.message == message
    assert case.priority == Priority.HIGH
    assert "安全风险" in CaseEvent.objects.filter(case=case, kind=EventKind.TRIAGED).last().reason  # type: ignore[union-attr]


def test_intake_triages_each_new_case_after_commit(settings: Settings,
                                                   django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
                                                   ) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    reg = CaseRegistrationFactory.build(channel=Channel.API, subject="漏电", content=SAFETY)
    with django_capture_on_commit_callbacks(execute=True):
        case = intake_register(registration=reg).case
    assert CaseTriage.objects.get(case=case).predicted_priority == Priority.HIGH


def test_imported_history_is_left_to_the_backfill(settings: Settings,
                                                  django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
                                                  ) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    reg = CaseRegistrationFactory.build(channel=Channel.IMPORT, subject="旧案", content=SAFETY,
                                        received_at=clock.now() - dt.timedelta(days=30))
    with django_capture_on_commit_callbacks(execute=True):
        case = intake_register(registration=reg, acknowledge=False).case
    assert not CaseTriage.objects.filter(case=case).exists()


def test_an_admins_new_rule_applies_to_the_next_case_without_a_restart(shipped_model: ModelBundle) -> None:
    text = "门店的收银系统又慢了一点"
    before = triage_case(register_case(channel=Channel.API, subject="收银", content=text).pk)
    PriorityRule.objects.create(name="门店系统", level=Priority.HIGH, keywords="收银系统")
    after = triage_case(register_case(channel=Channel.API, subject="收银", content=text).pk)
    assert before is not None
    assert after is not None
    assert not any(r["detail"].startswith("门店系统") for r in before.result["priority_reasons"])
    assert after.predicted_priority == Priority.HIGH
    assert after.rules_digest != before.rules_digest
