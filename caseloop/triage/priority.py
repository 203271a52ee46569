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
    high_threshold: float = 0.35, exclamations: int = 0,
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
    PriorityRuleSpec("安全风险", HIGH, keywords=("漏电", "触电", "麻手", "冒烟", "起火", "着火", "失火", "自燃", "爆炸", "炸了", "鼓包",
                                              "烧焦", "焦味", "燃气泄漏", "煤气味", "漏气", "短路", "电击", "烫伤", "砸伤", "受伤",
                                              "/发热(?:严重|很厉害|烫手)/", "/过热|烫得/")),
    PriorityRuleSpec("隐私与数据安全", HIGH, keywords=("隐私泄露", "信息泄露", "泄露了我", "泄漏", "个人信息被", "被盗号", "账号被盗",
                                                  "盗刷", "异地登录", "数据泄露", "被人登录")),
    PriorityRuleSpec("舆情风险", HIGH, keywords=("媒体曝光", "曝光", "12315", "消协", "消费者协会", "工信部", "市场监管", "律师",
                                            "起诉", "法院", "上热搜", "发微博", "找记者", "电视台", "黑猫投诉")),
    PriorityRuleSpec("服务中断或无法支付", HIGH, keywords=("无法支付", "支付失败", "付不了款", "付不了钱", "无法下单", "全部瘫痪",
                                                    "系统崩溃", "服务中断", "断网", "/完全(?:无法|不能)使用/")),
    PriorityRuleSpec("核心功能失效", HIGH, keywords=("开不了机", "无法开机", "完全不制冷", "不制热", "彻底坏", "报废", "不能用了")),
    PriorityRuleSpec("高价值客户", HIGH, effect=RAISE, customer_tiers=("vip", "enterprise")),
)
