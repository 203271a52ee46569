"""The one intake service every channel goes through (R1): register, link, acknowledge.

- `intake_register` turns a CaseRegistration into a case: the same customer raising the same
  problem again within the link window is linked to the first case instead of being handled
  twice (R1.5); a tracking code is issued and the acknowledgement queued (R1.2).
- `intake_receive` stores a channel's raw message first (nothing lost after a 2xx), and
  `intake_process` applies the channel's parser to it, quarantining what cannot be understood.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import make_msgid, parseaddr

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from caseloop.accounts.models import User
from caseloop.cases import workflow
from caseloop.cases.choices import FINISHED_STATUSES, CaseStatus, Channel, MessageDirection
from caseloop.cases.models import Case, CaseMessage
from caseloop.cases.services import (
    CaseRegistration,
    UploadedAttachment,
    case_add_attachment,
    case_add_message,
    case_register,
    case_transition,
)
from caseloop.core import clock
from caseloop.core.bulk_insert import insert_new
from caseloop.core.errors import ApplicationError
from caseloop.core.tasks import enqueue_on_commit
from caseloop.intake import channels
from caseloop.intake.linking import jaccard, shingles
from caseloop.intake.models import CaseTracking, InboundMessage, InboundOutcome, InboundStatus, Mailbox
from caseloop.notify.models import Transport
from caseloop.notify.services import outbox_enqueue
from caseloop.triage.tasks import should_triage, triage_new_case, triage_new_message

logger = logging.getLogger(__name__)

# Tracking codes avoid look-alike characters (0/O, 1/I/L) because customers type them from SMS.
_TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_CODE_LENGTH = 8


@dataclass(frozen=True)
class IntakeResult:
    case: Case
    created: bool
    linked_to: Case | None = None
    tracking_code: str = ""  # only when a case was created now; never stored in clear


def intake_register(
    *, registration: CaseRegistration, registered_by: User | None = None, acknowledge: bool = True,
    reply_from: str = "", in_reply_to: str = "",
) -> IntakeResult:
    """Register feedback from any channel; one transaction, acknowledgement sent after commit.

    `acknowledge=False` is for bulk imports of historical cases: their customers are not mailed.
    `reply_from`: the address the acknowledgement leaves from (an e-mail case: the mailbox the
    customer wrote to); `in_reply_to`: the Message-ID it answers, so mail clients thread it.
    """
    issued: dict[str, str] = {}
    linked: dict[str, Case] = {}

    def before_numbering(case: Case) -> None:
        # Work that needs no case number runs before the day's counter is locked (see case_register):
        # every registration waits for that lock, so only what needs the number runs while it is held.
        issued["code"] = _issue_tracking_code(case)
        original = _earlier_case_of_same_problem(case)
        if original is not None:
            linked["original"] = original
            case_transition(case=case, actor=None, action=workflow.Action.MARK_DUPLICATE, duplicate_of=original,
                            reason=_("The same customer raised the same problem within %(hours)d hours.")
                            % {"hours": settings.CASELOOP["INTAKE_LINK_WINDOW_HOURS"]})
        if should_triage(case):
            enqueue_on_commit(triage_new_case, case.pk)

    with transaction.atomic(savepoint=registration.needs_savepoint):  # see CaseRegistration.needs_savepoint
        result = case_register(registration=registration, registered_by=registered_by,
                               before_numbering=before_numbering)
        case = result.case
        if not result.created:
            return IntakeResult(case=case, created=False)
        tracking_code = issued["code"]
        original = linked.get("original")
        if original is not None:
            case.refresh_from_db(fields=["status", "status_before_pause", "duplicate_of"])
            case_add_message(case=original, direction=MessageDirection.INBOUND, channel=case.channel,
                             body=_("Raised again as %(number)s: %(content)s") % {"number": case.number,
                                                                                  "content": case.content},
                             sent_at=case.received_at)
        if acknowledge:
            _queue_acknowledgement(case, tracking_code, linked_to=original, sender=reply_from,
                                   in_reply_to=in_reply_to)
    return IntakeResult(case=case, created=True, linked_to=original, tracking_code=tracking_code)


def intake_customer_reply(
    *, case: Case, channel: str, body: str, external_id: str = "", sent_at: dt.datetime | None = None,
    attachments: Sequence[UploadedAttachment] = (),
) -> CaseMessage:
    """The customer wrote again about a case (any channel): the message and its files go on the
    timeline, and a case that was waiting for information from the customer resumes (R2.3)."""
    with transaction.atomic():
        message = case_add_message(case=case, direction=MessageDirection.INBOUND, channel=channel, body=body,
                                   external_id=external_id, sent_at=sent_at)
        for upload in attachments:
            case_add_attachment(case=case, actor=None, upload=upload)
        if Case.objects.filter(pk=case.pk, status=CaseStatus.NEEDS_INFORMATION).exists():
            case_transition(case=case, actor=None, action=workflow.Action.INFORMATION_RECEIVED)
        enqueue_on_commit(triage_new_message, message.pk)
    return message


def tracking_code_matches(case: Case, code: str) -> bool:
    try:
        expected = case.tracking.code_hash
    except CaseTracking.DoesNotExist:
        return False
    return hmac.compare_digest(expected, _hash_code(code.strip().upper()))


def _issue_tracking_code(case: Case) -> str:
    code = "".join(secrets.choice(_TRACKING_ALPHABET) for _ in range(TRACKING_CODE_LENGTH))
    insert_new(CaseTracking(case=case, code_hash=_hash_code(code)))
    return code


def _hash_code(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), code.encode(), hashlib.sha256).hexdigest()


def _earlier_case_of_same_problem(case: Case) -> Case | None:
    customer = case.customer
    if customer.is_anonymous:
        return None
    window = dt.timedelta(hours=settings.CASELOOP["INTAKE_LINK_WINDOW_HOURS"])
    finished = sorted(FINISHED_STATUSES)
    # Written out, as customer_find is: every registration runs this lookup.
    candidates = Case.objects.raw(
        "SELECT id, number, subject, content, status FROM cases_case "  # noqa: S608 - placeholders only
        f"WHERE customer_id = %s AND received_at >= %s AND id < %s AND status NOT IN ({', '.join(['%s'] * len(finished))}) "
        "ORDER BY received_at LIMIT 20",
        [customer.pk, connection.ops.adapt_datetimefield_value(case.received_at - window), case.pk, *finished],
    )
    threshold = settings.CASELOOP["INTAKE_LINK_SIMILARITY"]
    text = shingles(f"{case.subject} {case.content}")
    for candidate in candidates:
        if jaccard(text, shingles(f"{candidate.subject} {candidate.content}")) >= threshold:
            return candidate
    return None


def _queue_acknowledgement(
    case: Case, tracking_code: str, *, linked_to: Case | None, sender: str = "", in_reply_to: str = "",
) -> None:
    """R1.2: tell the customer at once that we have it, with the number and how to follow it.

    The Message-ID lets the e-mail channel thread the customer's answer (In-Reply-To) into the
    case; Auto-Submitted keeps auto-responders from answering it (RFC 3834: no mail loops).
    """
    email = case.customer.email
    if not email:
        return
    track_url = settings.CASELOOP["SITE_URL"].rstrip("/") + "/track/"
    with override(settings.LANGUAGE_CODE):
        subject = _("[%(number)s] We have received your feedback") % {"number": case.number}
        lines = [
            _("Dear customer,"),
            "",
            _("We have received your feedback “%(subject)s” and registered it as case %(number)s.")
            % {"subject": case.subject, "number": case.number},
        ]
        if linked_to is not None:
            lines.append(_("It concerns the same matter as your case %(number)s, which is already being handled; "
                           "we have added your new message to it.") % {"number": linked_to.number})
        lines += [
            _("You can follow it at %(url)s with the case number and the tracking code %(code)s.")
            % {"url": track_url, "code": tracking_code},
            "",
            _("Please keep the case number in the subject when you reply."),
        ]
    domain = (parseaddr(sender or settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "caseloop.invalid").lower()
    headers = {"Message-ID": make_msgid(idstring=case.number, domain=domain), "Auto-Submitted": "auto-replied"}
    if in_reply_to:
        headers["In-Reply-To"] = headers["References"] = f"<{in_reply_to}>"
    outbox_enqueue(dedupe_key=f"ack:{case.number}", transport=Transport.EMAIL, recipient=email, subject=subject,
                   body="\n".join(lines), case=case, sender=sender, headers=headers, is_automatic=True, is_first=True)


# --- Raw messages from channels -----------------------------------------------------------------


def intake_receive(
    *, channel: str, source: str, payload: bytes, external_id: str = "", content_type: str = "",
    received_at: dt.datetime | None = None,
) -> tuple[InboundMessage, bool]:
    """Store a channel's message as delivered; returns (message, created). Redelivery is a no-op.

    Call this before answering the channel; process afterwards (`intake_process`, usually a task).
    """
    defaults = {"payload": payload, "content_type": content_type, "received_at": received_at or clock.now()}
    if not external_id:
        return InboundMessage.objects.create(channel=channel, source=source, **defaults), True
    try:
        with transaction.atomic():
            return InboundMessage.objects.get_or_create(channel=channel, source=source, external_id=external_id,
                                                        defaults=defaults)
    except IntegrityError:  # a concurrent delivery of the same message won the insert
        return InboundMessage.objects.get(channel=channel, source=source, external_id=external_id), False


@dataclass(frozen=True)
class ProcessResult:
    status: str
    outcome: str
    case_number: str
    reason: str


def intake_process(message_id: int) -> ProcessResult:
    """Apply the channel's parser to a stored message, once. Failures quarantine, never drop."""
    with transaction.atomic():
        message = InboundMessage.objects.select_for_update().get(pk=message_id)
        if message.status != InboundStatus.RECEIVED:
            return _result(message)
        message.attempts += 1
        try:
            with transaction.atomic():
                decision = _parse(message)
                _apply(message, decision)
        except (channels.UnprocessableMessage, ApplicationError) as exc:
            message.status = InboundStatus.QUARANTINED
            message.reason = str(exc)
        except Exception as exc:  # one bad message must never stop the others (R1)
            logger.exception("inbound message %s could not be processed", message.pk)
            message.status = InboundStatus.QUARANTINED
            message.reason = f"{type(exc).__name__}: {exc}"
        message.processed_at = clock.now()
        message.save(update_fields=["attempts", "status", "outcome", "reason", "case", "processed_at", "updated_at"])
        return _result(message)


