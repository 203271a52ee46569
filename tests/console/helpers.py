"""Helpers shared by the console view tests."""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

from django.http import HttpResponse

from caseloop.accounts.models import Department, User

CASE_LINK = re.compile(r'href="/cases/([A-Z]+\d+)/"')


@dataclass
class Staff:
    home: Department
    away: Department
    agent: User
    other_agent: User
    supervisor: User
    specialist: User
    away_specialist: User
    analyst: User
    auditor: User


def listed_numbers(response: HttpResponse) -> list[str]:
    """The case numbers in the rows of the rendered list table, in page order."""
    html = response.content.decode()
    body = html.split('data-testid="case-table"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return CASE_LINK.findall(body)


def png_bytes() -> bytes:
    """A real 1×1 PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


# A Windows executable: what a .jpg must not be.
EXE_BYTES = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 112 + b"This program cannot be run"
)
