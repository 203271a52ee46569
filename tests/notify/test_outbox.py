"""The outbox against a real SMTP server: sent once, retried when the server is down, never lost."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import Settings

from caseloop.cases.choices import EventKind
from caseloop.notify.models import OutboxMessage, OutboxStatus, Transport
from caseloop.notify.services import CLAIM_BATCH, CLAIM_LEASE, outbox_drain, outbox_enqueue
from tests.concurrency import run_concurrently
from tests.factories import register_case
from tests.notify.conftest import Mailroom

pytestmark = pytest.mark.django_db


def _queue(key: str = "ack:1", **kw: object) -> OutboxMessage:
    fields = {"transport": Transport.EMAIL, "recipient": "zhang@example.cn", "subject": "[CF1] 已收到",
              "body": "您的反馈已收到。", "sender": "service@shop.example.cn", **kw}
    message, _ = outbox_enqueue(dedupe_key=key, **fields)  # type: ignore[arg-type]
    return message


def test_a_queued_message_is_delivered_once_over_smtp(smtp_server: Mailroom) -> None:
    case = register_case()
    message = _queue(case=case)

    first = outbox_drain()
    second = outbox_drain()

    assert (first.sent, second.sent) == (1, 0)
    assert smtp_server.envelopes == [("service@shop.example.cn", ["zhang@example.cn"])]
    received = smtp_server.messages[0]
    assert received["To"] == "zhang@example.cn"
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert message.attempts == 1
    # It is on the case's timeline, and an automatic acknowledgement is not the first response.
    assert case.events.filter(kind=EventKind.MESSAGE_OUT).count() == 1
    case.refresh_from_db()
    assert case.first_responded_at is None


def test_a_handlers_message_counts_as_the_first_response(smtp_server: Mailroom) -> None:
    case = register_case()
    _queue(case=case, is_automatic=False)

    outbox_drain()

    case.refresh_from_db()
    assert case.first_responded_at is not None


def test_the_same_notification_is_queued_only_once() -> None:
    _queue("ack:CF1")
    _queue("ack:CF1", body="另一条")

    assert OutboxMessage.objects.count() == 1


def test_when_the_server_is_down_the_message_waits_and_goes_out_when_it_is_back(
    settings: Settings, smtp_port: int
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_port  # nothing listens yet
    message = _queue()

    down = outbox_drain()

    message.refresh_from_db()
    assert down.retried == 1
    assert message.status == OutboxStatus.PENDING
    assert message.attempts == 1
    assert message.last_error
    assert outbox_drain().sent == 0  # not due again before its back-off

    mailroom = Mailroom()
    controller = Controller(mailroom, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        with time_machine.travel(message.next_attempt_at + dt.timedelta(seconds=1), tick=False):
            assert outbox_drain().sent == 1
    finally:
        controller.stop()
    assert len(mailroom.messages) == 1


def test_a_claim_left_by_a_crashed_sender_is_taken_again_after_the_lease(smtp_server: Mailroom) -> None:
    message = _queue()
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.SENDING,
                                                       claimed_at=message.next_attempt_at)

    assert outbox_drain().sent == 0
    with time_machine.travel(message.next_attempt_at + CLAIM_LEASE + dt.timedelta(seconds=1), tick=False):
        assert outbox_drain().sent == 1
    assert len(smtp_server.messages) == 1


def test_a_claim_past_its_lease_goes_before_a_backlog_of_new_messages(smtp_server: Mailroom) -> None:
    stranded = _queue("stranded", recipient="first@example.cn")
    OutboxMessage.objects.filter(pk=stranded.pk).update(status=OutboxStatus.SENDING,
                                                        claimed_at=stranded.next_attempt_at)
    later = stranded.next_attempt_at + CLAIM_LEASE + dt.timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        for n in range(2 * CLAIM_BATCH):
            _queue(f"k{n}", recipient=f"c{n}@example.cn")

        assert outbox_drain(limit=1).sent == 1

    assert smtp_server.envelopes[0][1] == ["first@example.cn"]


@pytest.mark.django_db(transaction=True)
def test_drains_running_at_once_send_each_message_exactly_once(smtp_server: Mailroom) -> None:
    count = 3 * CLAIM_BATCH + 7  # several batches, so the drains claim side by side
    for n in range(count):
        _queue(f"k{n}", recipient=f"c{n}@example.cn")
    totals = run_concurrently(lambda _index: outbox_drain().sent, threads=4)

    assert sum(totals) == count
    assert sorted(rcpt[0] for _, rcpt in smtp_server.envelopes) == sorted(f"c{n}@example.cn" for n in range(count))
    assert OutboxMessage.objects.filter(status=OutboxStatus.SENT).count() == count


def test_a_drain_claims_a_batch_per_statement_and_stops_at_its_limit(
    smtp_server: Mailroom,
) -> None:
    for n in range(2 * CLAIM_BATCH + 5):
        _queue(f"k{n}", recipient=f"c{n}@example.cn")
    with CaptureQueriesContext(connection) as queries:
        assert outbox_drain(limit=CLAIM_BATCH + 3).sent == CLAIM_BATCH + 3

    claims = [q["sql"] for q in queries.captured_queries if "'sending'" in q["sql"] and q["sql"].startswith("UPDATE")]
    assert len(claims) == 2  # a full batch, then the 3 the limit leaves room for
    assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count() == CLAIM_BATCH + 2
    assert outbox_drain().sent == CLAIM_BATCH + 2


@pytest.fixture
def queued_tasks(settings: Settings) -> list[str]:
    """The task paths enqueued during the test (the dummy task backend keeps them in memory)."""
    from django_tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    default_task_backend.results.clear()  # type: ignore[attr-defined]
    return default_task_backend.results  # type: ignore[attr-defined,no-any-return]


@pytest.mark.parametrize("cache_kind", ["local-memory", "redis"])
def test_messages_queued_together_wake_one_drain_and_a_started_drain_lets_the_next_one_wake(
    queued_tasks: list[object], django_capture_on_commit_callbacks: object, request: pytest.FixtureRequest,
    cache_kind: str,
) -> None:
    if cache_kind == "redis":
        request.getfixturevalue("redis_cache")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        for n in range(5):
            _queue(key=f"ack:{n}")
    assert len(queued_tasks) == 1  # five messages, one drain

    outbox_drain()  # a drain starting clears the flag ...
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        _queue(key="ack:late")
    assert len(queued_tasks) == 2  # ... so a message committed after it wakes another


def test_one_drain_sends_its_messages_over_one_smtp_connection(smtp_server: Mailroom) -> None:
    for n in range(5):
        _queue(key=f"ack:{n}", recipient=f"c{n}@example.cn")

    assert outbox_drain().sent == 5

    assert len(smtp_server.messages) == 5
    assert smtp_server.greetings == 1


def test_acknowledgements_are_taken_from_the_queue_before_triage() -> None:
    from django_tasks_db.models import DBTaskResult

    from caseloop.notify.tasks import drain_outbox
    from caseloop.triage.tasks import triage_new_case

    triage_new_case.enqueue(1)
    drain_outbox.enqueue()

    assert DBTaskResult.objects.ready().first().task_path == "caseloop.notify.tasks.drain_outbox"  # type: ignore[union-attr]
