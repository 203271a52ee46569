"""Bytes to text for mail from the Chinese-speaking world: declared, mislabelled or unknown charsets.

Declared GB2312/GBK parts are decoded as GB18030 (their superset: senders label GBK text GB2312
all the time) and Big5 as Big5-HKSCS. A label that does not fit the bytes, or one Python does not
know, falls back to UTF-8 and then to charset-normalizer's guess. Nothing here raises on bad input.
"""

from __future__ import annotations

import binascii
import codecs
import re

import charset_normalizer

_GB = ("gb18030",)
_BIG5 = ("big5hkscs", "cp950")
_ALIASES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("gb2312", "gb_2312", "gb_2312-80", "gb2312-80", "csgb2312", "euc-cn", "x-euc-cn", "euccn",
                     "gbk", "x-gbk", "cp936", "ms936", "windows-936", "gb18030", "gb-18030", "chinese", "hz-gb-2312"),
                    _GB),
    **dict.fromkeys(("big5", "big-5", "x-big5", "csbig5", "cn-big5", "big5-hkscs", "big5hkscs", "cp950", "ms950",
                     "windows-950", "x-x-big5"), _BIG5),
    "utf8": ("utf-8",),
    "unicode-1-1-utf-8": ("utf-8",),
}
# Labels that decode any byte sequence, so a wrong label is never noticed by decoding alone.
_SINGLE_BYTE_WESTERN = frozenset({"latin-1", "latin1", "iso-8859-1", "iso8859-1", "l1", "windows-1252", "cp1252",
                                  "iso-8859-15", "latin-9"})


def codecs_for(label: str | None) -> tuple[str, ...]:
    """The Python codecs to try for a declared charset, best first; () when unknown or absent."""
    if not label:
        return ()
    name = label.strip().strip("\"'").split("*", 1)[0].lower()  # RFC 2231 language suffix: gb2312*zh
    if name in _ALIASES:
        return _ALIASES[name]
    if name in ("us-ascii", "ascii", "unknown-8bit", "x-unknown", "8bit", "default"):
        return ()
    try:
        info = codecs.lookup(name)
    except LookupError:
        return ()
    if not getattr(info, "_is_text_encoding", True):  # base64, zlib, rot13 are not charsets
        return ()
    return (info.name,)


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Text of `data`, trusting the declared charset only as far as the bytes agree with it."""
    if not data:
        return ""
    if data.isascii():
        return data.decode("ascii")
    candidates = codecs_for(declared)
    label = (declared or "").strip().lower()
    if label in _SINGLE_BYTE_WESTERN or any(c in ("latin_1", "cp1252", "iso8859-15") for c in candidates):
        # UTF-8 labelled Latin-1 by a careless client is common; Latin-1 itself is rarely valid UTF-8.
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if candidates in (_GB, _BIG5):
        # Big5 sent as GB2312 (and the reverse) decodes without error into rare characters.
        chinese = _best_chinese(data, prefer=candidates[0])
        if chinese is not None:
            return chinese
    for codec in candidates:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return decode_unlabelled(data)


def decode_unlabelled(data: bytes) -> str:
    """Text of bytes whose charset is unknown or wrong: UTF-8, then GB18030 or Big5 when the
    result reads as everyday Chinese, else charset-normalizer's best guess."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    chinese = _best_chinese(data, prefer="gb18030")
    if chinese is not None:
        return chinese
    guess = charset_normalizer.from_bytes(data).best()
    if guess is not None:
        return str(guess)
    return data.decode("gb18030", errors="replace")


def _best_chinese(data: bytes, *, prefer: str) -> str | None:
    """The GB18030 or Big5-HKSCS reading of `data` whose characters are the common ones, if any is.

    charset-normalizer cannot tell GBK from Big5 (or from EUC-KR) on a short subject; the share of
    characters from GB2312's level 1 or Big5's frequent block can: a wrong reading yields rare ones.
    """
    readings: list[tuple[float, bool, str]] = []
    for codec, is_common in (("gb18030", _is_common_simplified), ("big5hkscs", _is_common_traditional)):
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        hanzi = [char for char in text if "\u4e00" <= char <= "\u9fff"]
        if hanzi:
            readings.append((sum(map(is_common, hanzi)) / len(hanzi), codec == prefer, text))
    if not readings:
        return None
    share, _, text = max(readings)
    return text if share >= 0.5 else None


def _is_common_simplified(char: str) -> bool:
    try:
        encoded = char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return 0xB0 <= encoded[0] <= 0xD7  # GB2312 level 1: the 3,755 most frequent characters


def _is_common_traditional(char: str) -> bool:
    try:
        encoded = char.encode("big5")
    except UnicodeEncodeError:
        return False
    return 0xA440 <= int.from_bytes(encoded[:2], "big") <= 0xC67E  # Big5's 5,401 frequent characters


# --- Headers (RFC 2047 encoded words, raw 8-bit bytes, and the broken mixtures of both) ------------

_ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?([bBqQ])\?([^?]*?)\?=")
_FOLD = re.compile(rb"\r?\n(?=[ \t])")


def decode_header_bytes(raw: bytes) -> str:
    """A header value as text. Tolerates bad base64, unknown charsets, words split mid-character,
    encoded words inside quotes or glued to other text, and raw GBK/Big5/UTF-8 bytes."""
    raw = _FOLD.sub(b"", raw)
    pieces: list[tuple[bytes, str | None]] = []  # (bytes, charset) — None: literal text
    position = 0
    for match in _ENCODED_WORD.finditer(raw):
        literal = raw[position : match.start()]
        # Whitespace between two adjacent encoded words is not part of the text (RFC 2047 §6.2).
        if literal and not (literal.isspace() and pieces and pieces[-1][1] is not None):
            pieces.append((literal, None))
        charset, encoding, text = match.group(1).decode("ascii", "replace"), match.group(2), match.group(3)
        data = _decode_b(text) if encoding in (b"b", b"B") else _decode_q(text)
        if pieces and pieces[-1][1] == charset:  # a character split across two words is joined again
            pieces[-1] = (pieces[-1][0] + data, charset)
        else:
            pieces.append((data, charset))
        position = match.end()
    if position < len(raw):
        pieces.append((raw[position:], None))
    text = "".join(decode_bytes(data, charset) if charset is not None else decode_unlabelled(data)
                   for data, charset in pieces)
    return " ".join(text.split()) if "\n" in text or "\r" in text or "\t" in text else text.strip()


def _decode_b(text: bytes) -> bytes:
    text = re.sub(rb"[^A-Za-z0-9+/]", b"", text)
    text += b"=" * (-len(text) % 4)
    try:
        return binascii.a2b_base64(text)
    except binascii.Error:  # a single stray character at the end: drop it
        return binascii.a2b_base64(text[: len(text) // 4 * 4 - 4] or b"")


def _decode_q(text: bytes) -> bytes:
    return binascii.a2b_qp(text.replace(b"_", b" "), header=False)


def header_text(value: str | None) -> str:
    """A header as the parser returned it (ASCII with surrogate-escaped raw bytes) decoded to text."""
    if not value:
        return ""
    return decode_header_bytes(str(value).encode("ascii", "surrogateescape"))
