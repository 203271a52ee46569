"""One raw e-mail in: store it (intake_receive), then process it (intake_process), and say what
became of it in the vocabulary of `caseloop intake` and the poll task."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from caseloop.cases.choices import Channel
from caseloop.core import clock
from caseloop.intake.channels.email.mime import envelope_of
from caseloop.intake.models import InboundMessage, InboundOutcome, InboundStatus
from caseloop.intake.services import ProcessResult, intake_process, intake_receive


class Result:
    CREATED = "created"
    APPENDED = "appended"
    IGNORED = "ignored"
    QUARANTINED = "quarantined"


@dataclass(frozen=True)
class IngestResult:
    result: str  # one of Result
    case: str | None
    reason: str
    message: int  # InboundMessage id: where an admin finds the raw message (and re-processes it)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def email_ingest(*, raw: bytes, source: str, received_at: dt.datetime | None = None) -> IngestResult:
    """Store `raw` as received through `source`, then process it. Never raises for a bad message.

    `received_at` defaults to the message's Date header (never in the future), else now.
    """
    message, created = email_store(raw=raw, source=source, received_at=received_at)
    if not created and message.status != InboundStatus.RECEIVED:
        return IngestResult(result=Result.IGNORED, case=message.case.number if message.case else None,
                            reason=f"already received as inbound message {message.pk} ({message.status})",
                            message=message.pk)
    return ingest_result(message.pk, intake_process(message.pk))


def email_store(*, raw: bytes, source: str, received_at: dt.datetime | None = None) -> tuple[InboundMessage, bool]:
    """The stored raw message, and whether it is new; the same Message-ID is stored once per source."""
    external_id, date = envelope_of(raw)
    received_at = received_at or date
    now = clock.now()
    if received_at is None or received_at > now:
        received_at = now
    return intake_receive(channel=Channel.EMAIL, source=source, external_id=external_id, payload=raw,
                          content_type="message/rfc822", received_at=received_at)


def ingest_result(message_id: int, processed: ProcessResult) -> IngestResult:
    if processed.status == InboundStatus.QUARANTINED:
        result = Result.QUARANTINED
    elif processed.status == InboundStatus.IGNORED:
        result = Result.IGNORED
    elif processed.outcome in (InboundOutcome.CREATED, InboundOutcome.LINKED):
        result = Result.CREATED
    else:
        result = Result.APPENDED
    reason = processed.reason
    if processed.outcome == InboundOutcome.LINKED:
        reason = "linked to an earlier case of the same customer about the same problem"
    return IngestResult(result=result, case=processed.case_number or None, reason=reason, message=message_id)
