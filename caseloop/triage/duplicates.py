"""Near-duplicate text, found without a scan (R3.1, R1.5): MinHash signatures and LSH bands.

A text's character 3-gram shingles (folded: simplified, half-width, lower case, letters and
digits only) are summarised by 64 min-hashes; 16 bands of 4 hashes each are its index keys. Two
texts that share one band key are candidates; the share of equal min-hashes estimates their
Jaccard similarity. The keys live in an indexed column (`CaseFingerprintBand`), so a lookup is one
indexed `IN` query however many cases there are. Pure: no ORM.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass

import numpy as np

from caseloop.core.text import fold, is_cjk

NUM_HASHES = 64
BANDS = 16
ROWS = NUM_HASHES // BANDS
SHINGLE = 3
_PRIME = np.uint64((1 << 31) - 1)
# Fixed coefficients: signatures must be comparable across processes, machines and years.
_rng = np.random.default_rng(20261204)
_A = _rng.integers(1, (1 << 31) - 1, size=NUM_HASHES, dtype=np.uint64)
_B = _rng.integers(0, (1 << 31) - 1, size=NUM_HASHES, dtype=np.uint64)


def shingles(text: str) -> set[str]:
    folded = "".join(ch for ch in fold(text) if is_cjk(ch) or ch.isalnum())
    if len(folded) <= SHINGLE:
        return {folded} if folded else set()
    return {folded[i : i + SHINGLE] for i in range(len(folded) - SHINGLE + 1)}


@dataclass(frozen=True)
class Fingerprint:
    signature: np.ndarray  # uint32[NUM_HASHES]
    shingle_count: int

    def to_bytes(self) -> bytes:
        return self.signature.astype("<u4").tobytes()

    @staticmethod
    def from_bytes(data: bytes) -> np.ndarray:
        return np.frombuffer(data, dtype="<u4")

    def band_keys(self) -> list[int]:
        """One signed 64-bit key per band (the band's position is part of the key)."""
        keys = []
        raw = self.signature.astype("<u4")
        for band in range(BANDS):
            chunk = raw[band * ROWS : (band + 1) * ROWS].tobytes()
            digest = hashlib.blake2b(bytes([band]) + chunk, digest_size=8).digest()
            keys.append(int.from_bytes(digest, "little", signed=True))
        return keys


def fingerprint(text: str) -> Fingerprint | None:
    """None for texts too short to compare (fewer than two shingles)."""
    grams = shingles(text)
    if len(grams) < 2:
        return None
    values = np.fromiter((zlib.crc32(g.encode("utf-8")) for g in grams), dtype=np.uint64, count=len(grams))
    values %= _PRIME
    hashed = (_A[:, None] * values[None, :] + _B[:, None]) % _PRIME
    return Fingerprint(signature=hashed.min(axis=1).astype(np.uint32), shingle_count=len(grams))


def estimated_similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / NUM_HASHES


def jaccard(a: str, b: str) -> float:
    left, right = shingles(a), shingles(b)
    if not left or not right:
        return 0.0
    return len(left & right) / len(left | right)
