"""An RFC 822 message as the facts intake needs: sender, subject, thread IDs, text, files.

Pure: no database, no settings. Never raises on malformed input; what cannot be read is skipped
and the rest is kept (the raw message is stored anyway).
"""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from email.message import Message
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime

from caseloop.intake.channels.email.charsets import decode_bytes, header_text
from caseloop.intake.channels.email.html import html_to_text, tidy_text

MAX_DEPTH = 10  # nested multiparts / forwarded messages
MAX_EXTERNAL_ID = 250  # InboundMessage.external_id is 300 characters


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    data: bytes
    is_inline: bool = False


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str  # without angle brackets; "" when the message has none
    subject: str
    sender_name: str
    sender_address: str
    date: dt.datetime | None
    thread_ids: tuple[str, ...]  # In-Reply-To first, then References newest first
    text: str
    attachments: tuple[Attachment, ...]
    forwarded: int  # number of forwarded messages (message/rfc822 parts) folded into the text
    automatic: str  # why this looks like an auto-reply or bounce; "" for a person's message


def parse_email(raw: bytes) -> ParsedEmail:
    message = email.message_from_bytes(raw, policy=compat32)
    collector = _Collector()
    collector.walk(message, depth=0)
    subject = _header(message, "Subject")
    name, address = sender_of(message)
    return ParsedEmail(
        message_id=first_message_id(_header(message, "Message-ID")),
        subject=subject,
        sender_name=name,
        sender_address=address,
        date=_date(_header(message, "Date")),
        thread_ids=_thread_ids(message),
        text=tidy_text("\n\n".join(part for part in collector.texts if part.strip())),
        attachments=tuple(collector.attachments),
        forwarded=collector.forwarded,
        automatic=automatic_reason(message, sender_address=address, subject=subject),
    )


def external_id_of(raw: bytes) -> str:
    """The ID a raw message is stored under: its Message-ID, or a hash of its bytes without one."""
    return envelope_of(raw)[0]


def envelope_of(raw: bytes) -> tuple[str, dt.datetime | None]:
    """(external ID, Date) from the header block alone: what storing a message needs, cheaply."""
    header_end = raw.find(b"\r\n\r\n")
    if header_end < 0:
        header_end = raw.find(b"\n\n")
    head = raw if header_end < 0 else raw[: header_end + 2]
    message = email.message_from_bytes(head, policy=compat32)
    external_id = first_message_id(_header(message, "Message-ID")) or "sha256:" + hashlib.sha256(raw).hexdigest()
    return external_id, _date(_header(message, "Date"))


def first_message_id(value: str) -> str:
    ids = message_ids(value)
    if not ids:
        return ""
    found = ids[0]
    return found if len(found) <= MAX_EXTERNAL_ID else "sha256:" + hashlib.sha256(found.encode()).hexdigest()


def message_ids(value: str) -> list[str]:
    ids = re.findall(r"<([^<>\s]+)>", value)
    if not ids and value.strip() and " " not in value.strip():
        ids = [value.strip()]  # a bare ID without brackets, as some mailers write it
    return ids


def sender_of(message: Message) -> tuple[str, str]:
    """(display name, address) of the author: From, else Sender, else Reply-To."""
    for header in ("From", "Sender", "Reply-To"):
        for raw_name, raw_address in getaddresses(_raw_values(message, header)):
            address = header_text(raw_address).strip().strip("<>")
            if "@" in address and " " not in address:
                return header_text(raw_name).strip().strip('"'), address
    return "", ""


# --- Auto-replies and bounces (RFC 3834 and what real mailers send) ---------------------------------

_AUTOMATIC_SENDERS = frozenset({"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"})
_AUTOMATIC_SUBJECTS = ("自动回复", "自動回覆", "自动答复", "自動答覆", "automatic reply", "auto reply", "auto-reply",
                       "autoreply", "out of office", "undeliverable:", "undelivered mail returned",
                       "delivery status notification", "mail delivery failed", "系统退信", "退信")


