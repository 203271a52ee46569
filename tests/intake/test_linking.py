"""Similarity used to recognise the same problem raised again by the same customer (R1.5)."""

from __future__ import annotations

from caseloop.intake.linking import shingles, similarity


def test_identical_text_in_traditional_and_simplified_script_is_the_same_problem() -> None:
    assert similarity("洗衣机漏水严重，地板都湿了", "洗衣機漏水嚴重,地板都濕了") == 1.0


def test_punctuation_and_width_do_not_matter() -> None:
    assert similarity("ＸＱＧ１００ 漏水！！", "xqg100漏水") == 1.0


def test_different_problems_are_not_similar() -> None:
    assert similarity("洗衣机漏水严重", "快递三天没有送到") < 0.1


def test_empty_text_is_similar_to_nothing() -> None:
    assert similarity("", "洗衣机漏水") == 0.0
    assert shingles("！！") == frozenset()
