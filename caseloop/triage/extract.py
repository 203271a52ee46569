"""Key information in the customer's words (R3.3): contacts, orders, products, money, time, place.

Pure: patterns for order numbers, product models and serial numbers are configurable per
organisation (`ExtractionPattern`) and passed in. Extracted values are suggestions; the caller
fills only empty case fields with them (never overwrites what a person entered).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from caseloop.core.text import fold


@dataclass(frozen=True)
class Entity:
    kind: str  # phone | email | order_number | tracking_number | product_model | serial_number | amount | datetime | address
    text: str  # as written
    value: str  # normalised (E.164-like phone, ISO date/datetime, amount in yuan…)
    start: int  # offset in the NFKC-normalised text

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class PatternSpec:
    """An organisation's own pattern for one kind (a regex with an optional group 'value')."""

    kind: str
    regex: str


DEFAULT_PATTERNS: tuple[PatternSpec, ...] = (
    # An order number is usually introduced by its label; bare long digit runs are tried last.
    PatternSpec("tracking_number", r"(?:快递单号|运单号|物流单号|快递号)[:：\s]*(?P<value>[A-Za-z]{0,4}\d{8,20})"),
    PatternSpec("tracking_number", r"\b(?P<value>(?:SF|JD|YT|ZTO|STO|YD|EMS|JT)\d{10,16})\b"),
    PatternSpec("order_number", r"(?:订单号|订单编号|订单|单号|order\s*(?:no\.?|number|#)?)[:：\s#]*(?P<value>[A-Za-z]{0,4}\d[\dA-Za-z-]{7,29})"),
    PatternSpec("serial_number", r"(?:序列号|串号|机身号|S/?N|IMEI|条码)[:：\s]*(?P<value>[A-Za-z0-9-]{6,30})"),
    PatternSpec("product_model", r"(?:型号|机型|model)[:：\s]*(?P<value>[A-Za-z0-9][A-Za-z0-9 .+/-]{1,24}[A-Za-z0-9+])"),
    # Model-like tokens: letters and digits with a dash or a letter-digit mix, e.g. KFR-35GW, XQG100-B1, P60 Pro.
    PatternSpec("product_model", r"(?<![A-Za-z0-9])(?P<value>[A-Z]{1,6}-?\d{1,5}[A-Z0-9]*(?:[-/][A-Za-z0-9]{1,8})*(?:\s?(?:Pro|Max|Plus|Ultra|Mini|SE))?)(?![A-Za-z0-9])"),
)

_MAINLAND_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})-(\d{7,8})(?!\d)")
_HK = re.compile(r"(?<!\d)(?:\+?852[\s-]?)([5689]\d{3})[\s-]?(\d{4})(?!\d)")
_TW = re.compile(r"(?<!\d)(?:\+?886[\s-]?|0)(9\d{2})[\s-]?(\d{3})[\s-]?(\d{3})(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_AMOUNT = re.compile(
    r"(?:(?:¥|￥|RMB|rmb|人民币)\s?(?P<a>\d+(?:,\d{3})*(?:\.\d{1,2})?)"
    r"|(?P<b>\d+(?:,\d{3})*(?:\.\d{1,2})?)\s?(?:元|块钱|块|rmb|RMB)"
    r"|(?P<c>[零一二两三四五六七八九十百千万]+)\s?(?:元|块钱|块))"
)
# A place name never contains these (they are the words around it: 我在…买的, 寄到…, 住…).
_PLACE = r"(?:(?![在到是我的了买買住寄送从從于於和与與给給把被去来來])[\u4e00-\u9fff])"
_ADDRESS = re.compile(
    rf"(?P<value>(?:{_PLACE}{{2,7}}(?:省|自治区|自治區))?(?:{_PLACE}{{2,7}}市)?(?:{_PLACE}{{1,7}}(?:区|區|县|縣))?"
    rf"(?:{_PLACE}|[0-9]){{1,15}}(?:路|街|道|大道|巷|弄)(?:[0-9一二三四五六七八九十]{{1,3}}段)?[0-9一二三四五六七八九十]{{1,5}}(?:号|號)"
    rf"(?:(?:{_PLACE}|[0-9A-Za-z]){{0,12}}(?:小区|小區|大厦|大廈|花园|花園|公寓|苑|城|广场|廣場|中心|大楼|大樓))?"
    r"(?:\d{1,3}(?:栋|棟|幢|号楼|號樓))?(?:\d{1,2}(?:单元|單元))?(?:\d{1,3}(?:楼|樓))?(?:\d{1,5}(?:室|房))?)"
)
# Hong Kong numbers are 8 digits without a trunk prefix: taken without +852 only near a mention of Hong Kong.
_HK_LOCAL = re.compile(r"(?:香港|港|HK|hk)\D{0,8}?(?<!\d)(?P<a>[5-9]\d{3})[\s-]?(?P<b>\d{4})(?!\d)")

