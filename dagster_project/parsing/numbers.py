"""Quantities in clean Chinese text: numerals, multipliers, units, ranges, qualifiers.

``find_quantities(text)`` returns every number the spec counts, with its span, value in base
units, unit and measure; dates, durations, ages, ranks, names and idioms are left out.
"""
from __future__ import annotations

import re
from typing import NamedTuple

CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_SMALL_UNIT = {"十": 10, "百": 100, "千": 1000}
CN_BIG_UNIT = {"万": 10**4, "亿": 10**8}
MULTIPLIER = {"万亿": 10**12, "亿": 10**8, "千万": 10**7, "百万": 10**6, "万": 10**4, "千": 10**3, "百": 100}

CURRENCY = {"美元": "USD", "美金": "USD", "欧元": "EUR", "港元": "HKD", "港币": "HKD", "日元": "JPY",
            "英镑": "GBP", "韩元": "KRW", "人民币": "CNY", "元": "CNY", "块": "CNY"}
AREA = {"平方公里": 1e6, "平方千米": 1e6, "平方米": 1.0, "平米": 1.0, "平方厘米": 1e-4, "㎡": 1.0, "m2": 1.0,
        "公顷": 1e4, "平": 1.0}
MEASURES = ("人次", "场次", "场", "间", "家", "人", "单", "件", "个", "名", "台", "根", "项", "次", "款", "位", "座",
            "所", "批", "条", "部", "辆", "套", "箱", "份", "张", "户", "只", "支", "瓶", "包", "单品", "笔", "种", "类",
            "款式", "车", "栋", "层", "集", "期", "节", "级")
NOT_MEASURES = {"期", "节", "级", "层", "集", "类", "种"}  # too often not a count of things

ARABIC = r"\d+(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
CN_NUM = r"[零〇一二两三四五六七八九十百千]+"
MULT = r"万亿|亿|千万|百万|万|千|百"
SCALING_MULT = frozenset(("万", "亿", "万亿", "千万", "百万"))  # a number scaled by one needs no unit
APPROX_SUFFIX = r"多|余"
UNIT = (r"个百分点|%|‰|倍|成(?![本为功长立熟交员])|"
        + "|".join(sorted(list(CURRENCY) + list(AREA) + ["亩"] + [m for m in MEASURES], key=len, reverse=True)))


def one_number(g: str) -> str:
    return (rf"(?:(?P<{g}a>{ARABIC})|(?P<{g}c>{CN_NUM}))(?P<{g}s1>{APPROX_SUFFIX})?"
            rf"(?: ?(?P<{g}m>{MULT}))?(?P<{g}s2>{APPROX_SUFFIX})?")


RANGE_SEP = r"\s*(?:—|–|-|~|～|至|到)\s*"
# QUANTITY, BARE_MAGNITUDE and FRACTION open with a lookahead on the characters they can start with:
# without one, the optional group in front makes the regex engine try the whole pattern at every position.
QUANTITY = re.compile(
    r"(?=[上\d零〇一二两三四五六七八九十百千])"
    rf"(?P<up>上)?(?:{one_number('x')}) ?(?P<xu>{UNIT})?"
    rf"(?:{RANGE_SEP}(?:{one_number('y')})(?P<yu>{UNIT})?)?"
    rf"(?P<plus>\+)?"
)
# A bare multiplier used as a number: 万人在线, 亿元以上, 千平, 上万平, 上亿.
BARE_MAGNITUDE = re.compile(r"(?=[上万亿千百])(?P<up>上)?(?P<m>万亿|千万|亿|万|千|百)(?P<u>元|人民币|人次|人|平方米|平米|平|家|件|单|台|个|场)?")
KUAI_PRICE = re.compile(r"(?P<y>\d+)块(?P<j>\d)(?![\d.])")  # 9块9 = 9.9 yuan
PAIRED_DIGITS = re.compile(r"^[一二两三四五六七八九]{2}$")  # 一两场, 三四家: a small range
FRACTION = re.compile(rf"(?=[零〇一二两三四五六七八九十百千\d])(?P<d>{CN_NUM}|\d+)分之(?P<n>{CN_NUM}|\d+(?:\.\d+)?)")