def automatic_reason(message: Message, *, sender_address: str, subject: str) -> str:
    auto_submitted = _header(message, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        return f"automatic message (Auto-Submitted: {auto_submitted})"
    for header in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Reply"):
        value = _header(message, header).lower()
        if value and value not in ("no", "false", "0"):
            return f"auto-reply ({header}: {value})"
    precedence = (_header(message, "Precedence") or _header(message, "X-Precedence")).lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"bulk or list mail (Precedence: {precedence})"
    if message.get_content_type() == "multipart/report":
        return f"delivery or read report ({message.get_param('report-type') or 'multipart/report'})"
    if sender_address.split("@", 1)[0].lower() in _AUTOMATIC_SENDERS:
        return f"bounce from {sender_address}"
    if _header(message, "Return-Path").strip() == "<>":
        return "bounce or automatic message (empty Return-Path)"
    lowered = subject.lower().lstrip()
    if lowered.startswith(_AUTOMATIC_SUBJECTS):
        return f"auto-reply or bounce by its subject: {subject[:80]}"
    return ""


# --- The body ------------------------------------------------------------------------------------


@dataclass
class _Collector:
    texts: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    forwarded: int = 0

    def walk(self, part: Message, *, depth: int, with_text: bool = True) -> None:
        if depth > MAX_DEPTH:
            return
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            self._forwarded(part, depth=depth, with_text=with_text)
        elif part.is_multipart():
            children = [child for child in part.get_payload() if isinstance(child, Message)]
            chosen = _preferred_alternative(children) if content_type == "multipart/alternative" else None
            for child in children:
                # Of alternatives only one gives the text; every one may carry inline images.
                self.walk(child, depth=depth + 1, with_text=with_text and (chosen is None or child is chosen))
        elif content_type == "text/rfc822-headers":
            return
        elif _is_body_text(part):
            if with_text:
                self.texts.append(_text_of(part))
        else:
            self._attachment(part)

    def _forwarded(self, part: Message, *, depth: int, with_text: bool) -> None:
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload and isinstance(payload[0], Message) else None
        if inner is None:
            return
        self.forwarded += 1
        if with_text:
            name, address = sender_of(inner)
            lines = ["---------- Forwarded message ----------"]
            lines += [f"{label}: {value}" for label, value in (
                ("From", f"{name} <{address}>" if name else address), ("Date", _header(inner, "Date")),
                ("Subject", _header(inner, "Subject")), ("To", _header(inner, "To"))) if value]
            self.texts.append("\n".join(lines))
        self.walk(inner, depth=depth + 1, with_text=with_text)

    def _attachment(self, part: Message) -> None:
        data = part.get_payload(decode=True)
        if not isinstance(data, bytes) or not data:
            return
        content_type = part.get_content_type()
        name = _file_name(part) or _generated_name(content_type, len(self.attachments) + 1)
        is_inline = part.get_content_disposition() == "inline" or bool(part.get("Content-ID"))
        self.attachments.append(Attachment(name=name, content_type=content_type, data=data, is_inline=is_inline))


def _is_body_text(part: Message) -> bool:
    return (part.get_content_type() in ("text/plain", "text/html") and part.get_content_disposition() != "attachment"
            and not part.get_filename())


def _preferred_alternative(children: list[Message]) -> Message | None:
    """Plain text when it says something, else the richest (last) alternative."""
    for child in children:
        if child.get_content_type() == "text/plain" and _text_of(child).strip():
            return child
    return children[-1] if children else None


def _text_of(part: Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    text = decode_bytes(data, part.get_content_charset())
    return html_to_text(text) if part.get_content_type() == "text/html" else tidy_text(text)


def _file_name(part: Message) -> str:
    try:
        raw = part.get_filename()
    except (LookupError, UnicodeError, ValueError):
        raw = None
    if not raw:
        name_param = part.get_param("name")  # some mailers name the file on Content-Type only
        raw = name_param if isinstance(name_param, str) else None
    if not raw:
        return ""
    name = header_text(raw) if not any(ord(char) > 0x7F and not 0xDC80 <= ord(char) <= 0xDCFF for char in raw) else raw
    name = re.split(r"[\\/]", name)[-1]  # a path from the sender's machine is not part of the name
    return "".join(char for char in name if char.isprintable()).strip(" .")[:200]


def _generated_name(content_type: str, index: int) -> str:
    extension = mimetypes.guess_extension(content_type) or ""
    if extension in (".jpe", ".jpeg"):
        extension = ".jpg"
    return f"{content_type.split('/')[0]}-{index}{extension}"


def _header(message: Message, name: str) -> str:
    values = _raw_values(message, name)
    return header_text(values[0]) if values else ""


def _raw_values(message: Message, name: str) -> list[str]:
    """A header's values as received (raw 8-bit bytes surrogate-escaped), not compat32's Header objects."""
    return [str(raw) for key, raw in message.raw_items() if key.lower() == name.lower()]


def _date(value: str) -> dt.datetime | None:
    try:
        date = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return date if date.tzinfo is not None else date.replace(tzinfo=dt.UTC)


def _thread_ids(message: Message) -> tuple[str, ...]:
    in_reply_to = message_ids(_header(message, "In-Reply-To"))
    references = list(reversed(message_ids(_header(message, "References"))))
    seen: dict[str, None] = {}
    for found in in_reply_to + references:
        if len(found) <= MAX_EXTERNAL_ID:
            seen.setdefault(found)
    return tuple(seen)
