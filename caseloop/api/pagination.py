"""Cursor pagination over (received_at, id): a page starts strictly after the last row of the
previous one, so rows inserted meanwhile neither repeat nor push others out of the walk."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from caseloop.api.errors import ApiError

ORDERINGS = {"desc": ("-received_at", "-id"), "asc": ("received_at", "id")}


@dataclass(frozen=True)
class Position:
    received_at: dt.datetime
    id: int
    order: str


def encode_cursor(position: Position) -> str:
    raw = json.dumps({"r": position.received_at.isoformat(), "i": position.id, "o": position.order},
                     separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, *, order: str) -> Position:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        position = Position(received_at=dt.datetime.fromisoformat(data["r"]), id=int(data["i"]), order=str(data["o"]))
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        raise ApiError(400, "invalid_cursor", _("The cursor is not valid; start again without one."),
                       field="cursor") from None
    if position.order != order or position.received_at.tzinfo is None:
        raise ApiError(400, "invalid_cursor", _("The cursor belongs to another ordering; start again without one."),
                       field="cursor")
    return position


def after(position: Position) -> Q:
    """Rows after `position` in its ordering (the index case_received_desc serves both ways)."""
    if position.order == "desc":
        return Q(received_at__lt=position.received_at) | Q(received_at=position.received_at, id__lt=position.id)
    return Q(received_at__gt=position.received_at) | Q(received_at=position.received_at, id__gt=position.id)
