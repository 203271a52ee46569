"""E-mail: a raw RFC 822 message (from a polled mailbox or `caseloop intake eml`) to a decision.

- Auto-replies, bounces, list mail and our own messages are ignored, so no mail loop can start:
  only a new case is acknowledged, and these never become one.
- A copy of a message already taken in (the same Message-ID through another mailbox) is ignored.
- A reply is threaded into its case by the case number in the subject, else by In-Reply-To /
  References naming an earlier inbound message or an acknowledgement we sent.
- Attachments and inline images go through the case attachment allow-list; a refused file is
  dropped with a note on the case, never the whole message.
- A message with neither text nor an acceptable file is quarantined with the reason.
"""

from __future__ import annotations

import io
import re
from email.utils import parseaddr

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import override

from caseloop.cases.attachments import check_attachment
from caseloop.cases.choices import Channel
from caseloop.cases.models import Case
from caseloop.cases.services import CaseRegistration, UploadedAttachment
from caseloop.core.errors import ApplicationError
from caseloop.customers.services import CustomerDetails
from caseloop.intake.channels import Decision, Ignore, NewCase, Reply, UnprocessableMessage, parser
from caseloop.intake.channels.email.mime import Attachment, ParsedEmail, external_id_of, parse_email
from caseloop.intake.models import InboundMessage, InboundStatus, Mailbox
from caseloop.notify.models import OutboxMessage

__all__ = ["email_decision", "external_id_of", "parse_email", "strip_quoted", "thread_case_number"]

MAX_TEXT_CHARS = 50_000  # the raw message keeps everything; the case gets a readable amount
SUBJECT_CHARS = 200  # Case.subject
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|sv|回复|回覆|答复|答覆|转发|轉發|转寄|轉寄)\s*(?:\[\d+\])?\s*[:：]\s*)+",
                           re.IGNORECASE)


@parser(Channel.EMAIL)
def email_decision(message: InboundMessage) -> Decision:
    parsed = parse_email(bytes(message.payload))
    if parsed.automatic:
        return Ignore(parsed.automatic)
    if not parsed.sender_address:
        raise UnprocessableMessage("no sender address (From, Sender or Reply-To): nobody to answer")
    if _is_our_own_address(parsed.sender_address):
        return Ignore(f"sent from our own address {parsed.sender_address} (would start a mail loop)")
    earlier = _earlier_copy(message)
    if earlier is not None:
        return Ignore(f"duplicate of inbound message {earlier.pk} ({earlier.source}, Message-ID {message.external_id})")
    case_number = thread_case_number(parsed)
    with override(settings.LANGUAGE_CODE):
        if case_number:
            return _reply(parsed, case_number)
        return _new_case(parsed, message)


def _new_case(parsed: ParsedEmail, message: InboundMessage) -> NewCase:
    files, refused = _acceptable_files(parsed.attachments, room=settings.CASELOOP["ATTACHMENTS_PER_CASE"])
    text = _capped(parsed.text)
    subject = _REPLY_PREFIX.sub("", parsed.subject).strip()
    if not text and not subject and not files:
        raise UnprocessableMessage(_nothing_to_register(parsed, refused))
    if not subject:
        subject = _first_line(text) or _("E-mail from %(sender)s") % {"sender": parsed.sender_address}
    if not text:
        text = subject if not files else _("(The e-mail has no text; see the attached files: %(names)s)") % {
            "names": ", ".join(file.name for file in files)}
    registration = CaseRegistration(
        channel=Channel.EMAIL,
        subject=subject[:SUBJECT_CHARS],
        content=text,
        received_at=message.received_at,
        customer=CustomerDetails(name=parsed.sender_name[:100], email=parsed.sender_address),
        external_id=message.external_id[:120] if len(message.external_id) <= 120 else "",
        internal_note=_refused_note(refused),
        attachments=files,
    )
    return NewCase(registration=registration)


def _reply(parsed: ParsedEmail, case_number: str) -> Reply:
    stored = Case.objects.get(number=case_number).attachments.count()
    files, refused = _acceptable_files(parsed.attachments,
                                       room=max(settings.CASELOOP["ATTACHMENTS_PER_CASE"] - stored, 0))
    body = _capped(strip_quoted(parsed.text))
    if not body and not files:
        raise UnprocessableMessage(_nothing_to_register(parsed, refused))
    if not body:
        body = _("(A reply without text; attached files: %(names)s)") % {"names": ", ".join(f.name for f in files)}
    if refused:
        body = f"{body}\n\n[{_refused_note(refused)}]"
    return Reply(case_number=case_number, body=body, sender=parsed.sender_address, attachments=tuple(files))


def _nothing_to_register(parsed: ParsedEmail, refused: list[str]) -> str:
    reason = "no text and no acceptable attachment"
    return f"{reason} (refused: {'; '.join(refused)})" if refused else reason