_ADDRESS_LABEL = re.compile(r"^.*?(?:收货地址|家庭住址|地址是|地址|住在|家住|位于|寄到|送到)[:：]?")

_CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}


def chinese_number(text: str) -> int | None:
    """三千五 → 3500? No: 三千五百 → 3500, 十二 → 12, 两 → 2. None when it is not a number."""
    if text.isdigit():
        return int(text)
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            unit = _CN_UNITS[ch]
            if unit == 10000:
                total = (total + section + (digit or 0)) * unit
                section = 0
            else:
                section += (1 if digit is None else digit) * unit
            digit = None
        else:
            return None
    return total + section + (digit or 0)


_NUM = r"(?:\d{1,4}|[零一二两三四五六七八九十]{1,3})"
_DATE_ABSOLUTE = re.compile(rf"(?:(?P<y>\d{{4}})年)?(?P<m>{_NUM})月(?P<d>{_NUM})(?:日|号)")
_DATE_ISO = re.compile(r"(?<!\d)(?P<y>20\d{2})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)")
_RELATIVE_DAYS = {"今天": 0, "今日": 0, "今早": 0, "今晚": 0, "昨天": -1, "昨日": -1, "昨晚": -1, "前天": -2, "大前天": -3}
_DAYPART_HOURS = {"凌晨": 3, "早上": 8, "早晨": 8, "上午": 10, "中午": 12, "下午": 15, "傍晚": 18, "晚上": 20, "半夜": 23, "夜里": 23}
_RELATIVE = re.compile(r"(?P<day>大前天|前天|昨天|昨日|昨晚|今天|今日|今早|今晚)(?P<part>凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|半夜|夜里)?"
                       rf"(?:(?P<h>{_NUM})点(?:(?P<min>{_NUM})分?|半)?)?")
_AGO = re.compile(rf"(?P<n>{_NUM}|半|几)(?:个)?(?P<unit>天|日|周|星期|礼拜|月)(?:以前|之前|前)")
_WEEKDAY = re.compile(r"(?P<which>上|这|本)?(?:个)?(?:周|星期|礼拜)(?P<d>[一二三四五六日天1-7])")
_WEEKDAY_INDEX = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6,
                  "1": 0, "2": 1, "3": 2, "4": 3, "5": 4, "6": 5, "7": 6}
_LAST_MONTH = re.compile(r"上(?:个)?月(?:(?P<d>\d{1,2}|[一二三四五六七八九十]{1,3})(?:号|日))?")


class Extractor:
    """Finds entities in one text. Build once (patterns compile), call per text."""

    def __init__(self, patterns: Iterable[PatternSpec] = ()) -> None:
        # The organisation's patterns are tried before the defaults of the same kind.
        specs = [*patterns, *DEFAULT_PATTERNS]
        self._patterns = [(spec.kind, re.compile(spec.regex, re.IGNORECASE if spec.kind != "product_model" or "型号" in spec.regex else 0))
                          for spec in specs]

    def extract(self, text: str, *, reference: dt.datetime) -> list[Entity]:
        """`reference`: when the customer wrote (relative dates like 昨天 count from it), local time."""
        text = unicodedata.normalize("NFKC", text)
        found: list[Entity] = []
        taken: list[tuple[int, int]] = []

        def add(kind: str, start: int, end: int, raw: str, value: str) -> None:
            if any(start < e and s < end for s, e in taken):
                return
            taken.append((start, end))
            found.append(Entity(kind=kind, text=raw, value=value, start=start))

        for match in _EMAIL.finditer(text):
            add("email", match.start(), match.end(), match.group(0), match.group(0).lower())
        for regex, normalise in ((_MAINLAND_MOBILE, lambda m: "+86" + "".join(m.groups())),
                                 (_HK, lambda m: "+852" + "".join(m.groups())),
                                 (_TW, lambda m: "+886" + "".join(m.groups())),
                                 (_LANDLINE, lambda m: "+86" + m.group(1)[1:] + m.group(2))):
            for match in regex.finditer(text):
                add("phone", match.start(), match.end(), match.group(0), normalise(match))
        for match in _HK_LOCAL.finditer(text):
            add("phone", match.start("a"), match.end("b"), text[match.start("a"):match.end("b")],
                "+852" + match.group("a") + match.group("b"))
        for kind, pattern in self._patterns:
            for match in pattern.finditer(text):
                group = "value" if "value" in pattern.groupindex else 0
                value = match.group(group)
                if kind == "product_model" and not _looks_like_model(value):
                    continue
                add(kind, match.start(group), match.end(group), value, value.strip().upper() if kind != "order_number" else value.strip())
        for match in _AMOUNT.finditer(text):
            raw_number = match.group("a") or match.group("b") or match.group("c") or ""
            number = raw_number.replace(",", "")
            amount = chinese_number(number) if match.group("c") else float(number)
            if amount is not None:
                add("amount", match.start(), match.end(), match.group(0), f"{float(amount):.2f}")
        for entity in _dates(text, reference):
            add(entity.kind, entity.start, entity.start + len(entity.text), entity.text, entity.value)
        for match in _ADDRESS.finditer(text):
            label = _ADDRESS_LABEL.match(match.group("value"))
            offset = label.end() if label else 0
            address = match.group("value")[offset:]
            add("address", match.start() + offset, match.end(), address, address)
        found.sort(key=lambda e: e.start)
        return found


