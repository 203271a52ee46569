"""Raw e-mails built byte by byte, so each test controls charsets and encodings exactly."""

from __future__ import annotations

import base64
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from itertools import count

# Smallest files whose first bytes pass the attachment allow-list.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64
EXE = b"MZ\x90\x00" + b"\x00" * 64

_ids = count(1)


def encoded_word(text: str, charset: str, encoding: str = "B", *, codec: str = "") -> str:
    """An RFC 2047 word labelled `charset`, its bytes encoded with `codec` (default: the label)."""
    data = text.encode(codec or charset)
    if encoding == "B":
        return f"=?{charset}?B?{base64.b64encode(data).decode()}?="
    return f"=?{charset}?Q?{''.join(f'={b:02X}' for b in data)}?="


def new_message_id() -> str:
    return f"<msg-{next(_ids)}.test@customer.example.cn>"


def raw_email(
    *, body: bytes = "洗衣机脱水时噪音很大，请派人上门检查。".encode(), charset: str | None = "utf-8",
    subject: str | bytes = "洗衣机噪音", sender: str | bytes = "张三 <zhang@example.cn>",
    to: str = "support@caseloop.test", content_type: str = "text/plain", cte: str = "8bit",
    message_id: str | None = "", extra: dict[str, str] | None = None,
) -> bytes:
    """A single-part message; `subject`/`sender` as bytes are written raw (8-bit headers)."""
    lines: list[bytes] = []

    def header(name: str, value: str | bytes) -> None:
        lines.append(name.encode() + b": " + (value if isinstance(value, bytes) else value.encode()))

    header("From", sender)
    header("To", to)
    header("Subject", subject)
    header("Date", "Mon, 23 Nov 2026 09:30:00 +0800")
    if message_id is not None:
        header("Message-ID", message_id or new_message_id())
    for name, value in (extra or {}).items():
        header(name, value)
    header("MIME-Version", "1.0")
    header("Content-Type", f"{content_type}; charset={charset}" if charset else content_type)
    if cte == "base64":
        header("Content-Transfer-Encoding", "base64")
        body = base64.encodebytes(body)
    else:
        header("Content-Transfer-Encoding", cte)
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def text_part(data: bytes, *, charset: str = "utf-8", subtype: str = "plain") -> Message:
    part = MIMENonMultipart("text", subtype, charset=charset)
    part.set_payload(base64.encodebytes(data).decode())
    part["Content-Transfer-Encoding"] = "base64"
    return part


def attachment(data: bytes, name: str, *, maintype: str = "application", subtype: str = "octet-stream") -> MIMEBase:
    part = MIMEApplication(data, subtype) if maintype == "application" else MIMEImage(data, subtype)
    part.add_header("Content-Disposition", "attachment", filename=name)
    return part


def inline_image(data: bytes, content_id: str, subtype: str = "png") -> MIMEImage:
    part = MIMEImage(data, subtype)
    part.add_header("Content-ID", f"<{content_id}>")
    part.add_header("Content-Disposition", "inline")
    return part


def multipart(*parts: Message, subtype: str = "mixed", subject: str = "洗衣机噪音",
              sender: str = "张三 <zhang@example.cn>", message_id: str = "", extra: dict[str, str] | None = None,
              params: dict[str, str] | None = None) -> bytes:
    message = MIMEMultipart(subtype, **(params or {}))
    message["From"] = _header(sender)
    message["To"] = "support@caseloop.test"
    message["Subject"] = _header(subject)
    message["Date"] = "Mon, 23 Nov 2026 09:30:00 +0800"
    message["Message-ID"] = message_id or new_message_id()
    for name, value in (extra or {}).items():
        message[name] = value
    for part in parts:
        message.attach(part)
    return message.as_bytes()


def forwarded(raw: bytes) -> MIMEMessage:
    from email import message_from_bytes

    return MIMEMessage(message_from_bytes(raw))


def _header(value: str) -> str:
    if value.isascii():
        return value
    if "<" in value:  # display name <address>
        name, address = value.split("<", 1)
        return f"{encoded_word(name.strip(), 'utf-8')} <{address}"
    return encoded_word(value, "utf-8")
