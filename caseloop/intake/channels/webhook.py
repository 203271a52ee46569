"""The signed JSON format of SMS gateways and social-listening / forum tools (docs/api.md, "Webhooks").

`read_payload` is used twice: by the webhook, to refuse a malformed body with 400 before anything
is stored, and by the parsers, to turn the stored body into a decision in the worker.

    {"id": "gw-20260301-0001", "from": "+86 138 0013 8000", "text": "…", "received_at": "2026-03-01T09:30:00+08:00",
     "author_name": "张女士", "platform": "weibo", "url": "https://…", "subject": "…"}
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import override

from caseloop.cases.choices import FINISHED_STATUSES, Channel
from caseloop.cases.models import Case
from caseloop.cases.services import CaseRegistration
from caseloop.customers.normalize import normalize_phone
from caseloop.customers.services import CustomerDetails
from caseloop.intake.channels import Decision, NewCase, Reply, UnprocessableMessage, parser
from caseloop.intake.models import InboundMessage

MAX_ID_LENGTH = 200
MAX_TEXT_LENGTH = 20_000
SUBJECT_LENGTH = 40


class PayloadError(ValueError):
    """The body breaks the documented format; `code` and `field` go back to the sender."""

    def __init__(self, message: str, *, code: str, field: str = "") -> None:
        super().__init__(message)
        self.message, self.code, self.field = message, code, field


@dataclass(frozen=True)
class InboundPayload:
    id: str
    sender: str
    text: str
    received_at: dt.datetime | None
    author_name: str = ""
    platform: str = ""
    url: str = ""
    subject: str = ""


def read_payload(body: bytes, *, channel: str) -> InboundPayload:
    """The message in `body`, or PayloadError naming the first problem (translated in the active language)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        raise PayloadError(_("The body is not UTF-8."), code="invalid_encoding") from None
    except json.JSONDecodeError as exc:
        raise PayloadError(_("The body is not valid JSON: %(problem)s at line %(line)d, column %(column)d.")
                           % {"problem": exc.msg, "line": exc.lineno, "column": exc.colno}, code="malformed_json") from None
    if not isinstance(data, dict):
        raise PayloadError(_("The body must be a JSON object."), code="malformed_json")
    message_id = _string(data, "id", required=True, max_length=MAX_ID_LENGTH, allow_int=True)
    sender = _string(data, "from", required=True, max_length=40 if channel == Channel.SMS else 100)
    if channel == Channel.SMS and not normalize_phone(sender).lstrip("+").isdigit():
        raise PayloadError(_("“from” must be a phone number."), code="invalid", field="from")
    text = _string(data, "text", required=True, max_length=MAX_TEXT_LENGTH)
    raw_time = _string(data, "received_at", required=False, max_length=64)
    received_at = None
    if raw_time:
        received_at = _parse_time(raw_time)
    return InboundPayload(
        id=message_id, sender=sender, text=text, received_at=received_at,
        author_name=_string(data, "author_name", required=False, max_length=100),
        platform=_string(data, "platform", required=False, max_length=40),
        url=_string(data, "url", required=False, max_length=1000),
        subject=_string(data, "subject", required=False, max_length=200),
    )


def _string(data: dict[str, Any], name: str, *, required: bool, max_length: int, allow_int: bool = False) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise PayloadError(_("The field “%(field)s” is required.") % {"field": name}, code="required", field=name)
        return ""
    if allow_int and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise PayloadError(_("The field “%(field)s” must be a string.") % {"field": name}, code="invalid", field=name)
    value = value.strip()
    if required and not value:
        raise PayloadError(_("The field “%(field)s” is required.") % {"field": name}, code="required", field=name)
    if len(value) > max_length:
        raise PayloadError(_("The field “%(field)s” is longer than %(n)d characters.") % {"field": name, "n": max_length},
                           code="too_long", field=name)
    return value


def _parse_time(raw: str) -> dt.datetime:
    try:
        moment = parse_datetime(raw.replace(" ", "T", 1))
    except ValueError:
        moment = None
    if moment is None:
        raise PayloadError(_("“received_at” is not an ISO 8601 date and time."), code="invalid", field="received_at")
    if moment.tzinfo is None:
        raise PayloadError(_("“received_at” needs a UTC offset, e.g. +08:00."), code="invalid", field="received_at")
    return moment


def _stored_payload(message: InboundMessage) -> InboundPayload:
    try:
        return read_payload(bytes(message.payload), channel=message.channel)
    except PayloadError as exc:
        raise UnprocessableMessage(exc.message) from exc


def _when(payload: InboundPayload, message: InboundMessage) -> dt.datetime:
    """The sender's time, but never later than our receipt (a fast clock is not the future)."""
    return min(payload.received_at, message.received_at) if payload.received_at else message.received_at


def _subject(payload: InboundPayload, fallback: str) -> str:
    lines = payload.text.strip().splitlines()
    return (payload.subject or (lines[0] if lines else ""))[:SUBJECT_LENGTH] or fallback


def _external_id(message: InboundMessage) -> str:
    return f"{message.source}:{message.external_id}"[:120]


def case_number_in(text: str) -> str:
    """A case number (CF202603010001) mentioned in a customer's text, or ""."""
    prefix = re.escape(settings.CASELOOP["CASE_NUMBER_PREFIX"])
    found = re.search(rf"(?<![A-Za-z0-9]){prefix}\d{{12,}}", text.upper())
    return found.group(0) if found else ""


@parser(Channel.SMS)
def parse_sms(message: InboundMessage) -> Decision:
    """A text message: a reply when it names an open case of the same phone number, else a new case."""
    payload = _stored_payload(message)
    number = case_number_in(payload.text)
    if number:
        phone = normalize_phone(payload.sender)
        case = (Case.objects.filter(number=number, customer__phone_normalized=phone)
                .exclude(status__in=FINISHED_STATUSES).only("pk", "number").first())
        if case is not None:
            return Reply(case_number=case.number, body=payload.text, sender=payload.sender)
    with override(settings.LANGUAGE_CODE):
        subject = _subject(payload, _("Text message"))
    return NewCase(registration=CaseRegistration(
        channel=Channel.SMS, subject=subject, content=payload.text, received_at=_when(payload, message),
        customer=CustomerDetails(phone=payload.sender, name=payload.author_name), external_id=_external_id(message),
    ))


@parser(Channel.SOCIAL)
def parse_social(message: InboundMessage) -> Decision:
    """A public post or comment: always a new case; the post's address is kept as evidence.

    A social handle is not a contact point we can resolve a customer by, so the author is recorded
    by name (handle and platform) and each post makes a new customer record.
    """
    payload = _stored_payload(message)
    with override(settings.LANGUAGE_CODE):
        subject = _subject(payload, _("Social media post"))
    where = f"{payload.platform} @{payload.sender}" if payload.platform else f"@{payload.sender}"
    name = f"{payload.author_name} ({where})" if payload.author_name else where
    return NewCase(registration=CaseRegistration(
        channel=Channel.SOCIAL, subject=subject, content=payload.text, received_at=_when(payload, message),
        customer=CustomerDetails(name=name[:100]), evidence=payload.url, external_id=_external_id(message),
    ))