def _looks_like_model(value: str) -> bool:
    value = value.strip()
    has_digit = any(ch.isdigit() for ch in value)
    has_letter = any(ch.isalpha() for ch in value)
    # "12315", "5G", "4K", "S1" are words, not models.
    return has_digit and has_letter and len(value) >= 3 and value.upper() not in {"12315", "WIFI6", "USB3"}


def _dates(text: str, reference: dt.datetime) -> Sequence[Entity]:
    out: list[Entity] = []
    today = reference.date()
    for match in _DATE_ISO.finditer(text):
        day = _safe_date(int(match.group("y")), int(match.group("m")), int(match.group("d")))
        if day:
            out.append(Entity("datetime", match.group(0), day.isoformat(), match.start()))
    for match in _DATE_ABSOLUTE.finditer(text):
        month, day_n = chinese_number(match.group("m")), chinese_number(match.group("d"))
        if not month or not day_n:
            continue
        year = int(match.group("y")) if match.group("y") else today.year
        day = _safe_date(year, month, day_n)
        if day and not match.group("y") and day > today:
            day = _safe_date(year - 1, month, day_n)  # "3月5号" written in February means last year's
        if day:
            out.append(Entity("datetime", match.group(0), day.isoformat(), match.start()))
    for match in _RELATIVE.finditer(text):
        day = today + dt.timedelta(days=_RELATIVE_DAYS[match.group("day")])
        hour = None
        if match.group("h"):
            hour = chinese_number(match.group("h"))
            part = match.group("part") or ""
            if hour is not None and part in {"下午", "傍晚", "晚上"} and hour < 12:
                hour += 12
        elif match.group("part"):
            hour = _DAYPART_HOURS[match.group("part")]
        elif match.group("day") in {"昨晚", "今晚"}:
            hour = 20
        if hour is not None and 0 <= hour <= 23:
            minute = 30 if match.group(0).endswith("半") else (chinese_number(match.group("min") or "0") or 0)
            moment = dt.datetime.combine(day, dt.time(hour, min(minute, 59)), tzinfo=reference.tzinfo)
            out.append(Entity("datetime", match.group(0), moment.isoformat(), match.start()))
        else:
            out.append(Entity("datetime", match.group(0), day.isoformat(), match.start()))
    for match in _AGO.finditer(text):
        n = 0.5 if match.group("n") == "半" else (3 if match.group("n") == "几" else chinese_number(match.group("n")))
        if not n:
            continue
        days = {"天": 1, "日": 1, "周": 7, "星期": 7, "礼拜": 7, "月": 30}[match.group("unit")] * n
        out.append(Entity("datetime", match.group(0), (today - dt.timedelta(days=round(days))).isoformat(), match.start()))
    for match in _WEEKDAY.finditer(text):
        target = _WEEKDAY_INDEX[match.group("d")]
        monday = today - dt.timedelta(days=today.weekday())
        if match.group("which") == "上":
            monday -= dt.timedelta(days=7)
        day = monday + dt.timedelta(days=target)
        if not match.group("which") and day > today:
            day -= dt.timedelta(days=7)
        out.append(Entity("datetime", match.group(0), day.isoformat(), match.start()))
    for match in _LAST_MONTH.finditer(text):
        first = today.replace(day=1) - dt.timedelta(days=1)
        if match.group("d"):
            day_n = chinese_number(match.group("d"))
            day = _safe_date(first.year, first.month, day_n or 1)
            if day:
                out.append(Entity("datetime", match.group(0), day.isoformat(), match.start()))
        else:
            out.append(Entity("datetime", match.group(0), f"{first:%Y-%m}", match.start()))
    return out


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def first_of(entities: Sequence[Entity], kind: str) -> Entity | None:
    return next((e for e in entities if e.kind == kind), None)


def mentions(text: str, words: Iterable[str]) -> list[str]:
    """Which of `words` occur in `text` (both folded), in the order given."""
    folded = fold(text)
    return [w for w in words if w and fold(w) in folded]
