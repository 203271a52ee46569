"""The one intake service: registration, identity linking, tracking codes, raw store, quarantine."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from caseloop.cases.choices import Channel, EventKind, MessageDirection
from caseloop.cases.models import Case, CaseEvent
from caseloop.cases.services import case_transition
from caseloop.core import clock
from caseloop.customers.services import CustomerDetails
from caseloop.intake import channels
from caseloop.intake.models import CaseTracking, InboundMessage, InboundOutcome, InboundStatus
from caseloop.intake.services import (
    intake_process,
    intake_receive,
    intake_register,
    intake_requeue,
    tracking_code_matches,
)
from caseloop.notify.models import OutboxMessage
from tests.factories import CaseRegistrationFactory

pytestmark = pytest.mark.django_db

ZHANG = CustomerDetails(name="张三", phone="13800138000", email="zhang@example.cn")


def _register(**fields: object):  # type: ignore[no-untyped-def]
    return intake_register(registration=CaseRegistrationFactory.build(**fields))


def test_a_new_case_gets_a_tracking_code_that_only_matches_itself() -> None:
    first = _register(customer=ZHANG)
    second = _register(subject="快递没送到", content="快递三天没送到", customer=CustomerDetails(name="李四"))

    assert first.created
    assert len(first.tracking_code) == 8
    assert tracking_code_matches(first.case, first.tracking_code)
    assert tracking_code_matches(first.case, f" {first.tracking_code.lower()} ")
    assert not tracking_code_matches(first.case, second.tracking_code)
    # Only a hash is stored.
    assert first.tracking_code not in CaseTracking.objects.get(case=first.case).code_hash


def test_the_triage_task_is_written_in_the_registering_transaction_and_rolls_back_with_it() -> None:
    class Abandoned(Exception):
        pass

    def triage_tasks_of(case_id: int) -> int:
        return DBTaskResult.objects.filter(task_path="caseloop.triage.tasks.triage_new_case",
                                           args_kwargs__args=[case_id]).count()

    seen_inside: list[int] = []

    def register_then_abandon() -> Case:
        with transaction.atomic():
            case = _register(customer=ZHANG).case
            # Before any commit: the task row is part of this transaction, not left for after it.
            seen_inside.append(triage_tasks_of(case.pk))
            abandoned.append(case)
            raise Abandoned

    abandoned: list[Case] = []
    with pytest.raises(Abandoned):
        register_then_abandon()
    assert seen_inside == [1]
    [abandoned_case] = abandoned

    assert not Case.objects.filter(pk=abandoned_case.pk).exists()
    assert triage_tasks_of(abandoned_case.pk) == 0
    kept = _register(customer=ZHANG).case
    assert triage_tasks_of(kept.pk) == 1


def test_acknowledgement_with_number_and_tracking_code_is_queued_for_a_customer_with_email() -> None:
    result = _register(customer=ZHANG)

    message = OutboxMessage.objects.get()
    assert message.dedupe_key == f"ack:{result.case.number}"
    assert message.recipient == "zhang@example.cn"
    assert result.case.number in message.subject
    assert result.tracking_code in message.body
    assert message.is_automatic


def test_no_acknowledgement_is_queued_without_an_email_address() -> None:
    _register(customer=CustomerDetails(name="王五", phone="13911112222"))

    assert not OutboxMessage.objects.exists()


def test_same_customer_same_problem_on_another_channel_is_linked_to_the_first_case() -> None:
    first = _register(channel=Channel.WEB, subject="洗衣机漏水", content="洗衣机漏水严重，地板都湿了", customer=ZHANG)

    again = _register(channel=Channel.WECHAT, subject="洗衣機還在漏水", content="洗衣機漏水嚴重，地板都濕了！",
                      customer=CustomerDetails(phone="+86 138 0013 8000"))

    assert again.created
    assert again.linked_to == first.case
    assert again.case.status == "duplicate"
    assert again.case.duplicate_of == first.case
    # The original hears about it: the new words are on its timeline.
    inbound = first.case.messages.get()
    assert inbound.direction == MessageDirection.INBOUND
    assert again.case.number in inbound.body
    assert CaseEvent.objects.filter(case=first.case, kind=EventKind.MESSAGE_IN).count() == 1


def test_a_different_problem_of_the_same_customer_is_a_case_of_its_own() -> None:
    _register(subject="洗衣机漏水", content="洗衣机漏水严重，地板都湿了", customer=ZHANG)

    other = _register(subject="快递破损", content="收到的冰箱外包装破损，侧面有凹痕", customer=ZHANG)

    assert other.linked_to is None
    assert other.case.status == "pending"


def test_the_same_problem_after_the_link_window_is_a_new_case(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CASELOOP = {**settings.CASELOOP, "INTAKE_LINK_WINDOW_HOURS": 24}
    _register(subject="洗衣机漏水", content="洗衣机漏水严重，地板都湿了", customer=ZHANG,
              received_at=clock.now() - dt.timedelta(hours=30))

    later = _register(subject="洗衣机漏水", content="洗衣机漏水严重，地板都湿了", customer=ZHANG)

    assert later.linked_to is None


def test_a_closed_case_is_not_linked_to(supervisor) -> None:  # type: ignore[no-untyped-def]
    first = _register(subject="洗衣机漏水", content="洗衣机漏水严重，地板都湿了", customer=ZHANG)
    case = first.case
    for action, reason in [("accept", ""), ("start", ""), ("resolve", "已更换水管"), ("close", "")]:
        case = case_transition(case=case, actor=supervisor, action=action, reason=reason)

    again = _register(subject="洗衣机漏水", content="洗衣机漏水严重，地板都湿了", customer=ZHANG)

    assert again.linked_to is None


def test_anonymous_customers_are_never_linked() -> None:
    anonymous = CustomerDetails(is_anonymous=True)
    _register(subject="洗衣机漏水", content="洗衣机漏水严重", customer=anonymous)

    again = _register(subject="洗衣机漏水", content="洗衣机漏水严重", customer=anonymous)

    assert again.linked_to is None


def test_an_external_id_replay_returns_the_first_case_and_queues_nothing_new() -> None:
    first = _register(channel=Channel.API, external_id="app-1", customer=ZHANG)

    replay = _register(channel=Channel.API, external_id="app-1", customer=ZHANG)

    assert not replay.created
    assert replay.case == first.case
    assert replay.tracking_code == ""
    assert Case.objects.count() == 1
    assert OutboxMessage.objects.count() == 1


# --- Raw messages: stored first, processed once, quarantined when not understood ---------------


@pytest.fixture
def test_channel_parser():  # type: ignore[no-untyped-def]
    """A parser for the SMS channel that reads 'subject|content|phone', or fails on 'boom'."""
    saved = channels.PARSERS.get(Channel.SMS)

    def parse(message: InboundMessage) -> channels.Decision:
        text = bytes(message.payload).decode()
        if text == "boom":
            raise channels.UnprocessableMessage("cannot read this")
        if text == "crash":
            raise RuntimeError("parser bug")
        if text == "ignore":
            return channels.Ignore("auto-reply")
        subject, content, phone = text.split("|")
        return channels.NewCase(CaseRegistrationFactory.build(channel=Channel.SMS, subject=subject, content=content,
                                                              customer=CustomerDetails(phone=phone)))

    channels.PARSERS[Channel.SMS] = parse
    yield parse
    if saved is None:
        channels.PARSERS.pop(Channel.SMS, None)
    else:
        channels.PARSERS[Channel.SMS] = saved


def test_redelivery_of_the_same_external_id_stores_the_message_once() -> None:
    first, created = intake_receive(channel=Channel.SMS, source="gw", external_id="m-1", payload=b"a|b|1")
    again, created_again = intake_receive(channel=Channel.SMS, source="gw", external_id="m-1", payload=b"a|b|1")

    assert created
    assert not created_again
    assert first.pk == again.pk
    assert InboundMessage.objects.count() == 1


def test_processing_creates_the_case_once_even_when_called_twice(test_channel_parser) -> None:  # type: ignore[no-untyped-def]
    message, _ = intake_receive(channel=Channel.SMS, source="gw", external_id="m-2",
                                payload="空调不制冷|空调开了一小时还是不制冷|13700001111".encode())

    first = intake_process(message.pk)
    second = intake_process(message.pk)

    assert first.status == InboundStatus.PROCESSED
    assert first.outcome == InboundOutcome.CREATED
    assert second.case_number == first.case_number
    assert Case.objects.count() == 1


@pytest.mark.parametrize(("payload", "reason"), [(b"boom", "cannot read this"), (b"crash", "RuntimeError: parser bug")])
def test_a_message_that_fails_is_quarantined_whole_with_the_reason(test_channel_parser, payload, reason) -> None:  # type: ignore[no-untyped-def]
    message, _ = intake_receive(channel=Channel.SMS, source="gw", external_id="bad", payload=payload)

    result = intake_process(message.pk)

    message.refresh_from_db()
    assert result.status == message.status == InboundStatus.QUARANTINED
    assert message.reason == reason
    assert bytes(message.payload) == payload
    assert not Case.objects.exists()


def test_one_bad_message_does_not_stop_the_next(test_channel_parser) -> None:  # type: ignore[no-untyped-def]
    bad, _ = intake_receive(channel=Channel.SMS, source="gw", external_id="1", payload=b"crash")
    good, _ = intake_receive(channel=Channel.SMS, source="gw", external_id="2", payload="屏幕碎了|手机屏幕碎了|13700002222".encode())

    results = [intake_process(bad.pk), intake_process(good.pk)]

    assert [r.status for r in results] == [InboundStatus.QUARANTINED, InboundStatus.PROCESSED]


def test_a_quarantined_message_can_be_processed_again_once_fixed(test_channel_parser) -> None:  # type: ignore[no-untyped-def]
    message, _ = intake_receive(channel=Channel.SMS, source="gw", external_id="fix", payload=b"boom")
    intake_process(message.pk)
    InboundMessage.objects.filter(pk=message.pk).update(payload="门锁坏了|智能门锁打不开|13700003333".encode())

    result = intake_requeue(message.pk)

    assert result.status == InboundStatus.PROCESSED
    assert Case.objects.get().subject == "门锁坏了"


def test_an_ignored_message_creates_nothing_and_says_why(test_channel_parser) -> None:  # type: ignore[no-untyped-def]
    message, _ = intake_receive(channel=Channel.SMS, source="gw", external_id="auto", payload=b"ignore")

    result = intake_process(message.pk)

    assert (result.status, result.reason) == (InboundStatus.IGNORED, "auto-reply")
    assert not Case.objects.exists()


def test_a_reply_goes_onto_the_existing_case_and_ends_the_wait_for_information(test_channel_parser, supervisor) -> None:  # type: ignore[no-untyped-def]
    case = _register(customer=ZHANG).case
    case = case_transition(case=case, actor=supervisor, action="request_information", reason="请提供购买凭证")

    def reply(message: InboundMessage) -> channels.Decision:
        return channels.Reply(case_number=case.number, body="凭证已拍照发送")

    channels.PARSERS[Channel.SMS] = reply
    message, _ = intake_receive(channel=Channel.SMS, source="gw", external_id="r-1", payload=b"x")

    result = intake_process(message.pk)

    case.refresh_from_db()
    assert result.outcome == InboundOutcome.APPENDED
    assert case.messages.get().body == "凭证已拍照发送"
    assert case.status == "pending"


def test_the_sweep_processes_messages_whose_task_was_lost_and_leaves_fresh_ones(test_channel_parser) -> None:  # type: ignore[no-untyped-def]
    from caseloop.intake.services import intake_process_waiting

    old, _ = intake_receive(channel=Channel.SMS, source="gw", external_id="old",
                            payload="热水器不出热水|热水器点不着火|13700004444".encode(),
                            received_at=clock.now() - dt.timedelta(minutes=5))
    fresh, _ = intake_receive(channel=Channel.SMS, source="gw", external_id="fresh",
                              payload="冰箱异响|冰箱夜里异响|13700005555".encode())

    assert intake_process_waiting() == 1

    old.refresh_from_db()
    fresh.refresh_from_db()
    assert old.status == InboundStatus.PROCESSED
    assert fresh.status == InboundStatus.RECEIVED
