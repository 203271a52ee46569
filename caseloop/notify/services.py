"""The outbox: queue in the caller's transaction, deliver after commit, retry with back-off."""

from __future__ import annotations

import datetime as dt
import logging
from contextlib import ExitStack, suppress
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction

from caseloop.cases.choices import MessageDirection
from caseloop.cases.models import Case
from caseloop.cases.services import case_add_message
from caseloop.core import clock
from caseloop.core.bulk_insert import insert_new
from caseloop.notify.models import OutboxMessage, OutboxStatus
from caseloop.notify.transports import TransportError, transport_for

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A claim older than this belongs to a sender that died mid-send; the row is taken again.
CLAIM_LEASE = dt.timedelta(minutes=5)


def _backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, … minutes, capped at 2 hours."""
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), 120))


def outbox_enqueue(
    *, dedupe_key: str, transport: str, recipient: str, body: str, subject: str = "", sender: str = "",
    case: Case | None = None, headers: dict[str, str] | None = None, is_automatic: bool = True,
    is_first: bool = False,
) -> tuple[OutboxMessage, bool]:
    """Queue a message inside the current transaction; the same `dedupe_key` is queued only once.

    `is_first=True` says the key cannot exist yet (e.g. the acknowledgement of a case registered in
    this transaction): a plain insert, skipping the lookup. After commit the drain task is
    enqueued, so the message leaves as soon as a worker is free.
    """
    fields = {"transport": transport, "recipient": recipient, "body": body, "subject": subject, "sender": sender,
              "case": case, "headers": headers or {}, "is_automatic": is_automatic, "next_attempt_at": clock.now()}
    if is_first:
        message, created = insert_new(OutboxMessage(dedupe_key=dedupe_key, **fields)), True
    else:
        message, created = OutboxMessage.objects.get_or_create(dedupe_key=dedupe_key, defaults=fields)
    if created:
        transaction.on_commit(outbox_wake)
    return message, created


# Messages queued close together need one drain, not one each. A flag in the shared cache says "a
# drain is queued and has not started": the drain clears it before it looks for messages, so a
# message committed after that raises it again and queues the next drain. A lost task (or a
# process whose cache is its own) delays sending by the flag's lifetime at most, and the
# scheduler's periodic drain runs regardless.
_DRAIN_QUEUED = "caseloop:outbox:drain-queued"
DRAIN_QUEUED_SECONDS = 30


def outbox_wake() -> None:
    """Have a drain run soon (call after commit)."""
    from caseloop.notify.tasks import drain_outbox

    if cache.add(_DRAIN_QUEUED, 1, timeout=DRAIN_QUEUED_SECONDS):
        drain_outbox.enqueue()


@dataclass(frozen=True)
class DrainResult:
    sent: int
    retried: int
    failed: int


# Messages are claimed a batch at a time: one statement claims the batch, instead of a lookup and a
# claim per message. A sender that dies holds its batch until the lease runs out, so keep it small.
CLAIM_BATCH = 20


def outbox_drain(*, limit: int = 100) -> DrainResult:
    """Send what is due, a claimed batch at a time; safe to run in several workers at once."""
    cache.delete(_DRAIN_QUEUED)
    sent = retried = failed = handled = 0
    with ExitStack() as sessions:
        opened: set[str] = set()
        while handled < limit:
            batch = _claim_batch(min(CLAIM_BATCH, limit - handled))
            if not batch:
                break
            for message in batch:
                if message.transport not in opened:  # one connection per transport for the whole drain
                    with suppress(TransportError):  # an unknown transport fails in _deliver, on the message
                        sessions.enter_context(transport_for(message.transport).session())
                    opened.add(message.transport)
                outcome = _deliver(message)
                sent += outcome == "sent"
                retried += outcome == "retry"
                failed += outcome == "failed"
            handled += len(batch)
        else:  # stopped at the limit with more perhaps due: the next drain carries on
            outbox_wake()
    return DrainResult(sent=sent, retried=retried, failed=failed)


def _claim_batch(size: int) -> list[OutboxMessage]:
    """Claim up to `size` due messages, oldest first, and mark them as being sent.

    Rows another drain holds are skipped (PostgreSQL, MariaDB: FOR UPDATE SKIP LOCKED); SQLite's
    IMMEDIATE transactions let one drain claim at a time. The due query reads the (status,
    next_attempt_at) index; while the planner's statistics predate a burst, PostgreSQL sorts all
    due rows to find the oldest, and a batch spreads that cost over its messages.
    """
    now = clock.now()
    unclaimed = OutboxMessage.objects.select_for_update(skip_locked=True)
    with transaction.atomic():
        # First the claims older than the lease (their sender died mid-send; they have waited longest),
        # so a steady backlog cannot keep them waiting.
        ids = list(unclaimed.filter(status=OutboxStatus.SENDING, claimed_at__lt=now - CLAIM_LEASE)
                   .order_by("claimed_at", "id").values_list("pk", flat=True)[:size])
        if len(ids) < size:
            ids += unclaimed.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now).order_by(
                "next_attempt_at", "id").values_list("pk", flat=True)[:size - len(ids)]
        if not ids:
            return []
        OutboxMessage.objects.filter(pk__in=ids).update(status=OutboxStatus.SENDING, claimed_at=now)
    return list(OutboxMessage.objects.select_related("case").filter(pk__in=ids).order_by("next_attempt_at", "id"))


def _deliver(message: OutboxMessage) -> str:
    now = clock.now()
    attempts = message.attempts + 1
    try:
        transport_for(message.transport).send(message)
    except TransportError as exc:
        status = OutboxStatus.FAILED if attempts >= MAX_ATTEMPTS else OutboxStatus.PENDING
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=status, attempts=attempts, last_error=str(exc)[:2000], claimed_at=None,
            next_attempt_at=now + _backoff(attempts))
        logger.warning("outbox message %s: attempt %s failed: %s", message.pk, attempts, exc)
        return "failed" if status == OutboxStatus.FAILED else "retry"
    with transaction.atomic():
        OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.SENT, attempts=attempts, sent_at=now,
                                                           claimed_at=None, last_error="")
        if message.case is not None:
            case_add_message(case=message.case, direction=MessageDirection.OUTBOUND, channel=message.case.channel,
                             body=message.body, external_id=message.dedupe_key, sent_at=now,
                             counts_as_response=not message.is_automatic)
    return "sent"
