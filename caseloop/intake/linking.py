"""Is this the same problem the customer already told us about? Pure text similarity (R1.5).

Character bigrams of the folded text (simplified, half-width, lower case) compared with the
Jaccard index: robust to word order, punctuation and traditional/simplified script. The triage
module's near-duplicate index takes over for duplicates across different customers.
"""

from __future__ import annotations

from caseloop.core.text import fold, is_cjk


def shingles(text: str) -> frozenset[str]:
    folded = "".join(ch for ch in fold(text) if is_cjk(ch) or ch.isalnum())
    if len(folded) < 2:
        return frozenset({folded}) if folded else frozenset()
    return frozenset(folded[i : i + 2] for i in range(len(folded) - 1))


def similarity(a: str, b: str) -> float:
    return jaccard(shingles(a), shingles(b))


def jaccard(left: frozenset[str], right: frozenset[str]) -> float:
    """Shared shingles over all shingles; a text compared with many is shingled once."""
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)
