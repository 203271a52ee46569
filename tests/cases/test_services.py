"""Writes to cases: registration, the state machine applied, corrections, assignment, notes,
attachments, and the append-only timeline."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from pytest_django import Settings

from caseloop.accounts.models import Department, User
from caseloop.accounts.roles import Role
from caseloop.cases import services
from caseloop.cases.choices import CaseStatus as S
from caseloop.cases.choices import Channel, EventKind, Priority
from caseloop.cases.models import Case, CaseAttachment, CaseEvent, CaseNumberSequence, CaseSearchDocument
from caseloop.cases.services import (
    UploadedAttachment,
    case_add_attachment,
    case_add_message,
    case_add_note,
    case_assign,
    case_transition,
    case_update_fields,
)
from caseloop.cases.workflow import TRANSITIONS, Action
from caseloop.core.errors import ApplicationError, PermissionDenied
from caseloop.customers.models import Customer
from caseloop.customers.services import CustomerDetails
from caseloop.products.models import Order
from tests.factories import CaseRegistrationFactory, ProductFactory, UserFactory, register, register_case

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
# Monday 23 November 2026, 10:00 in Shanghai
MONDAY_10_00 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 48


def _events(case: Case) -> list[CaseEvent]:
    return list(CaseEvent.objects.filter(case=case).order_by("id"))


def _snapshot(case: Case) -> tuple[Any, ...]:
    """Everything a refused write must leave untouched."""
    row = Case.objects.get(pk=case.pk)
    return (
        row.status,
        row.status_before_pause,
        row.rejection_reason,
        row.duplicate_of_id,
        row.hold_reason,
        row.department_id,
        row.owner_id,
        row.priority,
        row.subject,
        row.updated_at,
        CaseEvent.objects.filter(case=case).count(),
    )


def _upload(name: str, data: bytes, description: str = "") -> UploadedAttachment:
    return UploadedAttachment(name=name, stream=io.BytesIO(data), size=len(data), description=description)


# --- Registration -----------------------------------------------------------------------------


@pytest.mark.django_db
@time_machine.travel(MONDAY_10_00, tick=False)
def test_registration_records_the_case_its_deadlines_index_and_first_event(agent: User) -> None:
    # Given a phone complaint received ten minutes ago
    received_at = MONDAY_10_00 - dt.timedelta(minutes=10)
    product = ProductFactory(model="XQG100-HB14")

    # When the agent registers it
    result = register(
        registered_by=agent,
        channel=Channel.PHONE,
        subject="  洗衣机漏水  ",
        content="  排水管接口处漏水。 ",
        received_at=received_at,
        product_model="xqg100-hb14",
        expectation="上门维修",
        customer=CustomerDetails(name="陈静", phone="+86 138 0013 8000"),
        internal_note="客户情绪激动",
    )

    # Then the case is pending, numbered, and holds what was said (trimmed, not rewritten)
    case = Case.objects.get(pk=result.case.pk)
    assert result.created is True
    assert case.number == "CF202611230001"
    assert case.status == S.PENDING
    assert (case.channel, case.subject, case.content, case.expectation) == (
        Channel.PHONE,
        "洗衣机漏水",
        "排水管接口处漏水。",
        "上门维修",
    )
    assert case.product == product
    assert case.product_description == str(product)
    assert case.registered_by == agent
    assert case.received_at == received_at
    assert case.recorded_at == MONDAY_10_00
    assert case.is_entry_late is False
    assert (case.customer.name, case.customer.phone_normalized) == ("陈静", "13800138000")
    # 48 hours to first response; then 7 working days (medium) to resolution
    assert case.first_response_due_at == dt.datetime(2026, 11, 25, 9, 50, tzinfo=SHANGHAI)
    assert case.resolution_due_at == dt.datetime(2026, 12, 4, 9, 50, tzinfo=SHANGHAI)
    # and it is searchable
    document = CaseSearchDocument.objects.get(case=case)
    assert "洗衣机" in document.words.split()
    assert "漏水" in document.grams.split()
    # and the timeline starts with a public "registered" event and the internal note
    created, note = _events(case)
    assert (created.kind, created.actor, created.at, created.to_status, created.is_internal) == (
        EventKind.CREATED,
        agent,
        MONDAY_10_00,
        S.PENDING,
        False,
    )
    assert created.changes == {"channel": [None, "phone"], "received_at": [None, received_at.isoformat()]}
    assert (note.kind, note.reason, note.is_internal) == (EventKind.NOTE, "客户情绪激动", True)


@pytest.mark.django_db
@time_machine.travel(MONDAY_10_00, tick=False)
def test_registration_takes_the_purchase_date_from_a_known_order() -> None:
    Order.objects.create(order_number="JD20261101001", purchase_date=dt.date(2026, 11, 1))

    case = register_case(order_number=" JD20261101001 ")

    assert case.order is not None
    assert case.order_number == "JD20261101001"
    assert case.purchase_date == dt.date(2026, 11, 1)


@pytest.mark.django_db
def test_the_same_customer_is_reused_whichever_way_the_phone_number_is_written() -> None:
    first = register_case(customer=CustomerDetails(name="陈静", phone="+86 138 0013 8000"))

    second = register_case(customer=CustomerDetails(phone="13800138000"))

    assert second.customer_id == first.customer_id
    assert Customer.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("channel", "minutes_ago", "is_late"),
    [
        (Channel.PHONE, 29, False),
        (Channel.PHONE, 30, False),
        (Channel.PHONE, 31, True),
        (Channel.STORE, 31, True),
        (Channel.API, 4, False),
        (Channel.API, 6, True),
        (Channel.WEB, 6, True),
    ],
)
def test_entry_is_late_after_30_minutes_for_manual_channels_and_5_for_system_channels(
    channel: str, minutes_ago: int, is_late: bool
) -> None:
    with time_machine.travel(MONDAY_10_00, tick=False):
        case = register_case(channel=channel, received_at=MONDAY_10_00 - dt.timedelta(minutes=minutes_ago))

    assert Case.objects.get(pk=case.pk).is_entry_late is is_late


@pytest.mark.django_db
def test_a_channel_retrying_with_the_same_external_id_gets_the_first_case_back() -> None:
    # Given an app submission registered once
    first = register(channel=Channel.API, external_id="APP-1001", subject="第一次提交")

    # When the app retries it (even with a changed body)
    retry = register(channel=Channel.API, external_id="APP-1001", subject="重试提交")

    # Then the first case is returned and nothing new is written
    assert (first.created, retry.created) == (True, False)
    assert retry.case.pk == first.case.pk
    assert Case.objects.count() == 1
    assert Case.objects.get().subject == "第一次提交"
    assert CaseEvent.objects.count() == 1
    assert CaseNumberSequence.objects.get().last_value == 1


@pytest.mark.django_db
def test_the_same_external_id_on_another_channel_is_another_case() -> None:
    register(channel=Channel.API, external_id="1001")

    other = register(channel=Channel.WECHAT, external_id="1001")

    assert other.created is True
    assert Case.objects.count() == 2


@pytest.mark.django_db
@time_machine.travel(MONDAY_10_00, tick=False)
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"subject": "   "}, "subject"),
        ({"content": ""}, "content"),
        ({"received_at": MONDAY_10_00 + dt.timedelta(minutes=6)}, "received_at"),
        ({"received_at": dt.datetime(2026, 11, 23, 9, 0)}, "received_at"),
        ({"channel": "fax"}, "channel"),
        ({"priority": "urgent"}, "priority"),
        ({"feedback_type": "praise"}, "feedback_type"),
        ({"customer": CustomerDetails()}, "customer"),
    ],
    ids=[
        "empty-subject",
        "empty-content",
        "future-contact",
        "naive-datetime",
        "unknown-channel",
        "unknown-priority",
        "unknown-type",
        "customer-unidentified",
    ],
)
def test_invalid_registration_names_the_field_and_writes_nothing(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ApplicationError) as refused:
        register(**overrides)

    assert refused.value.field == field
    assert not Case.objects.exists()
    assert not Customer.objects.exists()
    assert not CaseNumberSequence.objects.exists()
    assert not CaseEvent.objects.exists()


@pytest.mark.django_db
@time_machine.travel(MONDAY_10_00, tick=False)
def test_a_contact_time_slightly_ahead_of_our_clock_is_accepted() -> None:
    case = register_case(received_at=MONDAY_10_00 + dt.timedelta(minutes=4))

    assert case.received_at == MONDAY_10_00 + dt.timedelta(minutes=4)


@pytest.mark.django_db
def test_an_anonymous_customer_without_contact_may_register() -> None:
    case = register_case(customer=CustomerDetails(is_anonymous=True))

    assert case.customer.is_anonymous is True


# --- Transitions ------------------------------------------------------------------------------

# How to bring a fresh case to each status, as the system (actor=None).
PATHS: dict[str, list[Action]] = {
    S.PENDING: [],
    S.ACCEPTED: [Action.ACCEPT],
    S.IN_PROGRESS: [Action.ACCEPT, Action.START],
    S.AWAITING_APPROVAL: [Action.ACCEPT, Action.START, Action.SUBMIT_FOR_APPROVAL],
    S.RESOLVED: [Action.ACCEPT, Action.START, Action.RESOLVE],
    S.CLOSED_PENDING_FOLLOW_UP: [Action.ACCEPT, Action.START, Action.RESOLVE, Action.CLOSE_PENDING_FOLLOW_UP],
    S.CLOSED: [Action.ACCEPT, Action.START, Action.RESOLVE, Action.CLOSE],
    S.REOPENED: [Action.ACCEPT, Action.START, Action.RESOLVE, Action.CLOSE, Action.REOPEN],
    S.NEEDS_INFORMATION: [Action.REQUEST_INFORMATION],  # paused from pending
    S.ON_HOLD: [Action.ACCEPT, Action.START, Action.HOLD],  # paused from in progress
    S.REJECTED: [Action.REJECT],
    S.DUPLICATE: [Action.MARK_DUPLICATE],
}

# (action, from, to) for every source of every action; to is where the case really lands.
STEPS = [
    (Action.ACCEPT, S.PENDING, S.ACCEPTED),
    (Action.ACCEPT, S.REOPENED, S.ACCEPTED),
    (Action.START, S.ACCEPTED, S.IN_PROGRESS),
    (Action.REQUEST_INFORMATION, S.PENDING, S.NEEDS_INFORMATION),
    (Action.REQUEST_INFORMATION, S.ACCEPTED, S.NEEDS_INFORMATION),
    (Action.REQUEST_INFORMATION, S.IN_PROGRESS, S.NEEDS_INFORMATION),
    (Action.REQUEST_INFORMATION, S.REOPENED, S.NEEDS_INFORMATION),
    (Action.INFORMATION_RECEIVED, S.NEEDS_INFORMATION, S.PENDING),
    (Action.HOLD, S.ACCEPTED, S.ON_HOLD),
    (Action.HOLD, S.IN_PROGRESS, S.ON_HOLD),
    (Action.HOLD, S.REOPENED, S.ON_HOLD),
    (Action.RESUME, S.ON_HOLD, S.IN_PROGRESS),
    (Action.SUBMIT_FOR_APPROVAL, S.IN_PROGRESS, S.AWAITING_APPROVAL),
    (Action.APPROVE, S.AWAITING_APPROVAL, S.IN_PROGRESS),
    (Action.DECLINE_APPROVAL, S.AWAITING_APPROVAL, S.IN_PROGRESS),
    (Action.RESOLVE, S.IN_PROGRESS, S.RESOLVED),
    (Action.CLOSE, S.RESOLVED, S.CLOSED),
    (Action.CLOSE, S.CLOSED_PENDING_FOLLOW_UP, S.CLOSED),
    (Action.CLOSE_PENDING_FOLLOW_UP, S.RESOLVED, S.CLOSED_PENDING_FOLLOW_UP),
    (Action.REOPEN, S.RESOLVED, S.REOPENED),
    (Action.REOPEN, S.CLOSED_PENDING_FOLLOW_UP, S.REOPENED),
    (Action.REOPEN, S.CLOSED, S.REOPENED),
    (Action.REJECT, S.PENDING, S.REJECTED),
    (Action.REJECT, S.NEEDS_INFORMATION, S.REJECTED),
    (Action.MARK_DUPLICATE, S.PENDING, S.DUPLICATE),
    (Action.MARK_DUPLICATE, S.ACCEPTED, S.DUPLICATE),
    (Action.MARK_DUPLICATE, S.NEEDS_INFORMATION, S.DUPLICATE),
    (Action.RESTORE, S.REJECTED, S.PENDING),
    (Action.RESTORE, S.DUPLICATE, S.PENDING),
]


def _arguments(action: Action, original: Case | None, reason: str) -> dict[str, Any]:
    return {
        "reason": reason,
        "reason_code": "spam" if action == Action.REJECT else "",
        "duplicate_of": original if action == Action.MARK_DUPLICATE else None,
    }


def _bring_to(case: Case, status: str, original: Case) -> Case:
    for action in PATHS[status]:
        case = case_transition(case=case, actor=None, action=action, **_arguments(action, original, "准备"))
    assert case.status == status
    return case


def test_the_step_list_covers_every_source_of_every_action() -> None:
    assert {(a, s) for a, s, _ in STEPS} == {(t.action, s) for t in TRANSITIONS.values() for s in t.sources}


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "source", "target"), STEPS, ids=[f"{a}-from-{s}" for a, s, _ in STEPS])
def test_every_transition_changes_status_and_writes_exactly_one_public_event(
    supervisor: User, action: Action, source: str, target: str
) -> None:
    # Given a case in `source`
    original = register_case(subject="原始反馈")
    case = _bring_to(register_case(), source, original)
    events_before = CaseEvent.objects.filter(case=case).count()

    # When the supervisor takes `action`
    result = case_transition(case=case, actor=supervisor, action=action, **_arguments(action, original, "处理说明"))

    # Then the stored status is `target` and exactly one event says so
    assert Case.objects.get(pk=case.pk).status == target == result.status
    new_events = list(CaseEvent.objects.filter(case=case).order_by("id"))[events_before:]
    assert len(new_events) == 1
    event = new_events[0]
    assert (event.kind, event.action, event.from_status, event.to_status, event.actor) == (
        EventKind.STATUS_CHANGED,
        action,
        source,
        target,
        supervisor,
    )
    assert event.reason == "处理说明"
    assert event.is_internal is False


@pytest.mark.django_db
def test_a_transition_whose_event_cannot_be_written_leaves_the_status_unchanged(
    supervisor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a pending case, and a timeline that fails to write
    case = register_case()
    before = _snapshot(case)

    def broken_record(*args: Any, **kwargs: Any) -> None:
        raise DatabaseError("disk full")

    monkeypatch.setattr(services, "_record", broken_record)

    # When the supervisor accepts it
    with pytest.raises(DatabaseError):
        case_transition(case=case, actor=supervisor, action=Action.ACCEPT)

    # Then the status change was rolled back with the event (one transaction)
    assert _snapshot(case) == before


@pytest.mark.django_db
def test_a_transition_not_allowed_from_the_current_status_changes_nothing(supervisor: User) -> None:
    case = register_case()
    before = _snapshot(case)

    with pytest.raises(ApplicationError) as refused:
        case_transition(case=case, actor=supervisor, action=Action.RESOLVE, reason="已处理")

    assert refused.value.code == "transition_not_allowed"
    assert _snapshot(case) == before


@pytest.mark.django_db
def test_the_transition_applies_to_the_stored_status_not_a_stale_copy(supervisor: User, agent: User) -> None:
    # Given two people holding the same pending case
    stale = register_case()
    case_transition(case=Case.objects.get(pk=stale.pk), actor=agent, action=Action.ACCEPT)

    # When the second acts on their stale copy
    with pytest.raises(ApplicationError):
        case_transition(case=stale, actor=supervisor, action=Action.ACCEPT)

    # Then only the first acceptance is on record
    assert CaseEvent.objects.filter(case=stale, kind=EventKind.STATUS_CHANGED).count() == 1


@pytest.mark.django_db
def test_hold_remembers_the_status_and_resume_returns_to_it(specialist: User) -> None:
    # Given a case being worked on
    case = _bring_to(register_case(), S.IN_PROGRESS, register_case())

    # When it is put on hold
    held = case_transition(case=case, actor=specialist, action=Action.HOLD, reason="等待配件到货")

    # Then the reason and the status to come back to are kept
    held.refresh_from_db()
    assert (held.status, held.status_before_pause, held.hold_reason) == (S.ON_HOLD, S.IN_PROGRESS, "等待配件到货")

    # When it resumes, it is back in progress and the pause is forgotten
    resumed = case_transition(case=held, actor=specialist, action=Action.RESUME)
    resumed.refresh_from_db()
    assert (resumed.status, resumed.status_before_pause, resumed.hold_reason) == (S.IN_PROGRESS, "", "")


@pytest.mark.django_db
def test_information_received_returns_a_reopened_case_to_reopened(supervisor: User) -> None:
    case = _bring_to(register_case(), S.REOPENED, register_case())
    case = case_transition(case=case, actor=supervisor, action=Action.REQUEST_INFORMATION, reason="请提供发票")

    case = case_transition(case=case, actor=supervisor, action=Action.INFORMATION_RECEIVED)

    assert Case.objects.get(pk=case.pk).status == S.REOPENED


@pytest.mark.parametrize("action", [Action.HOLD, Action.RESOLVE, Action.REOPEN, Action.DECLINE_APPROVAL])
@pytest.mark.django_db
def test_an_action_that_needs_a_reason_is_refused_without_one(supervisor: User, action: Action) -> None:
    source = {
        Action.HOLD: S.IN_PROGRESS,
        Action.RESOLVE: S.IN_PROGRESS,
        Action.REOPEN: S.CLOSED,
        Action.DECLINE_APPROVAL: S.AWAITING_APPROVAL,
    }[action]
    case = _bring_to(register_case(), source, register_case())
    before = _snapshot(case)

    with pytest.raises(ApplicationError) as refused:
        case_transition(case=case, actor=supervisor, action=action, reason="   ")

    assert (refused.value.code, refused.value.field) == ("reason_required", "reason")
    assert _snapshot(case) == before


@pytest.mark.django_db
@pytest.mark.parametrize("reason_code", ["", "rude"])
def test_reject_without_a_known_reason_code_is_refused(supervisor: User, reason_code: str) -> None:
    case = register_case()
    before = _snapshot(case)

    with pytest.raises(ApplicationError) as refused:
        case_transition(case=case, actor=supervisor, action=Action.REJECT, reason_code=reason_code)

    assert refused.value.field == "reason_code"
    assert _snapshot(case) == before


@pytest.mark.django_db
def test_reject_stores_the_reason_code_on_the_case_and_the_event(supervisor: User) -> None:
    case = register_case()

    case_transition(case=case, actor=supervisor, action=Action.REJECT, reason_code="spam", reason="广告推销")

    case.refresh_from_db()
    assert (case.status, case.rejection_reason) == (S.REJECTED, "spam")
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.reason_code, event.reason) == ("spam", "广告推销")


@pytest.mark.django_db
def test_restore_clears_the_rejection(supervisor: User) -> None:
    case = case_transition(case=register_case(), actor=supervisor, action=Action.REJECT, reason_code="fake")

    case_transition(case=case, actor=supervisor, action=Action.RESTORE, reason="误判")

    case.refresh_from_db()
    assert (case.status, case.rejection_reason) == (S.PENDING, "")


@pytest.mark.django_db
def test_mark_duplicate_links_the_original_and_records_it(supervisor: User) -> None:
    original = register_case()
    case = register_case()

    case_transition(case=case, actor=supervisor, action=Action.MARK_DUPLICATE, duplicate_of=original)

    case.refresh_from_db()
    assert (case.status, case.duplicate_of) == (S.DUPLICATE, original)
    assert CaseEvent.objects.filter(case=case).latest("id").changes == {"duplicate_of": [None, original.number]}
    # and restoring unlinks it
    case_transition(case=case, actor=supervisor, action=Action.RESTORE, reason="并非重复")
    case.refresh_from_db()
    assert (case.status, case.duplicate_of) == (S.PENDING, None)


@pytest.mark.django_db
def test_mark_duplicate_without_an_original_is_refused(supervisor: User) -> None:
    case = register_case()
    before = _snapshot(case)

    with pytest.raises(ApplicationError) as refused:
        case_transition(case=case, actor=supervisor, action=Action.MARK_DUPLICATE, duplicate_of=None)

    assert (refused.value.code, refused.value.field) == ("original_required", "duplicate_of")
    assert _snapshot(case) == before


@pytest.mark.django_db
def test_a_case_cannot_be_marked_a_duplicate_of_itself(supervisor: User) -> None:
    case = register_case()
    before = _snapshot(case)

    with pytest.raises(ApplicationError) as refused:
        case_transition(case=case, actor=supervisor, action=Action.MARK_DUPLICATE, duplicate_of=case)

    assert (refused.value.code, refused.value.field) == ("original_invalid", "duplicate_of")
    assert _snapshot(case) == before


@pytest.mark.django_db
def test_a_case_cannot_duplicate_a_duplicate_and_the_message_names_the_real_original(supervisor: User) -> None:
    # Given B is a duplicate of A
    first = register_case()
    second = case_transition(case=register_case(), actor=supervisor, action=Action.MARK_DUPLICATE, duplicate_of=first)
    third = register_case()
    before = _snapshot(third)

    # When C is marked a duplicate of B
    with pytest.raises(ApplicationError) as refused:
        case_transition(case=third, actor=supervisor, action=Action.MARK_DUPLICATE, duplicate_of=second)

    # Then it is refused, pointing at A, and C is unchanged
    assert refused.value.code == "original_invalid"
    assert first.number in refused.value.message
    assert _snapshot(third) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "action"),
    [
        (Role.AGENT, Action.REJECT),
        (Role.SPECIALIST, Action.MARK_DUPLICATE),
        (Role.ANALYST, Action.ACCEPT),
        (Role.AUDITOR, Action.REQUEST_INFORMATION),
        (Role.QA_REVIEWER, Action.ACCEPT),
    ],
)
def test_a_role_without_the_capability_is_refused_and_nothing_happens(role: str, action: Action) -> None:
    # Given a pending case and a user whose role lacks the action's capability
    actor = UserFactory(role=role)
    original = register_case()
    case = register_case()
    before = _snapshot(case)

    # When they try it
    with pytest.raises(PermissionDenied):
        case_transition(
            case=case, actor=actor, action=action, reason_code="spam", reason="试图操作", duplicate_of=original
        )

    # Then the case, its timeline and the would-be original are untouched
    assert _snapshot(case) == before
    assert Case.objects.get(pk=original.pk).duplicates.count() == 0


@pytest.mark.django_db
def test_an_inactive_supervisor_is_refused(supervisor: User) -> None:
    supervisor.is_active = False
    supervisor.save(update_fields=["is_active"])
    case = register_case()
    before = _snapshot(case)

    with pytest.raises(PermissionDenied):
        case_transition(case=case, actor=supervisor, action=Action.ACCEPT)

    assert _snapshot(case) == before


@pytest.mark.django_db
def test_resolve_and_close_stamp_their_times_and_reopen_clears_them(supervisor: User) -> None:
    case = _bring_to(register_case(), S.IN_PROGRESS, register_case())

    with time_machine.travel(dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC), tick=False):
        case = case_transition(case=case, actor=supervisor, action=Action.RESOLVE, reason="已更换排水管")
    with time_machine.travel(dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC), tick=False):
        case = case_transition(case=case, actor=supervisor, action=Action.CLOSE)
    case.refresh_from_db()
    assert case.resolved_at == dt.datetime(2026, 11, 24, 3, 0, tzinfo=dt.UTC)
    assert case.closed_at == dt.datetime(2026, 11, 25, 3, 0, tzinfo=dt.UTC)

    case_transition(case=case, actor=supervisor, action=Action.REOPEN, reason="问题复发")

    case.refresh_from_db()
    assert (case.status, case.resolved_at, case.closed_at) == (S.REOPENED, None, None)


# --- Corrections and assignment ---------------------------------------------------------------


@pytest.mark.django_db
@time_machine.travel(MONDAY_10_00, tick=False)
def test_field_corrections_record_each_field_before_and_after(agent: User) -> None:
    # Given a medium-priority case
    case = register_case(subject="洗衣机噪音", received_at=MONDAY_10_00 - dt.timedelta(minutes=10))
    old_due = Case.objects.get(pk=case.pk).resolution_due_at

    # When the agent corrects the subject and raises the priority
    updated = case_update_fields(
        case=case, actor=agent, changes={"subject": "洗衣机漏水", "priority": Priority.HIGH}, reason="客户补充说明"
    )

    # Then both are stored, the resolution deadline follows the priority (3 working days)
    stored = Case.objects.get(pk=case.pk)
    assert (stored.subject, stored.priority) == ("洗衣机漏水", Priority.HIGH)
    assert stored.resolution_due_at == dt.datetime(2026, 11, 30, 9, 50, tzinfo=SHANGHAI)
    assert updated.resolution_due_at == stored.resolution_due_at
    # and one internal event holds each before/after
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.kind, event.actor, event.reason, event.is_internal) == (
        EventKind.FIELDS_CHANGED,
        agent,
        "客户补充说明",
        True,
    )
    due_before, due_after = event.changes.pop("resolution_due_at")
    assert (dt.datetime.fromisoformat(due_before), dt.datetime.fromisoformat(due_after)) == (
        old_due,
        stored.resolution_due_at,
    )
    assert event.changes == {"subject": ["洗衣机噪音", "洗衣机漏水"], "priority": ["medium", "high"]}
    # and the search document follows the subject
    assert "漏水" in CaseSearchDocument.objects.get(case=case).grams.split()


@pytest.mark.django_db
def test_a_correction_that_changes_nothing_writes_no_event(agent: User) -> None:
    case = register_case(subject="洗衣机噪音")
    before = _snapshot(case)

    case_update_fields(case=case, actor=agent, changes={"subject": "洗衣机噪音"})

    assert _snapshot(case) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"content": "改写客户原话"}, "field_not_editable"),
        ({"status": "closed"}, "field_not_editable"),
        ({"priority": "urgent"}, "invalid"),
        ({"subject": "  "}, "required"),
    ],
)
def test_corrections_to_protected_fields_or_with_bad_values_are_refused(
    agent: User, changes: dict[str, Any], code: str
) -> None:
    case = register_case()
    before = _snapshot(case)

    with pytest.raises(ApplicationError) as refused:
        case_update_fields(case=case, actor=agent, changes=changes)

    assert refused.value.code == code
    assert _snapshot(case) == before


@pytest.mark.django_db
def test_a_role_that_may_not_edit_cannot_correct_fields() -> None:
    case = register_case()
    before = _snapshot(case)

    with pytest.raises(PermissionDenied):
        case_update_fields(case=case, actor=UserFactory(role=Role.QA_REVIEWER), changes={"subject": "改"})

    assert _snapshot(case) == before


@pytest.mark.django_db
def test_assigning_to_a_department_member_records_the_change(
    supervisor: User, specialist: User, department: Department
) -> None:
    case = register_case()

    case_assign(case=case, actor=supervisor, department=department, owner=specialist, reason="按产品线分派")

    stored = Case.objects.get(pk=case.pk)
    assert (stored.department, stored.owner) == (department, specialist)
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.kind, event.actor, event.reason) == (EventKind.ASSIGNED, supervisor, "按产品线分派")
    assert event.changes == {"department": ["", "客服部"], "owner": ["", "赵专员"]}


@pytest.mark.django_db
def test_assigning_an_owner_outside_the_department_is_refused(
    supervisor: User, specialist: User, other_department: Department
) -> None:
    case = register_case()
    before = _snapshot(case)

    with pytest.raises(ApplicationError) as refused:
        case_assign(case=case, actor=supervisor, department=other_department, owner=specialist)

    assert (refused.value.code, refused.value.field) == ("owner_not_in_department", "owner")
    assert _snapshot(case) == before


@pytest.mark.django_db
def test_an_agent_may_take_a_case_but_not_give_it_to_someone_else(agent: User, specialist: User) -> None:
    case = register_case()
    before = _snapshot(case)

    with pytest.raises(PermissionDenied):
        case_assign(case=case, actor=agent, department=None, owner=specialist)
    assert _snapshot(case) == before

    case_assign(case=case, actor=agent, department=None, owner=agent)
    assert Case.objects.get(pk=case.pk).owner == agent


@pytest.mark.django_db
def test_assigning_to_the_current_assignee_writes_no_event(
    supervisor: User, specialist: User, department: Department
) -> None:
    case = case_assign(case=register_case(), actor=supervisor, department=department, owner=specialist)
    before = _snapshot(case)

    case_assign(case=case, actor=supervisor, department=department, owner=specialist)

    assert _snapshot(case) == before


# --- Notes and messages -----------------------------------------------------------------------


@pytest.mark.django_db
def test_notes_are_internal_while_status_events_are_public(supervisor: User) -> None:
    case = register_case()

    note = case_add_note(case=case, actor=supervisor, text="  客户为老年人，需耐心沟通  ")
    case_transition(case=case, actor=supervisor, action=Action.ACCEPT)

    assert (note.kind, note.reason, note.actor, note.is_internal) == (
        EventKind.NOTE,
        "客户为老年人，需耐心沟通",
        supervisor,
        True,
    )
    status_event = CaseEvent.objects.get(case=case, kind=EventKind.STATUS_CHANGED)
    assert status_event.is_internal is False


@pytest.mark.django_db
def test_an_empty_note_or_a_role_without_notes_writes_nothing(supervisor: User) -> None:
    case = register_case()
    before = _snapshot(case)

    with pytest.raises(ApplicationError) as refused:
        case_add_note(case=case, actor=supervisor, text="   ")
    assert refused.value.field == "text"
    with pytest.raises(PermissionDenied):
        case_add_note(case=case, actor=UserFactory(role=Role.ANALYST), text="分析师备注")

    assert _snapshot(case) == before


@pytest.mark.django_db
def test_the_first_outbound_message_sets_the_first_response_time_once(agent: User) -> None:
    case = register_case()
    first_at = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)

    case_add_message(
        case=case, direction="outbound", channel="sms", body="您好，已收到反馈。", author=agent, sent_at=first_at
    )
    case_add_message(
        case=case,
        direction="outbound",
        channel="sms",
        body="工程师明天上门。",
        author=agent,
        sent_at=first_at + dt.timedelta(hours=2),
    )

    assert Case.objects.get(pk=case.pk).first_responded_at == first_at
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", "is_internal").order_by("id"))
    assert kinds == [(EventKind.CREATED, False), (EventKind.MESSAGE_OUT, False), (EventKind.MESSAGE_OUT, False)]


# --- Attachments ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_accepted_png_is_stored_through_the_storage_api(agent: User, media_root: Path) -> None:
    case = register_case()

    attachment = case_add_attachment(case=case, actor=agent, upload=_upload("漏水照片.PNG", PNG, "排水口"))

    digest = hashlib.sha256(PNG).hexdigest()
    stored = CaseAttachment.objects.get(pk=attachment.pk)
    assert (stored.original_name, stored.content_type, stored.size, stored.sha256, stored.description) == (
        "漏水照片.PNG",
        "image/png",
        len(PNG),
        digest,
        "排水口",
    )
    assert stored.file.name == f"cases/{case.number}/{digest[:16]}-file.png"
    assert default_storage.exists(stored.file.name)
    with default_storage.open(stored.file.name, "rb") as handle:
        assert handle.read() == PNG
    assert (media_root / stored.file.name).is_file()
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.kind, event.actor, event.changes) == (
        EventKind.ATTACHMENT_ADDED,
        agent,
        {"attachment": [None, "漏水照片.PNG"]},
    )


@pytest.mark.django_db
def test_attachments_given_at_registration_are_stored_with_the_case(media_root: Path) -> None:
    case = register_case(attachments=[_upload("invoice.png", PNG)])

    assert case.attachments.count() == 1
    assert default_storage.exists(case.attachments.get().file.name)


def _refusal_cases() -> list[Any]:
    return [
        pytest.param("photo.jpg", EXE, "attachment_content_mismatch", id="exe-renamed-jpg"),
        pytest.param("setup.exe", EXE, "attachment_type_forbidden", id="forbidden-extension"),
        pytest.param("script.js", b"alert(1)", "attachment_type_forbidden", id="script"),
        pytest.param("noextension", PNG, "attachment_type_forbidden", id="no-extension"),
        pytest.param("empty.png", b"", "attachment_empty", id="empty"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "data", "code"), _refusal_cases())
def test_a_refused_attachment_stores_no_file_row_or_event(
    agent: User, media_root: Path, name: str, data: bytes, code: str
) -> None:
    case = register_case()
    before = _snapshot(case)

    with pytest.raises(ApplicationError) as refused:
        case_add_attachment(case=case, actor=agent, upload=_upload(name, data))

    assert (refused.value.code, refused.value.field) == (code, "attachments")
    assert not CaseAttachment.objects.exists()
    assert list(media_root.rglob("*")) == []
    assert _snapshot(case) == before


@pytest.mark.django_db
def test_an_attachment_over_the_size_limit_is_refused(agent: User, media_root: Path, settings: Settings) -> None:
    settings.CASELOOP = {**settings.CASELOOP, "ATTACHMENT_MAX_BYTES": 1024}
    case = register_case()
    big = PNG + b"\x00" * 1024

    with pytest.raises(ApplicationError) as refused:
        case_add_attachment(case=case, actor=agent, upload=_upload("big.png", big))

    assert refused.value.code == "attachment_too_large"
    assert not CaseAttachment.objects.exists()
    assert list(media_root.rglob("*")) == []


@pytest.mark.django_db
def test_a_case_holds_at_most_the_configured_number_of_attachments(agent: User, settings: Settings) -> None:
    settings.CASELOOP = {**settings.CASELOOP, "ATTACHMENTS_PER_CASE": 2}
    case = register_case()
    for index in range(2):
        case_add_attachment(case=case, actor=agent, upload=_upload(f"p{index}.png", PNG))

    with pytest.raises(ApplicationError) as refused:
        case_add_attachment(case=case, actor=agent, upload=_upload("p3.png", PNG))

    assert refused.value.code == "too_many_attachments"
    assert case.attachments.count() == 2


# --- The timeline is append-only -------------------------------------------------------------


@pytest.mark.django_db
def test_queryset_update_of_timeline_events_is_refused() -> None:
    case = register_case()

    with pytest.raises(TypeError, match="append-only"):
        CaseEvent.objects.filter(case=case).update(reason="改写历史")

    assert CaseEvent.objects.get(case=case).reason == ""


@pytest.mark.django_db
def test_saving_an_existing_timeline_event_is_refused() -> None:
    event = CaseEvent.objects.get(case=register_case())
    event.reason = "改写历史"

    with pytest.raises(TypeError, match="append-only"):
        event.save()

    assert CaseEvent.objects.get(pk=event.pk).reason == ""


@pytest.mark.django_db
def test_the_database_refuses_a_raw_sql_update_of_the_timeline() -> None:
    event = CaseEvent.objects.get(case=register_case())

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE cases_caseevent SET reason = %s WHERE id = %s", ["改写历史", event.pk])

    assert CaseEvent.objects.get(pk=event.pk).reason == ""


@pytest.mark.django_db
def test_new_events_can_still_be_appended_after_a_refused_update(supervisor: User) -> None:
    case = register_case()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE cases_caseevent SET reason = 'x' WHERE case_id = %s", [case.pk])

    case_add_note(case=case, actor=supervisor, text="补充备注")

    assert CaseEvent.objects.filter(case=case).count() == 2


def test_registration_factory_builds_without_a_database() -> None:
    # The factory only builds the value object; registering is always the service's job.
    registration = CaseRegistrationFactory.build(subject="外观划痕")
    assert registration.subject == "外观划痕"
    assert registration.received_at.tzinfo is not None