# --- Threading ------------------------------------------------------------------------------------


def thread_case_number(parsed: ParsedEmail) -> str:
    """The existing case this message continues, or "": the number in the subject first, then the
    nearest In-Reply-To / References ID of an earlier inbound message or of a message we sent."""
    prefix = re.escape(settings.CASELOOP["CASE_NUMBER_PREFIX"])
    for found in re.findall(rf"(?<![A-Za-z0-9])({prefix}\d{{12,}})(?!\d)", parsed.subject, re.IGNORECASE):
        number = found.upper()
        if Case.objects.filter(number=number).exists():
            return number
    if not parsed.thread_ids:
        return ""
    ids = list(parsed.thread_ids)
    by_id: dict[str, str] = dict(
        InboundMessage.objects.filter(channel=Channel.EMAIL, external_id__in=ids, case__isnull=False)
        .values_list("external_id", "case__number"))
    # Acknowledgements (and later replies) store their Message-ID header, with brackets.
    sent = OutboxMessage.objects.filter(case__isnull=False, **{"headers__Message-ID__in": [f"<{i}>" for i in ids]})
    for headers, number in sent.values_list("headers", "case__number"):
        by_id.setdefault(str(headers.get("Message-ID", "")).strip("<>"), number)
    return next((by_id[i] for i in ids if i in by_id), "")


_QUOTE_HEADS = [
    re.compile(r"^-{2,}\s*(?:original message|原始邮件|原始郵件|forwarded message|转发邮件)\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^on .{4,200} wrote:$", re.IGNORECASE),
    re.compile(r"^(?:在|于|於).{2,200}(?:写道|寫道)\s*[:：]$"),
    re.compile(r"^_{10,}$"),  # Outlook's rule above the quoted header block
]
_OUTLOOK_HEAD = re.compile(r"^(?:from|发件人|寄件者)\s*[:：]", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^(?:sent|date|发送时间|日期|寄件日期|to|收件人)\s*[:：]", re.IGNORECASE)


def strip_quoted(text: str) -> str:
    """A reply without the quoted earlier message (the case already holds it); all of it if that
    would leave nothing."""
    lines = text.split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if any(pattern.match(stripped) for pattern in _QUOTE_HEADS):
            break
        if _OUTLOOK_HEAD.match(stripped) and any(_OUTLOOK_NEXT.match(n.strip()) for n in lines[index + 1 : index + 4]):
            break
        if not stripped.startswith(">"):
            kept.append(line)
    result = "\n".join(kept).strip()
    return result or text


# --- Files ----------------------------------------------------------------------------------------


def _acceptable_files(attachments: tuple[Attachment, ...], *, room: int) -> tuple[list[UploadedAttachment], list[str]]:
    """The files the case allow-list accepts, and a line for each one it refuses."""
    accepted: list[UploadedAttachment] = []
    refused: list[str] = []
    for attachment in attachments:
        try:
            check_attachment(name=attachment.name, head=attachment.data[:512], size=len(attachment.data),
                             max_bytes=settings.CASELOOP["ATTACHMENT_MAX_BYTES"])
        except ApplicationError as exc:
            refused.append(f"{attachment.name}: {exc.message}")
            continue
        if len(accepted) >= room:
            refused.append(_("%(name)s: the case already holds the most attachments allowed.")
                           % {"name": attachment.name})
            continue
        accepted.append(UploadedAttachment(
            name=attachment.name, stream=io.BytesIO(attachment.data), size=len(attachment.data),
            description=_("Image in the e-mail's text") if attachment.is_inline else _("E-mail attachment")))
    return accepted, refused


def _refused_note(refused: list[str]) -> str:
    if not refused:
        return ""
    return _("Attachments of the e-mail not accepted: %(files)s") % {"files": "; ".join(refused)}


# --- Small helpers --------------------------------------------------------------------------------


def _is_our_own_address(address: str) -> bool:
    address = address.lower()
    if address == parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower():
        return True
    return Mailbox.objects.filter(address__iexact=address).exists()


def _earlier_copy(message: InboundMessage) -> InboundMessage | None:
    """The same Message-ID already taken in through another mailbox (a customer wrote to two)."""
    if not message.external_id or message.external_id.startswith("sha256:"):
        return None
    return (InboundMessage.objects.filter(channel=Channel.EMAIL, external_id=message.external_id, pk__lt=message.pk)
            .exclude(status=InboundStatus.QUARANTINED).order_by("pk").first())


def _first_line(text: str) -> str:
    line = next((line.strip() for line in text.split("\n") if line.strip()), "")
    return line if len(line) <= 60 else line[:59] + "…"


def _capped(text: str) -> str:
    if len(text) <= MAX_TEXT_CHARS:
        return text
    return text[:MAX_TEXT_CHARS] + "\n[…] " + _("(shortened; the whole e-mail is kept with the inbound message)")
