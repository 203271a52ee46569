"""The spam rules of the public form, without a database."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import signing

from caseloop.portal import spam
from tests.portal.helpers import stamp_issued


def test_a_stamp_issued_a_minute_ago_is_accepted_and_tells_the_time_spent() -> None:
    elapsed = spam.check_form_stamp(stamp_issued(60), min_seconds=3, max_age_seconds=3600)

    assert 59 <= elapsed <= 62


def test_a_form_submitted_faster_than_a_person_can_type_is_refused() -> None:
    with pytest.raises(spam.FormStampInvalid) as refused:
        spam.check_form_stamp(stamp_issued(1), min_seconds=3, max_age_seconds=3600)

    assert refused.value.code == "too_fast"


def test_an_expired_stamp_is_refused() -> None:
    with pytest.raises(spam.FormStampInvalid) as refused:
        spam.check_form_stamp(stamp_issued(7200), min_seconds=3, max_age_seconds=3600)

    assert refused.value.code == "form_expired"


@pytest.mark.parametrize("stamp", ["", "garbage", signing.dumps({"t": 0}, salt="another-form")])
def test_a_missing_or_forged_stamp_is_refused(stamp: str) -> None:
    with pytest.raises(spam.FormStampInvalid) as refused:
        spam.check_form_stamp(stamp, min_seconds=3, max_age_seconds=3600)

    assert refused.value.code == "form_invalid"


def test_a_stamp_from_the_future_counts_as_too_fast() -> None:
    with time_machine.travel(dt.datetime.now(tz=dt.UTC) + dt.timedelta(hours=1), tick=False):
        stamp = spam.issue_form_stamp()

    with pytest.raises(spam.FormStampInvalid):
        spam.check_form_stamp(stamp, min_seconds=3, max_age_seconds=3600)


def test_a_filled_honeypot_is_refused_and_an_empty_one_passes() -> None:
    spam.check_honeypot("")
    spam.check_honeypot("   ")
    with pytest.raises(spam.SubmissionRefused):
        spam.check_honeypot("http://cheap-watches.example")


@pytest.mark.parametrize("text", [
    "洗衣机脱水时噪音很大，希望尽快上门检查。",
    "The dryer stopped working after two weeks; order JD123, see https://example.cn/photo.",
    "哈哈，客服态度很好！！！",
    "电话 138-0013-8000，邮箱 lin@example.cn",
])
def test_ordinary_customer_text_passes(text: str) -> None:
    assert spam.content_problem(text) is None


@pytest.mark.parametrize(("text", "why"), [
    ("", "empty"),
    ("   \n\t ", "empty"),
    ("\u200b\u200b\u3000\ufeff", "empty"),
    ("。。。，，，！！", "empty"),
    ("便宜 https://a.example/1 https://b.example/2 https://c.example/3", "links"),
    ("加微信 www.spam1.com www.spam2.cn shop.vip", "links"),
    ("啊" * 12, "repeated"),
    ("good product!!!!!!!!!!!!!!!!", "repeated"),
    ("ab" * 30, "alphabet"),
])
def test_spam_like_text_is_refused(text: str, why: str) -> None:
    assert spam.content_problem(text), why


def test_an_optional_empty_text_is_accepted() -> None:
    assert spam.content_problem("", required=False) is None
    assert spam.content_problem("\u200b", required=False) is not None


def test_visible_text_drops_whitespace_invisible_characters_and_punctuation() -> None:
    assert spam.visible_text(" 冰箱\u200b 不制冷。\n") == "冰箱不制冷"
