"""What files a case accepts: an allow-list of types, checked against the file's first bytes.

The extension and the declared content type are not trusted alone; the leading bytes must agree
with the kind of file claimed, so an executable renamed to .jpg is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from caseloop.core.errors import ApplicationError


@dataclass(frozen=True)
class FileKind:
    content_type: str
    signatures: tuple[bytes, ...]  # any of these at offset 0 (empty: text, checked separately)
    offset_signature: tuple[int, bytes] | None = None


_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)

ALLOWED_FILES: dict[str, FileKind] = {
    "jpg": FileKind("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": FileKind("image/jpeg", (b"\xff\xd8\xff",)),
    "png": FileKind("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "gif": FileKind("image/gif", (b"GIF87a", b"GIF89a")),
    "webp": FileKind("image/webp", (b"RIFF",), (8, b"WEBP")),
    "heic": FileKind("image/heic", (), (4, b"ftyp")),
    "pdf": FileKind("application/pdf", (b"%PDF-",)),
    "doc": FileKind("application/msword", _OLE),
    "xls": FileKind("application/vnd.ms-excel", _OLE),
    "docx": FileKind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    "xlsx": FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    "txt": FileKind("text/plain", ()),
    "mp4": FileKind("video/mp4", (), (4, b"ftyp")),
    "mov": FileKind("video/quicktime", (), (4, b"ftyp")),
    "mp3": FileKind("audio/mpeg", (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2")),
    "m4a": FileKind("audio/mp4", (), (4, b"ftyp")),
    "wav": FileKind("audio/wav", (b"RIFF",), (8, b"WAVE")),
    "amr": FileKind("audio/amr", (b"#!AMR",)),
}


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def check_attachment(*, name: str, head: bytes, size: int, max_bytes: int) -> FileKind:
    """The kind of an acceptable file, or ApplicationError saying what is wrong with it."""
    if size <= 0:
        raise ApplicationError(_("The file “%(name)s” is empty.") % {"name": name}, code="attachment_empty",
                               field="attachments")
    if size > max_bytes:
        raise ApplicationError(
            _("The file “%(name)s” is %(size).1f MB; the limit is %(limit).0f MB.")
            % {"name": name, "size": size / 1024 / 1024, "limit": max_bytes / 1024 / 1024},
            code="attachment_too_large", field="attachments",
        )
    kind = ALLOWED_FILES.get(extension_of(name))
    if kind is None:
        allowed = ", ".join(sorted(ALLOWED_FILES))
        raise ApplicationError(
            _("Files of type “%(ext)s” are not accepted. Accepted: %(allowed)s.")
            % {"ext": extension_of(name) or "?", "allowed": allowed},
            code="attachment_type_forbidden", field="attachments",
        )
    if not _content_matches(kind, head):
        raise ApplicationError(
            _("The content of “%(name)s” does not match its type.") % {"name": name},
            code="attachment_content_mismatch", field="attachments",
        )
    return kind


def _content_matches(kind: FileKind, head: bytes) -> bool:
    if not kind.signatures and kind.offset_signature is None:
        return _looks_like_text(head)
    if kind.signatures and not any(head.startswith(sig) for sig in kind.signatures):
        return False
    if kind.offset_signature is not None:
        offset, sig = kind.offset_signature
        return head[offset : offset + len(sig)] == sig
    return True


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030", "big5"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    # A multi-byte character may be cut at the end of the sample.
    try:
        head[:-3].decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False