# What may not follow a number (dates, times, durations, ages, ordinals, names).
BAD_FOLLOW = re.compile(r"^(?:\s*(?:年(?!轻)|月|日|号|时(?!尚)|点(?!击)|分(?!之|钟?[^钟])|秒|周(?!边)|天|小时|分钟|岁|周年|届|世纪|后|楼|期|路|村|代|季|晚|月份|次方|[A-Za-z]))")
BAD_PRECEDE = re.compile(r"(?:第|top|TOP|Top|No\.|NO\.|编号|代码|电话|热线|[A-Za-z]|[数几若]|[·.])$")
IDIOM = re.compile(r"千千万万|成千上万|千家万户|千行百业|千方百计|万无一失|一心一意|十全十美|百分百|百万富翁|亿万|"
                   r"万众|千万不|千万别|千万要|万一|一一|一五一十|三三两两|百花|百年|千年|万物|十足|百姓|千里|万里|千言|"
                   r"一站式|一体化|一揽子|一把手|一线|一键|一批批|一带一路|十四五|十五五|十三五|双11|双十一|618")
DEMONSTRATIVE = re.compile(r"(?:这|那|这些|那些|每|各|前|后|头|最)$")
LATIN_LETTER = re.compile(r"[A-Za-z]")
NUMERAL_CHAR = re.compile(r"[\d零〇一二两三四五六七八九十百千万亿数几多余.]")  # before a bare 万/亿: part of a number


class Quantity(NamedTuple):
    start: int
    end: int
    span: str
    value: float
    value_high: float | None
    unit: str  # CNY, USD, ..., percent, count, sqm, mu, times
    measure: str | None
    approx_suffix: bool  # 多, 余, + or 上 in the numeral itself
    is_range: bool


def parse_cn_int(s: str) -> int | None:
    """两千万 -> 20000000, 四十 -> 40, 一百 -> 100, 十 -> 10; None if not a numeral."""
    if not s:
        return None
    total = section = digit = 0
    seen = False
    for ch in s:
        if ch in CN_DIGIT:
            digit = CN_DIGIT[ch]
            seen = True
        elif ch in CN_SMALL_UNIT:
            section += (digit or 1) * CN_SMALL_UNIT[ch]
            digit = 0
            seen = True
        elif ch in CN_BIG_UNIT:
            section += digit
            total = (total + section) * CN_BIG_UNIT[ch] if CN_BIG_UNIT[ch] > 10**4 else total + section * CN_BIG_UNIT[ch]
            section = digit = 0
            seen = True
        else:
            return None
    return total + section + digit if seen else None


NUMBER_GROUPS = {g: (f"{g}a", f"{g}c", f"{g}m", f"{g}s1", f"{g}s2") for g in "xy"}  # one_number's groups


def _number(m: re.Match, g: str) -> tuple[float, bool] | None:
    arabic, cn, mult, s1, s2 = m.group(*NUMBER_GROUPS[g])
    if arabic is not None:
        base = float(arabic.replace(",", ""))
    elif PAIRED_DIGITS.match(cn):
        base = float(CN_DIGIT[cn[0]])
    else:
        parsed = parse_cn_int(cn)
        if parsed is None:
            return None
        base = float(parsed)
    if mult:
        base *= MULTIPLIER[mult]
    return base, bool(s1 or s2)


def _unit(u: str | None) -> tuple[str, str | None, float] | None:
    """(unit, measure, factor) for a unit word; None when the number has no unit."""
    if not u:
        return None
    if u in ("%", "个百分点"):
        return "percent", None, 1.0
    if u == "‰":
        return "percent", None, 0.1
    if u == "成":
        return "percent", None, 10.0
    if u == "倍":
        return "times", None, 1.0
    if u in CURRENCY:
        return CURRENCY[u], None, 1.0
    if u in AREA:
        return "sqm", None, AREA[u]
    if u == "亩":
        return "mu", None, 1.0
    if u in NOT_MEASURES:
        return None
    return "count", ("场" if u == "场次" else u), 1.0


def _excluded(text: str, start: int, end: int, first_is_cn: bool, value: float, unit: str | None,
              is_range: bool = False) -> bool:
    before = text[max(0, start - 4):start]
    after = text[end:end + 4]
    if BAD_PRECEDE.search(before) or (not first_is_cn and before[-1:].isdigit()):
        return True
    if unit in (None, "count") and BAD_FOLLOW.match(after):
        return True
    for im in IDIOM.finditer(text, max(0, start - 3), end + 3):
        if im.start() < end and im.end() > start:
            return True
    # 一场, 一个, 一座城: the numeral one with a measure word is an article, not a count.
    if first_is_cn and value == 1 and unit == "count" and not is_range:
        return True
    if first_is_cn and unit == "count" and DEMONSTRATIVE.search(text[max(0, start - 2):start]):
        return True
    return unit in (None, "count") and bool(LATIN_LETTER.match(after))


