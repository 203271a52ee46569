"""Priority grading (R4): admin-editable rules combined with the model, always with reasons.

The grade is the highest of: the levels the rules set, the model's level, and the signals
(strong emotion with a demand for an immediate fix; many similar cases in a short window).
A high-value customer's rule raises the result one level. Pure: rules arrive as `PriorityRuleSpec`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from caseloop.core.text import fold
from caseloop.triage.classifier import Prediction
from caseloop.triage.reasons import Reason

HIGH, MEDIUM, LOW = "high", "medium", "low"
LEVELS = (LOW, MEDIUM, HIGH)  # ascending


def _rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else 1


AT_LEAST, RAISE = "at_least", "raise"


@dataclass(frozen=True)
class PriorityRuleSpec:
    """One rule: when it applies (keywords in the text, a customer tier, a channel), what it does.

    Keywords are alternatives; a keyword may be a regular expression when written as /…/.
    Conditions given together must all hold.
    """

    name: str  # what the supervisor reads, e.g. 安全风险
    level: str = HIGH
    effect: str = AT_LEAST  # at_least: the grade is at least `level`; raise: one level up (at most `level`)
    keywords: tuple[str, ...] = ()
    customer_tiers: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()

    def matches(self, folded: str, *, customer_tier: str, channel: str) -> str | None:
        """The matched keyword (or condition) when the rule applies, else None."""
        if self.customer_tiers and customer_tier not in self.customer_tiers:
            return None
        if self.channels and channel not in self.channels:
            return None
        if not self.keywords:
            return customer_tier if self.customer_tiers else (channel if self.channels else None)
        for keyword in self.keywords:
            if len(keyword) > 2 and keyword.startswith("/") and keyword.endswith("/"):
                found = re.search(keyword[1:-1], folded)
                if found:
                    return found.group(0)
            elif fold(keyword) in folded:
                return keyword
        return None


@dataclass(frozen=True)
class Grade:
    level: str
    reasons: list[Reason] = field(default_factory=list)
    model_level: str = ""
    model_confidence: float = 0.0


# Words of a demand for an immediate fix (R4.1: very upset and demands an immediate fix).
_URGENT_DEMAND = re.compile(r"马上|立刻|立即|今天之内|今天必须|现在就|赶紧|尽快|限你们|24小时内|再不处理")


def grade(
    *, folded: str, predictions: dict[str, Prediction], rules: Sequence[PriorityRuleSpec], customer_tier: str = "",
    channel: str = "", similar_recent: int = 0, surge_threshold: int = 5, surge_window_hours: int = 2,
    high_threshold: float = 0.2, exclamations: int = 0,
) -> Grade:
    reasons: list[Reason] = []
    level = LOW
    raises: list[tuple[PriorityRuleSpec, str]] = []
    for rule in rules:
        hit = rule.matches(folded, customer_tier=customer_tier, channel=channel)
        if hit is None:
            continue
        if rule.effect == RAISE:
            raises.append((rule, hit))
            continue
        reasons.append(Reason("rule", "priority.rule", detail=f"{rule.name} — {hit}"))
        level = max(level, rule.level, key=_rank)

    model = predictions.get("priority")
    model_level, model_conf = LOW, 0.0
    if model is not None:
        p_high = model.scores.get(HIGH, 0.0)
        # Missing a safety complaint is the worst error: high wins at a lower probability than the others.
        model_level = HIGH if p_high >= high_threshold else max(
            (label for label in model.scores if label != HIGH), key=lambda label: model.scores[label], default=MEDIUM)
        model_conf = model.scores.get(model_level, 0.0)
        reasons.append(Reason("model", "priority.model", detail=model_level, confidence=model_conf))
        level = max(level, model_level, key=_rank)

    emotion = predictions.get("emotion")
    strong = emotion is not None and emotion.label == "strong" and emotion.confidence >= 0.5
    if strong or exclamations >= 4:
        reasons.append(Reason("signal", "emotion.strong",
                              confidence=emotion.confidence if emotion is not None and strong else None))
        urgent = _URGENT_DEMAND.search(folded)
        if urgent:
            reasons.append(Reason("signal", "demand.immediate", detail=urgent.group(0)))
            level = HIGH
        else:
            level = max(level, MEDIUM, key=_rank)

    if similar_recent >= surge_threshold:
        reasons.append(Reason("signal", "scope.surge", detail=f"{similar_recent}/{surge_window_hours}"))
        level = HIGH

    for rule, hit in raises:
        raised = LEVELS[min(_rank(level) + 1, _rank(rule.level))]
        if _rank(raised) > _rank(level):
            reasons.append(Reason("rule", "priority.raise", detail=f"{rule.name} — {hit}"))
            level = raised
    return Grade(level=level, reasons=reasons, model_level=model_level, model_confidence=round(model_conf, 3))


# The defaults follow R4.1 of the process documents; admins edit them as `PriorityRule` rows.
DEFAULT_RULES: tuple[PriorityRuleSpec, ...] = (
    PriorityRuleSpec("安全风险", HIGH, keywords=(
        "漏电", "触电", "带电", "电到", "电了一下", "麻手", "发麻", "手麻", "冒烟", "起火", "着火", "失火", "自燃", "火花", "冒火",
        "火苗", "爆炸", "炸了", "炸裂", "爆裂", "爆开", "鼓包", "烧焦", "焦味", "糊味", "燶味", "烧坏", "熔化", "熔掉", "燃气泄漏",
        "煤气味", "燃气味", "瓦斯味", "漏气", "一氧化碳", "中毒", "短路", "电击", "烫伤", "砸伤", "砸到", "夹伤", "割伤", "受伤",
        "流血", "送医", "住院", "摇摇欲坠", "倒塌", "坍塌", "太危险", "安全隐患", "/刹车.{0,4}(?:失灵|软|不灵|没反应)/",
        "/发热(?:严重|很厉害|烫手)/", "/过热|烫得/")),
    PriorityRuleSpec("隐私与数据安全", HIGH, keywords=(
        "隐私泄露", "信息泄露", "泄露了我", "泄漏", "个人信息被", "被盗号", "账号被盗", "盗刷", "盗用", "冒用", "异地登录", "数据泄露",
        "被人登录", "被人改了密码", "陌生设备", "偷拍", "拷走", "监控画面", "摄像头画面", "监视器画面", "真实号码",
        "/验证码.{0,10}(?:念|告诉|发给|给了)/", "/(?:骗子|诈骗).{0,12}(?:订单|信息|姓名|地址)/")),
    PriorityRuleSpec("舆情风险", HIGH, keywords=("媒体曝光", "曝光", "12315", "消协", "消费者协会", "消委会", "消基会", "工信部",
                                            "市场监管", "律师", "起诉", "法院", "报警", "上热搜", "发微博", "找记者", "电视台",
                                            "黑猫投诉", "投诉到底")),
    PriorityRuleSpec("服务中断或无法支付", HIGH, keywords=(
        "无法支付", "支付失败", "付不了款", "付不了钱", "无法下单", "全部瘫痪", "瘫痪", "宕机", "系统崩溃", "服务中断", "断网",
        "无法登录", "登录不了", "取不出", "转不出", "提不了现", "领不到钱", "/完全(?:无法|不能)使用/",
        "/(?:全市|全城|全小区|整栋|整个小区|所有人|大家)都.{0,8}(?:不了|不能|没法|无法|断)/",
        "/扣(?:了)?(?:款|钱).{0,12}(?:失败|没有?(?:到账|成功|订单|生成))/")),
    PriorityRuleSpec("核心功能失效", HIGH, keywords=("开不了机", "无法开机", "开机没反应", "完全不制冷", "不制热", "彻底坏", "报废",
                                              "不能用了", "变砖", "/(?:反复|一直|不停)重启/", "进不了桌面")),
    PriorityRuleSpec("高价值客户", HIGH, effect=RAISE, customer_tiers=("vip", "enterprise")),
)
