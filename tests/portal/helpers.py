"""Helpers shared by the customer-page tests (tests/portal and tests/browser/test_public_form.py)."""

from __future__ import annotations

import datetime as dt
import re
import struct
import zlib
from typing import Any

import time_machine

from caseloop.portal import spam

CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A real, decodable RGB PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x0f\x76\x6e" * width for _ in range(height))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 112 + b"This program cannot be run"


def stamp_issued(seconds_ago: float) -> str:
    """The form's signed timestamp as if the form had been served `seconds_ago` seconds ago."""
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) - dt.timedelta(seconds=seconds_ago), tick=False):
        return spam.issue_form_stamp()


def feedback_data(**overrides: Any) -> dict[str, Any]:
    """A complete, plausible submission of the public form, filled in over a minute."""
    data: dict[str, Any] = {
        "name": "林女士",
        "phone": "138 0013 8000",
        "email": "lin@example.cn",
        "subject": "冰箱冷藏室不制冷",
        "content": "上个月购买的冰箱，冷藏室这两天完全不制冷，食物已经变质，希望尽快上门维修。",
        "product_model": "BCD-520W",
        "order_number": "JD20240611001",
        "website": "",
        "form_stamp": stamp_issued(60),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def without_csrf(content: bytes) -> bytes:
    return CSRF_INPUT.sub(b'name="csrfmiddlewaretoken" value=""', content)
