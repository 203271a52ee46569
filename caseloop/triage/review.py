"""Content review (R3.1): ads/spam, insults/abuse, meaningless text, out-of-scope requests.

Rules first (each hit is a reason a reviewer can read), then the models. The verdict is advice:
rejecting a case is an action a person confirms, unless the admin enabled automatic rejection
above a confidence threshold (see `caseloop.triage.services`). Pure: no ORM.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from caseloop.core.text import fold, is_cjk
from caseloop.triage.classifier import Prediction
from caseloop.triage.reasons import Reason
from caseloop.triage.text import NormalisedText

OK, SPAM, ABUSE, OUT_OF_SCOPE, MEANINGLESS = "ok", "spam", "abuse", "out_of_scope", "meaningless"
VERDICTS = (OK, SPAM, ABUSE, OUT_OF_SCOPE, MEANINGLESS)

# Patterns read the folded text (simplified, half-width, lower case).
_SPAM_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("spam.link", re.compile(r"https?://|www\.|\.(?:com|cn|net|top|xyz|vip|cc)(?:/|\b)")),
    ("spam.contact_me", re.compile(r"加(?:我)?(?:微信|薇信|威信|vx|v信|v|qq|扣扣|q群|群)|(?:微信|vx|qq)[号:：]?\s*[a-z0-9_-]{5,}|私聊|私信我")),
    ("spam.money", re.compile(r"刷单|兼职|日赚|日结|月入|躺赚|返利|返现群|代开发票|发票代开|开票联系|低息贷款|无抵押|信用卡套现|套现")),
    ("spam.gambling", re.compile(r"博彩|彩票|赌场|棋牌|百家乐|澳门|老虎机|下注|六合彩")),
    ("spam.crypto", re.compile(r"比特币|虚拟币|usdt|币圈|挖矿|空投")),
    ("spam.prize", re.compile(r"恭喜(?:您|你).{0,8}(?:获得|中奖|抽中)|中奖了|领奖|兑奖|免费领取")),
    ("spam.promotion", re.compile(r"优惠活动|限时特价|点击链接|扫码领取|招代理|诚招|代理加盟|seo|排名优化|引流")),
)
_ABUSE_WORDS = (
    "傻逼", "傻b", "傻比", "煞笔", "沙比", "sb", "s b", "2b", "尼玛", "你妈", "你吗的", "草泥马", "操你", "艹", "cnm", "nmsl",
    "tmd", "他妈的", "妈的", "去死", "死全家", "狗东西", "狗日", "狗屎", "垃圾玩意", "废物", "脑残", "智障", "王八蛋",
    "混蛋", "畜生", "贱人", "滚蛋", "滚犊子", "白痴", "弱智", "神经病", "fuck", "shit", "屌", "婊",
    # Found missing in the corpus's training records: regional and Hong Kong / Taiwan forms too.
    "吃屎", "装屎", "脑瘫", "猪脑子", "是猪吗", "一群猪", "瓜娃子", "北七", "干你娘", "靠北", "仆街", "on9", "收皮", "臭三八",
    "人渣", "不要脸", "饭桶", "穷逼", "rnm", "妈卖批", "卧槽", "土狗", "狗客服", "当狗", "条狗", "屁眼", "傻叉", "傻x", "zz",
    "idiot", "idiots", "bitch", "死光了", "死肥猪", "活着就是浪费", "一群乌龟", "瞎子吗",
)


def _abuse_pattern(word: str) -> str:
    if word.isascii():  # "sb" in "usb" or in the model "SB-X3" is no insult: Latin words stand alone
        return rf"(?<![a-z0-9_.-]){re.escape(word)}(?![a-z0-9_.-])"
    if word == "妈的":  # "我妈的手机" is the customer's mother's phone
        return r"(?<![我她咱俺姑舅姨爸他])妈的"
    return re.escape(word)


_ABUSE_RE = re.compile("|".join(_abuse_pattern(w) for w in sorted(_ABUSE_WORDS, key=len, reverse=True)))
# Threats of violence or of exposing someone: abuse, but never masked (staff must see them to act).
_THREAT_RE = re.compile(r"打断.{0,4}腿|拍死|弄死|砍死|捅死|撕烂.{0,3}嘴|收拾你们|让(?:他|她|你)好看|翻桌|拎.{0,3}汽油|泼汽油|枪毙"
                        r"|出门.{0,4}被车撞|找好人了|带人过去|带上几个兄弟|人肉搜|扒出来.{0,20}发到网上|见一次骂一次")
# Words in quotation marks are someone else's (the customer reporting what staff said to them).
_QUOTED = re.compile(r"「[^」]{0,40}」|『[^』]{0,40}』|“[^”]{0,40}”|\"[^\"]{0,40}\"")
_OUT_OF_SCOPE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("out_of_scope.job", re.compile(r"应聘|求职|投简历|简历|招聘吗|招人吗")),
    ("out_of_scope.homework", re.compile(r"作业|论文|考试答案|这道题")),
    ("out_of_scope.loan", re.compile(r"借(?:我)?(?:点)?钱|借款给我")),
)
_MEANINGLESS_WORDS = {"在吗", "在不在", "你好", "您好", "喂", "hello", "hi", "测试", "test", "111", "1", "?", "？", "。", "嗯", "哦", "啊"}
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890")


@dataclass(frozen=True)
class Verdict:
    label: str
    confidence: float
    reasons: list[Reason] = field(default_factory=list)
    masked_text: str = ""  # the text with insults masked (shown to staff instead of the words)
    # A complaint with insults inside is still a complaint: it is handled, not rejected.
    has_substance: bool = True

    @property
    def is_rejectable(self) -> bool:
        return self.label in (SPAM, MEANINGLESS, OUT_OF_SCOPE) or (self.label == ABUSE and not self.has_substance)


def mask_abuse(text: str) -> str:
    """Insults replaced by ＊, matched on the folded text and masked in the customer's own script.

    Folding keeps positions for almost every text; when it does not (rare compatibility
    characters), the folded text itself is masked instead.
    """
    folded = fold(text)
    base = list(text if len(folded) == len(text) else folded)
    for match in _ABUSE_RE.finditer(folded):
        for i in range(match.start(), match.end()):
            base[i] = "＊"
    return "".join(base)


def _meaningful_characters(folded: str) -> str:
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


# UTF-8 read as Latin-1 ("ä½ å¥½" for 你好): a sender's broken encoding, not words.
_MOJIBAKE = re.compile(r"[\u00c0-\u00ff]")


def _is_meaningless(folded: str) -> str | None:
    core = _meaningful_characters(folded)
    if not core:
        return "meaningless.empty"
    if len(_MOJIBAKE.findall(core)) >= max(3, len(core) // 3) and not any(is_cjk(ch) for ch in core):
        return "meaningless.garbled"
    if core in _MEANINGLESS_WORDS or folded.strip() in _MEANINGLESS_WORDS or re.fullmatch(r"(?:测试)+|(?:test)+|[0-9]{1,8}", core):
        return "meaningless.filler"
    if len(core) >= 3 and max(core.count(ch) for ch in set(core)) / len(core) >= 0.8:
        return "meaningless.repeated"
    mashed = any(core in row or core[:5] in row for row in _KEYBOARD_ROWS) or not re.search(r"[aeiou]", core)
    if core.isascii() and core.isalpha() and len(core) >= 4 and mashed:
        return "meaningless.keyboard"
    return None


def review(text: NormalisedText, *, predictions: dict[str, Prediction], abuse_probability: float | None,
           abuse_threshold: float = 0.85) -> Verdict:
    folded = text.folded
    reasons: list[Reason] = []
    meaningless = _is_meaningless(folded)
    if meaningless:
        return Verdict(MEANINGLESS, 0.99, [Reason("rule", meaningless)], masked_text=text.original, has_substance=False)

    head = predictions.get("review")
    type_prediction = predictions.get("type")
    # Substance: the type model sees a real problem in it, not just noise around an insult.
    has_substance = bool(type_prediction and type_prediction.label != "other" and type_prediction.confidence >= 0.3)
    unquoted = _QUOTED.sub(" ", folded)
    abuse_hits = sorted({m.group(0) for m in _ABUSE_RE.finditer(unquoted)})
    threat_hits = sorted({m.group(0) for m in _THREAT_RE.finditer(unquoted)})
    spam_hits = [(code, m.group(0)) for code, pattern in _SPAM_RULES if (m := pattern.search(folded))]
    scope_hits = [(code, m.group(0)) for code, pattern in _OUT_OF_SCOPE_RULES if (m := pattern.search(folded))]
    model_label = head.label if head else OK
    model_conf = head.confidence if head else 0.0

    if spam_hits and (len(spam_hits) >= 2 or model_label == SPAM or not has_substance):
        reasons += [Reason("rule", code, detail=hit) for code, hit in spam_hits]
        confidence = max(model_conf if model_label == SPAM else 0.0, 0.9 if len(spam_hits) >= 2 else 0.75)
        if model_label == SPAM:
            reasons.append(Reason("model", "review.model", detail=SPAM, confidence=model_conf))
        return Verdict(SPAM, round(confidence, 3), reasons, masked_text=text.original, has_substance=False)
    if model_label == SPAM and model_conf >= 0.6:
        return Verdict(SPAM, round(model_conf, 3), [Reason("model", "review.model", detail=SPAM, confidence=model_conf)],
                       masked_text=text.original, has_substance=False)

    # Without an insult word, both models must agree: an angry complaint is not abuse.
    abusive_model = (abuse_probability is not None and abuse_probability >= abuse_threshold
                     and model_label == ABUSE and model_conf >= 0.6)
    if abuse_hits or threat_hits or abusive_model:
        reasons += [Reason("rule", "abuse.words", detail="、".join(abuse_hits))] if abuse_hits else []
        reasons += [Reason("rule", "abuse.threat", detail="、".join(threat_hits))] if threat_hits else []
        if abuse_probability is not None:
            reasons.append(Reason("model", "abuse.model", confidence=abuse_probability))
        confidence = max(0.9 if abuse_hits or threat_hits else 0.0, abuse_probability or 0.0)
        return Verdict(ABUSE, round(confidence, 3), reasons, masked_text=mask_abuse(text.original),
                       has_substance=has_substance)

    if scope_hits and not has_substance:
        reasons += [Reason("rule", code, detail=hit) for code, hit in scope_hits]
        return Verdict(OUT_OF_SCOPE, max(0.8, model_conf if model_label == OUT_OF_SCOPE else 0.0), reasons,
                       masked_text=text.original, has_substance=False)
    if model_label in (OUT_OF_SCOPE, MEANINGLESS, ABUSE) and model_conf >= 0.6 and not has_substance:
        return Verdict(model_label, round(model_conf, 3),
                       [Reason("model", "review.model", detail=model_label, confidence=model_conf)],
                       masked_text=mask_abuse(text.original) if model_label == ABUSE else text.original,
                       has_substance=False)
    confidence = head.scores.get(OK, 1.0) if head else 1.0
    return Verdict(OK, round(confidence, 3), [], masked_text=text.original, has_substance=True)
