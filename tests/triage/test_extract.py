"""Key information extraction (R3.3): what a handler would otherwise copy out of the text by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from caseloop.triage.extract import Extractor, PatternSpec, chinese_number

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Friday afternoon.
REFERENCE = dt.datetime(2026, 12, 4, 16, 0, tzinfo=SHANGHAI)


def values(text: str, kind: str, extractor: Extractor | None = None) -> list[str]:
    found = (extractor or Extractor()).extract(text, reference=REFERENCE)
    return [e.value for e in found if e.kind == kind]


@pytest.mark.parametrize(("text", "expected"), [
    ("电话 138 0013 8000", "+8613800138000"),
    ("+86-139-1234-5678 回电", "+8613912345678"),
    ("香港 +852 9123 4567", "+85291234567"),
    ("台灣手機 0912-345-678", "+886912345678"),
    ("座机 010-12345678", "+861012345678"),
])
def test_phone_numbers_of_the_mainland_hong_kong_and_taiwan_are_normalised(text: str, expected: str) -> None:
    assert values(text, "phone") == [expected]


def test_an_order_number_after_its_label_is_found_and_not_taken_for_a_phone() -> None:
    text = "订单号：2026103112345678，联系电话13800138000"
    assert values(text, "order_number") == ["2026103112345678"]
    assert values(text, "phone") == ["+8613800138000"]


def test_a_courier_waybill_is_a_tracking_number_not_an_order() -> None:
    text = "快递单号SF1234567890123一直没更新"
    assert values(text, "tracking_number") == ["SF1234567890123"]
    assert values(text, "order_number") == []


def test_product_models_and_serial_numbers() -> None:
    text = "空调型号KFR-35GW/BP2，序列号 SN20231234AB，昨晚漏水"
    assert values(text, "product_model") == ["KFR-35GW/BP2"]
    assert values(text, "serial_number") == ["SN20231234AB"]


def test_12315_and_5g_are_not_product_models() -> None:
    assert values("我要投诉到12315，5G信号也差", "product_model") == []


def test_an_organisation_pattern_is_tried_before_the_defaults() -> None:
    extractor = Extractor([PatternSpec("order_number", r"(?P<value>HX-\d{6})")])
    assert values("我的单子 HX-123456 没发货", "order_number", extractor) == ["HX-123456"]


@pytest.mark.parametrize(("text", "expected"), [
    ("花了3,500元", "3500.00"), ("¥ 99.9", "99.90"), ("退我两千块", "2000.00"), ("扣了三百五十元", "350.00"),
])
def test_amounts_in_digits_and_chinese_numerals(text: str, expected: str) -> None:
    assert values(text, "amount") == [expected]


@pytest.mark.parametrize(("text", "expected"), [
    ("昨天下午3点停电", "2026-12-03T15:00:00+08:00"),
    ("今早就坏了", "2026-12-04"),
    ("前天晚上", "2026-12-02T20:00:00+08:00"),
    ("两周前买的", "2026-11-20"),
    ("3月5号下单", "2026-03-05"),
    ("12月20日要用", "2025-12-20"),  # a date ahead of today, without a year, was last year's
    ("上周五送来的", "2026-11-27"),
    ("2026-11-11 付款", "2026-11-11"),
])
def test_chinese_dates_and_times_are_resolved_against_when_the_customer_wrote(text: str, expected: str) -> None:
    assert values(text, "datetime") == [expected]


def test_an_address_is_found_without_its_label() -> None:
    found = values("收货地址：上海市浦东新区张江路88号3栋1201室，请尽快处理", "address")
    assert found == ["上海市浦东新区张江路88号3栋1201室"]


def test_e_mail_addresses_are_lower_cased() -> None:
    assert values("请回复 Li.Ming@Example.COM", "email") == ["li.ming@example.com"]


@pytest.mark.parametrize(("text", "number"), [("十二", 12), ("两", 2), ("三千五百", 3500), ("一万二千", 12000), ("10", 10)])
def test_chinese_numerals(text: str, number: int) -> None:
    assert chinese_number(text) == number


def test_text_without_key_information_gives_nothing() -> None:
    assert Extractor().extract("服务很好，谢谢", reference=REFERENCE) == []


@pytest.mark.parametrize(("text", "expected"), [
    ("我昨天下午在北京市朝阳区建国路88号SOHO现代城买的", "北京市朝阳区建国路88号SOHO现代城"),
    ("請寄到臺北市大安區忠孝東路四段123號5樓，謝謝", "臺北市大安區忠孝東路四段123號5樓"),
    ("家住杭州市西湖区文三路90号", "杭州市西湖区文三路90号"),
], ids=["words-before-the-city", "taiwan-traditional", "after-a-verb"])
def test_an_address_starts_at_the_place_name_not_at_the_words_before_it(text: str, expected: str) -> None:
    assert values(text, "address") == [expected]


def test_a_hong_kong_number_without_852_is_taken_only_near_a_mention_of_hong_kong() -> None:
    assert values("香港的號碼 9123 4567，請回電", "phone") == ["+85291234567"]
    assert values("退款 9123 4567 元什么时候到", "phone") == []


def test_a_model_keeps_its_variant_suffix() -> None:
    assert values("空调型号 KFR-35GW/BpR3 外机异响", "product_model") == ["KFR-35GW/BPR3"]