def find_quantities(text: str) -> list[Quantity]:
    out: list[Quantity] = []
    taken = bytearray(len(text) + 1)  # 1 where a quantity already found covers the character
    for m in (KUAI_PRICE.finditer(text) if "块" in text else ()):
        out.append(Quantity(m.start(), m.end(), m.group(0), float(f"{m.group('y')}.{m.group('j')}"), None,
                            "CNY", None, False, False))
        taken[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    for m in QUANTITY.finditer(text):
        if taken[m.start()]:
            continue
        xa, xc, xu, yu, xm, plus = m.group("xa", "xc", "xu", "yu", "xm", "plus")
        if not (xa or xc):
            continue
        if not (xu or yu or xm in SCALING_MULT or plus):
            continue  # no unit: only 万/亿-scaled amounts (30万商家, 460亿人次 by context) and N+ count
        first = _number(m, "x")
        if first is None:
            continue
        value, approx = first
        unit_word, unit_word_hi = xu, yu
        ya, yc, ym, up = m.group("ya", "yc", "ym", "up")
        second = _number(m, "y") if (ya or yc) else None
        if second is None and xc and PAIRED_DIGITS.match(xc):
            second = (float(CN_DIGIT[xc[1]]) * (MULTIPLIER[xm] if xm else 1), False)
        if second is not None and not (unit_word_hi or unit_word or ym or xm):
            second = None  # "1改7", "2018—2022年" style pairs without units are not ranges of amounts
        end = m.end()
        if second is None and (ya or yc):
            end = m.end("xu") if unit_word else (m.end("xs2") if m.group("xs2") else (m.end("xm") if xm else (m.end("xs1") if m.group("xs1") else m.end("xa") if xa else m.end("xc"))))
        if unit_word == "块" and xc:
            continue  # 一块磁石: 块 counts yuan only after Arabic digits
        u = _unit(unit_word_hi if second is not None and unit_word_hi else unit_word)
        if second is not None and unit_word is None and unit_word_hi is not None and xm is None and ym:
            value *= MULTIPLIER[ym]  # 15—25万元: the multiplier applies to both ends
        if u is None:
            if not (xm in SCALING_MULT or plus):
                continue
            u = ("count", None, 1.0)
        unit, measure, factor = u
        value *= factor
        value_high = second[0] * factor if second is not None else None
        approx = approx or (second[1] if second else False) or bool(plus) or bool(up)
        start = m.start()
        if plus:
            end = max(end, m.end("plus"))
        if second is None and unit_word and end < m.end("xu"):
            end = m.end("xu")
        first_is_cn = xc is not None
        if _excluded(text, start + (1 if up else 0), end, first_is_cn, value / factor, unit if unit != "count" or measure else None,
                     second is not None):
            continue
        if first_is_cn and not xm and unit == "count" and measure is None:
            continue
        if unit == "times" and value == 1 and second is None:
            continue  # 翻了一倍, 增长一倍: a doubling without a figure
        if value_high is not None and value_high < value:
            value, value_high = value_high, value
        out.append(Quantity(start, end, text[start:end], value, value_high, unit, measure, approx, value_high is not None))
        taken[start:end] = b"\x01" * (end - start)
    for m in BARE_MAGNITUDE.finditer(text):
        s = m.start("m")
        if taken[s] or not m.group("u") and not m.group("up"):
            continue
        prev = text[s - 1:s]
        if NUMERAL_CHAR.match(prev) or (m.group("up") is None and prev == "上"):
            continue
        if _excluded(text, s, m.end(), True, 2, "x"):
            continue
        u = _unit(m.group("u")) or ("count", None, 1.0)
        if u[0] == "count" and m.group("m") in ("千", "百") and not m.group("up"):
            continue
        value = MULTIPLIER[m.group("m")] * u[2]
        out.append(Quantity(m.start(), m.end(), m.group(0), value, None, u[0], u[1], bool(m.group("up")), False))
    for m in (FRACTION.finditer(text) if "分之" in text else ()):
        d = parse_cn_int(m.group("d")) if not m.group("d").isdigit() else int(m.group("d"))
        n = parse_cn_int(m.group("n")) if not m.group("n").replace(".", "").isdigit() else float(m.group("n"))
        if d and n is not None and not taken[m.start()]:
            out.append(Quantity(m.start(), m.end(), m.group(0), round(100.0 * n / d, 4), None, "percent", None, False, False))
    out.sort(key=lambda q: q.start)
    return out
