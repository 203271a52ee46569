"""Near-duplicate fingerprints (R3.1): stable across processes, tolerant of script and punctuation."""

from __future__ import annotations

import subprocess
import sys

from caseloop.triage import duplicates

COMPLAINT = "我家的空调KFR-35GW昨天开始漏水，师傅上门看了说是排水管堵了，可是今天又开始漏水了，请尽快处理"


def test_identical_text_in_traditional_script_and_other_punctuation_is_the_same() -> None:
    a = duplicates.fingerprint(COMPLAINT)
    b = duplicates.fingerprint("我家的空調KFR-35GW昨天開始漏水！師傅上門看了說是排水管堵了；可是今天又開始漏水了。請儘快處理")
    assert a is not None
    assert b is not None
    assert duplicates.estimated_similarity(a.signature, b.signature) >= 0.8
    assert set(a.band_keys()) & set(b.band_keys())


def test_unrelated_texts_share_no_band() -> None:
    a = duplicates.fingerprint(COMPLAINT)
    b = duplicates.fingerprint("快递三天了还没送到，物流信息一直显示在转运中心，打客服电话也没人接")
    assert a is not None
    assert b is not None
    assert duplicates.estimated_similarity(a.signature, b.signature) < 0.2
    assert not set(a.band_keys()) & set(b.band_keys())


def test_the_estimate_tracks_the_true_jaccard_similarity() -> None:
    edited = COMPLAINT.replace("请尽快处理", "希望你们给个说法")
    a, b = duplicates.fingerprint(COMPLAINT), duplicates.fingerprint(edited)
    assert a is not None
    assert b is not None
    assert abs(duplicates.estimated_similarity(a.signature, b.signature) - duplicates.jaccard(COMPLAINT, edited)) < 0.2


def test_signatures_do_not_depend_on_the_process_hash_seed() -> None:
    code = ("from caseloop.triage import duplicates; "
            f"print(duplicates.fingerprint({COMPLAINT!r}).band_keys())")
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,  # noqa: S603
                              env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout for seed in ("1", "2")}
    assert len(outputs) == 1
    assert str(duplicates.fingerprint(COMPLAINT).band_keys()) in outputs.pop()  # type: ignore[union-attr]


def test_a_text_too_short_to_compare_has_no_fingerprint() -> None:
    assert duplicates.fingerprint("好") is None
    assert duplicates.fingerprint("！！！") is None


def test_signature_round_trips_through_bytes() -> None:
    fp = duplicates.fingerprint(COMPLAINT)
    assert fp is not None
    assert (duplicates.Fingerprint.from_bytes(fp.to_bytes()) == fp.signature).all()
