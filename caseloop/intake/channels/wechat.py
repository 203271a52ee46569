"""WeChat official account / mini program message push (微信公众号/小程序 消息推送), plaintext mode.

The webhook (`caseloop.intake.hooks`) checks the signature and stores the XML as delivered; this
parser turns the stored XML into a decision later, in the worker:

- text → a new case for the customer identified by the openid, or a reply to that customer's
  open case when the text names its case number;
- image / voice / video → added to the customer's open case of the last link window, else a new case;
- events (subscribe, menu clicks, …) and anything else → ignored.

Encrypted ("safe") mode is not supported yet: such a message is stored and quarantined with that
reason, so nothing is lost and an admin sees why (switch the account to plaintext or compatible mode).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import override

from caseloop.cases.choices import FINISHED_STATUSES, Channel
from caseloop.cases.models import Case
from caseloop.cases.services import CaseRegistration
from caseloop.customers.services import CustomerDetails
from caseloop.intake.channels import Decision, Ignore, NewCase, Reply, UnprocessableMessage, parser
from caseloop.intake.channels.webhook import case_number_in
from caseloop.intake.models import InboundMessage

SUBJECT_LENGTH = 40
_MEDIA_TYPES = ("image", "voice", "video", "shortvideo")


class WeChatXMLError(ValueError):
    """The body is not a WeChat XML message (malformed, or a DTD/entity declaration: refused)."""


def signature(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's signature: SHA-1 of the token, timestamp and nonce sorted and joined."""
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode(), usedforsecurity=False).hexdigest()


def signature_matches(*, token: str, timestamp: str, nonce: str, given: str) -> bool:
    return bool(token) and hmac.compare_digest(signature(token, timestamp, nonce), given.lower())


def parse_xml(body: bytes) -> dict[str, str]:
    """The children of WeChat's <xml> root as a flat dict. DTDs and entities are refused outright."""
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException) as exc:
        raise WeChatXMLError(f"{type(exc).__name__}: {exc}") from exc
    if root.tag != "xml":
        raise WeChatXMLError(f"root element is <{root.tag}>, expected <xml>")
    return {child.tag: (child.text or "").strip() for child in root}


def message_key(fields: dict[str, str]) -> str:
    """What makes a delivery unique: MsgId; events have none, WeChat says use sender + CreateTime."""
    if fields.get("MsgId"):
        return fields["MsgId"]
    if fields.get("FromUserName") and fields.get("CreateTime"):
        return f"{fields['FromUserName']}:{fields['CreateTime']}:{fields.get('Event', '')}"
    return ""


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def passive_text_reply(*, to_user: str, from_user: str, content: str) -> str:
    """The passive reply WeChat shows the customer at once (it must come within 5 seconds)."""
    return (f"<xml><ToUserName>{_cdata(to_user)}</ToUserName><FromUserName>{_cdata(from_user)}</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType>{_cdata('text')}</MsgType>"
            f"<Content>{_cdata(content)}</Content></xml>")


def acknowledgement_text() -> str:
    with override(settings.LANGUAGE_CODE):
        return _("We have received your message and will reply as soon as possible.")


@parser(Channel.WECHAT)
def parse(message: InboundMessage) -> Decision:
    try:
        fields = parse_xml(bytes(message.payload))
    except WeChatXMLError as exc:
        raise UnprocessableMessage(str(exc)) from exc
    kind = fields.get("MsgType", "")
    if not kind and fields.get("Encrypt"):
        raise UnprocessableMessage("encrypted (safe mode) WeChat messages are not supported; use plaintext or compatible mode")
    openid = fields.get("FromUserName", "")
    if not openid:
        raise UnprocessableMessage("no FromUserName (openid)")
    if kind == "event":
        return Ignore(reason=f"WeChat event {fields.get('Event', '?')}")
    sent_at = _sent_at(fields, message.received_at)
    with override(settings.LANGUAGE_CODE):
        if kind in ("text", "link"):
            text = fields.get("Content", "") if kind == "text" else " ".join(
                v for v in (fields.get("Title", ""), fields.get("Description", ""), fields.get("Url", "")) if v)
            if not text:
                raise UnprocessableMessage("empty text message")
            number = case_number_in(text)
            if number and (case := _open_case(openid, number=number)) is not None:
                return Reply(case_number=case.number, body=text, sender=openid)
            return _new_case(message, openid=openid, text=text, sent_at=sent_at)
        if kind in _MEDIA_TYPES:
            text = _media_text(kind, fields)
            window = dt.timedelta(hours=settings.CASELOOP["INTAKE_LINK_WINDOW_HOURS"])
            if (case := _open_case(openid, since=sent_at - window)) is not None:
                return Reply(case_number=case.number, body=text, sender=openid)
            return _new_case(message, openid=openid, text=text, sent_at=sent_at)
    return Ignore(reason=f"WeChat message type {kind or '?'} is not handled")


def _new_case(message: InboundMessage, *, openid: str, text: str, sent_at: dt.datetime) -> NewCase:
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    subject = first_line[:SUBJECT_LENGTH] or _("WeChat message")
    return NewCase(registration=CaseRegistration(
        channel=Channel.WECHAT, subject=subject, content=text, received_at=sent_at,
        customer=CustomerDetails(wechat_openid=openid),
        # The stored message is unique per endpoint and MsgId; the case carries the same key so a
        # re-processed message (after a requeue) never registers twice.
        external_id=f"{message.source}:{message.external_id}"[:120] if message.external_id else "",
    ))


def _media_text(kind: str, fields: dict[str, str]) -> str:
    if kind == "image":
        return _("[Picture] %(url)s") % {"url": fields.get("PicUrl", "") or fields.get("MediaId", "")}
    if kind == "voice":
        recognised = fields.get("Recognition", "")
        return _("[Voice message] %(text)s") % {"text": recognised or fields.get("MediaId", "")}
    return _("[Video] media %(id)s") % {"id": fields.get("MediaId", "")}


def _sent_at(fields: dict[str, str], received_at: dt.datetime) -> dt.datetime:
    """CreateTime, but never later than our own receipt (a sender's fast clock is not the future)."""
    try:
        created = dt.datetime.fromtimestamp(int(fields.get("CreateTime", "")), tz=dt.UTC)
    except (ValueError, OverflowError, OSError):
        return received_at
    return min(created, received_at)


def _open_case(openid: str, *, number: str = "", since: dt.datetime | None = None) -> Case | None:
    """The customer's open case (by number, or the latest since a moment); None if finished or theirs not."""
    cases = Case.objects.filter(customer__wechat_openid=openid).exclude(status__in=FINISHED_STATUSES)
    if number:
        cases = cases.filter(number=number)
    if since is not None:
        cases = cases.filter(received_at__gte=since)
    return cases.order_by("-received_at").only("pk", "number").first()

