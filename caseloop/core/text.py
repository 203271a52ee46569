"""Chinese text folding shared by search and (later) triage: one script, one width, one case."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import opencc


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """Full-width → half-width (NFKC), traditional → simplified, lower case.

    The original text is always kept; this form is only for matching.
    """
    return _t2s().convert(unicodedata.normalize("NFKC", text)).lower()


def is_cjk(char: str) -> bool:
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF  # CJK Unified Ideographs
        or 0x3400 <= code <= 0x4DBF  # Extension A
        or 0x20000 <= code <= 0x2FA1F  # Extensions B–F and compatibility supplement
        or 0xF900 <= code <= 0xFAFF  # Compatibility ideographs
    )