# A message younger than this is probably still in the hands of its own processing task.
WAITING_GRACE = dt.timedelta(minutes=1)


def intake_process_waiting(*, limit: int = 500) -> int:
    """Process messages left in RECEIVED (their task was lost); returns how many were processed."""
    waiting = InboundMessage.objects.filter(status=InboundStatus.RECEIVED,
                                            received_at__lt=clock.now() - WAITING_GRACE)
    ids = list(waiting.order_by("received_at").values_list("pk", flat=True)[:limit])
    for message_id in ids:
        intake_process(message_id)
    return len(ids)


def intake_requeue(message_id: int) -> ProcessResult:
    """An admin re-processes a quarantined message (after fixing configuration or the parser)."""
    updated = InboundMessage.objects.filter(pk=message_id, status=InboundStatus.QUARANTINED).update(
        status=InboundStatus.RECEIVED, reason="")
    if not updated:
        raise ApplicationError(_("Only quarantined messages can be processed again."), code="not_quarantined")
    return intake_process(message_id)


def _parse(message: InboundMessage) -> channels.Decision:
    parse = channels.PARSERS.get(message.channel)
    if parse is None:
        raise channels.UnprocessableMessage(f"no parser for channel {message.channel!r}")
    return parse(message)


def _apply(message: InboundMessage, decision: channels.Decision) -> None:
    if isinstance(decision, channels.Ignore):
        message.status, message.outcome, message.reason = InboundStatus.IGNORED, InboundOutcome.NONE, decision.reason
        return
    if isinstance(decision, channels.Reply):
        case = Case.objects.filter(number=decision.case_number).first()
        if case is None:
            raise channels.UnprocessableMessage(f"case {decision.case_number} does not exist")
        intake_customer_reply(case=case, channel=message.channel, body=decision.body,
                              external_id=message.external_id[:200], sent_at=message.received_at,
                              attachments=decision.attachments)
        message.status, message.outcome, message.case = InboundStatus.PROCESSED, InboundOutcome.APPENDED, case
        return
    reply_from, in_reply_to = _reply_route(message)
    result = intake_register(registration=decision.registration, reply_from=reply_from, in_reply_to=in_reply_to)
    message.status = InboundStatus.PROCESSED
    message.case = result.case
    message.outcome = InboundOutcome.LINKED if result.linked_to else (
        InboundOutcome.CREATED if result.created else InboundOutcome.APPENDED)


def _reply_route(message: InboundMessage) -> tuple[str, str]:
    """An e-mail is acknowledged from the mailbox it reached, in reply to its Message-ID."""
    if message.channel != Channel.EMAIL:
        return "", ""
    address = Mailbox.objects.filter(name=message.source).values_list("address", flat=True).first() or ""
    in_reply_to = "" if message.external_id.startswith("sha256:") else message.external_id
    return address, in_reply_to


def _result(message: InboundMessage) -> ProcessResult:
    return ProcessResult(status=message.status, outcome=message.outcome,
                         case_number=message.case.number if message.case else "", reason=message.reason)
