"""The rule side of triage, without any model: review rules, priority rules, issue points, demand.

Predictions are passed as plain values (what a model would have said), so each rule's effect is
seen on its own.
"""

from __future__ import annotations

import pytest

from caseloop.triage import priority, review
from caseloop.triage.classifier import Prediction
from caseloop.triage.text import Segmenter, fold_for_models, normalise
from caseloop.triage.understand import core_demand, issue_points

SEGMENTER = Segmenter()


def predicted(task: str, label: str, confidence: float = 0.9, **others: float) -> dict[str, Prediction]:
    scores = {label: confidence, **others}
    return {task: Prediction(label, confidence, scores)}


def verdict(text: str, predictions: dict[str, Prediction] | None = None, abuse: float | None = None) -> review.Verdict:
    return review.review(normalise(text, SEGMENTER), predictions=predictions or {}, abuse_probability=abuse)


@pytest.mark.parametrize("text", ["", "？？？", "asdfghjkl", "111111", "测试测试", "在吗", "😀😀😀", "啊啊啊啊啊啊"])
def test_meaningless_text_is_recognised_by_rule(text: str) -> None:
    result = verdict(text)
    assert result.label == review.MEANINGLESS
    assert result.is_rejectable
    assert result.reasons[0].kind == "rule"


def test_an_advert_with_a_link_and_a_contact_is_spam_with_both_reasons() -> None:
    result = verdict("兼职刷单日赚500，加微信 abc12345 详聊 www.xx.top")
    assert result.label == review.SPAM
    assert {r.code for r in result.reasons} >= {"spam.money", "spam.contact_me", "spam.link"}
    assert result.is_rejectable


def test_a_real_complaint_that_mentions_a_website_is_not_spam() -> None:
    real = predicted("type", "system_fault", 0.8)
    result = verdict("你们官网 www.example.com 一直打不开，付不了款", real)
    assert result.label == review.OK


def test_insults_are_masked_and_a_complaint_inside_them_is_still_handled() -> None:
    real = predicted("type", "logistics", 0.7)
    result = verdict("你们这帮傻逼，快递十天了还没到", real)
    assert result.label == review.ABUSE
    assert "傻逼" not in result.masked_text
    assert "＊＊" in result.masked_text
    assert result.has_substance
    assert not result.is_rejectable


def test_insults_in_traditional_script_are_masked_in_the_customers_script() -> None:
    result = verdict("你們這群廢物，冷氣壞了三天沒人管", predicted("type", "service_process", 0.6))
    assert result.masked_text.startswith("你們這群＊＊")


def test_pure_abuse_is_rejectable() -> None:
    result = verdict("去死吧垃圾玩意", predicted("type", "other", 0.9))
    assert result.label == review.ABUSE
    assert result.is_rejectable


@pytest.mark.parametrize("text", [
    "能帮我给我妈的手机充一百块话费吗",  # 妈的 inside 我妈的
    "我的usb接口松了，充不进电",  # sb inside usb
    "客服跟同事说「又是这个神经病」，我听得清清楚楚",  # the insult is what staff said, quoted
    "跑步机型号 SB-200，用了一周皮带跑偏",  # sb as part of a product model
])
def test_words_that_only_look_like_insults_are_not_abuse(text: str) -> None:
    assert verdict(text, predicted("type", "service_attitude", 0.7)).label != review.ABUSE


def test_an_angry_complaint_without_insults_needs_both_models_to_be_called_abuse() -> None:
    angry = "你们等着，我明天就去找律师，看你们怕不怕！！"
    assert verdict(angry, predicted("review", "ok", 0.7), abuse=0.95).label == review.OK
    assert verdict(angry, predicted("review", "abuse", 0.8), abuse=0.95).label == review.ABUSE


def test_a_threat_is_abuse_with_its_own_reason_and_stays_readable() -> None:
    text = "再不退押金，我就拎一桶汽油去你们门店"
    result = verdict(text, predicted("type", "fee_dispute", 0.7))
    assert result.label == review.ABUSE
    assert [r.code for r in result.reasons if r.kind == "rule"] == ["abuse.threat"]
    assert result.masked_text == text  # staff must read a threat to act on it
    assert not result.is_rejectable  # the deposit is still a complaint to handle


@pytest.mark.parametrize("text", ["幹你娘 什麼爛東西", "仆街，成間公司都係on9", "一群吃屎长大的玩意儿"])
def test_insults_of_other_regions_and_scripts_are_recognised(text: str) -> None:
    assert verdict(text, predicted("type", "other", 0.8)).label == review.ABUSE


def test_mentioning_an_online_loan_is_not_advertising_one() -> None:
    # Debt-collection calls are a privacy complaint, not spam.
    result = verdict("自从在你们平台买了手机，天天有网贷催收电话打给我", predicted("type", "privacy_security", 0.7))
    assert result.label == review.OK


def test_text_garbled_by_a_wrong_encoding_is_meaningless_not_spam() -> None:
    garbled = "你好，我的空调坏了".encode().decode("latin-1")
    result = verdict(garbled, predicted("review", "spam", 0.9))
    assert result.label == review.MEANINGLESS
    assert result.reasons[0].code == "meaningless.garbled"


def test_a_job_application_is_out_of_scope() -> None:
    result = verdict("你好，我想应聘你们公司的销售岗位，简历怎么投", predicted("type", "consultation", 0.2))
    assert result.label == review.OUT_OF_SCOPE


