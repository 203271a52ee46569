"""Canonical forms of contact points, so one customer is found however they wrote their number."""

from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"[^\d+]")


def normalize_phone(raw: str) -> str:
    """'+86 138-0013-8000' and '13800138000' are the same mainland mobile; keep other numbers whole.

    Full-width digits (１３８…) are folded first; a leading +86/0086/86 before an 11-digit
    mobile number is dropped. Hong Kong/Taiwan numbers keep their country code.
    """
    text = raw.strip().translate(_FULLWIDTH_DIGITS)
    text = _NON_DIGITS.sub("", text)
    if text.startswith("00"):
        text = "+" + text[2:]
    for prefix in ("+86", "86"):
        rest = text[len(prefix):]
        if text.startswith(prefix) and len(rest) == 11 and rest.startswith("1"):
            return rest
    return text


def normalize_email(raw: str) -> str:
    return raw.strip().lower()


_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９＋", "0123456789+")