def grade(text: str, predictions: dict[str, Prediction] | None = None, **kwargs: object) -> priority.Grade:
    return priority.grade(folded=fold_for_models(text), predictions=predictions or {}, rules=priority.DEFAULT_RULES,
                          **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "rule"), [
    ("热水器漏电，洗澡时手都麻了", "安全风险"),
    ("充電寶充電時冒煙了", "安全风险"),  # traditional script is folded first
    ("我的个人信息泄露了，天天接到骚扰电话", "隐私与数据安全"),
    ("再不解决我就投诉到12315", "舆情风险"),
    ("APP无法支付，订单一直失败", "服务中断或无法支付"),
])
def test_the_default_rules_make_a_case_high_and_say_which_rule_and_word(text: str, rule: str) -> None:
    result = grade(text)
    assert result.level == priority.HIGH
    assert any(r.kind == "rule" and r.detail.startswith(rule) for r in result.reasons)


def test_without_rules_or_signals_the_models_level_is_used_and_named() -> None:
    result = grade("希望增加夜间模式", predicted("priority", "low", 0.8, medium=0.15, high=0.05))
    assert result.level == priority.LOW
    assert [r.code for r in result.reasons] == ["priority.model"]


def test_the_model_says_high_at_a_lower_probability_than_the_other_levels() -> None:
    result = grade("东西有点问题", predicted("priority", "medium", 0.55, high=0.4, low=0.05), high_threshold=0.35)
    assert result.level == priority.HIGH


def test_strong_emotion_with_a_demand_for_an_immediate_fix_is_high() -> None:
    emotion = predicted("emotion", "strong", 0.8)
    result = grade("气死我了！！！今天必须给我解决", emotion)
    assert result.level == priority.HIGH
    assert {r.code for r in result.reasons} >= {"emotion.strong", "demand.immediate"}


def test_many_similar_cases_in_a_short_window_make_it_high_with_the_count() -> None:
    result = grade("登录不上", similar_recent=12, surge_threshold=5, surge_window_hours=2)
    assert result.level == priority.HIGH
    assert any(r.code == "scope.surge" and r.detail == "12/2" for r in result.reasons)


def test_a_vip_customer_raises_the_grade_one_level() -> None:
    calm = predicted("priority", "low", 0.9, medium=0.05, high=0.05)
    assert grade("想问下保修多久", calm, customer_tier="vip").level == priority.MEDIUM
    assert grade("想问下保修多久", calm, customer_tier="standard").level == priority.LOW


def test_an_admin_rule_written_as_a_pattern() -> None:
    rule = priority.PriorityRuleSpec("批量故障", priority.HIGH, keywords=("/(?:全部|所有)门店/",))
    result = priority.grade(folded="所有门店的收银机都坏了", predictions={}, rules=[rule])
    assert result.level == priority.HIGH
    assert result.reasons[0].detail == "批量故障 — 所有门店"


def test_a_channel_condition_limits_a_rule() -> None:
    rule = priority.PriorityRuleSpec("微博舆情", priority.HIGH, keywords=("曝光",), channels=("social",))
    assert priority.grade(folded="要曝光你们", predictions={}, rules=[rule], channel="social").level == priority.HIGH
    assert priority.grade(folded="要曝光你们", predictions={}, rules=[rule], channel="web").level == priority.LOW


def test_a_complaint_splits_into_its_standard_issue_points() -> None:
    points = issue_points(fold_for_models("耳机声音断断续续的，还有杂音"))
    assert [p.text for p in points] == ["连接不稳定", "音质异常"]


def test_slow_charging_is_understood_as_low_charging_efficiency() -> None:
    assert [p.text for p in issue_points(fold_for_models("手机充电很慢"))] == ["充电效率低"]


def test_a_problem_without_a_known_symptom_is_kept_in_the_customers_words() -> None:
    points = issue_points(fold_for_models("门店说要等配件。另外发票一直开不出来"))
    assert any(p.text == "发票问题" for p in points)


@pytest.mark.parametrize(("text", "demand"), [
    ("请给我退款", "refund"), ("要求换一台新的", "exchange"), ("必须赔偿我的损失", "compensation"),
    ("请派师傅上门修一下", "repair"), ("请问保修多久", "information"),
])
def test_when_the_model_is_unsure_the_customers_words_name_the_demand(text: str, demand: str) -> None:
    result = core_demand(fold_for_models(text), model_label="none", model_confidence=0.3)
    assert result.code == demand
    assert result.reasons[0].kind == "rule"


def test_a_confident_model_names_the_demand_even_when_a_cue_word_says_otherwise() -> None:
    # 解决 is a 'fix' cue, but the customer wants the money back.
    result = core_demand(fold_for_models("这个问题你们必须解决，我不要了"), model_label="refund", model_confidence=0.8)
    assert (result.code, result.reasons[0].kind) == ("refund", "model")


def test_without_demand_words_the_model_decides_and_says_so() -> None:
    result = core_demand("东西不太好", model_label="apology", model_confidence=0.6)
    assert result.code == "apology"
    assert result.reasons[0].kind == "model"


def test_normalisation_folds_script_width_and_emoji() -> None:
    text = normalise("ＡＰＰ閃退😡！！！！！", SEGMENTER)
    assert text.folded.startswith("app闪退")
    assert "愤怒表情" in text.folded
    assert text.exclamations == 5
    assert "闪退" in text.tokens
