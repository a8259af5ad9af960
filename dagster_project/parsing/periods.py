"""Time expressions -> periods (``2024``, ``2025-01..2025-10``, ``2025-Q1``, ``2024-11-11``).

Relative words (今年, 去年, 年底, 一季度) and named days (双11, 五一) resolve with the article's
reference year: its publication year, else the latest year the article states as past or present.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import NamedTuple

from dagster_project.parsing.numbers import LATIN_LETTER, parse_cn_int

CN_SMALL = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
RELATIVE_YEAR = {"今年": 0, "全年": 0, "当年": 0, "本年": 0, "本年度": 0, "年底": 0, "年末": 0, "年初": 0, "年内": 0,
                 "去年": -1, "上年": -1, "前年": -2, "明年": 1}
NAMED_DAYS = {"双11": (11, 11), "双十一": (11, 11), "双12": (12, 12), "双十二": (12, 12), "618": (6, 18),
              "五一": (5, 1), "国庆": (10, 1), "元旦": (1, 1), "七夕": None, "春节": None, "年货节": None}
Y = r"(?P<y>(?:19|20)\d{2})年"
REL = r"(?P<rel>" + "|".join(sorted(RELATIVE_YEAR, key=len, reverse=True)) + ")"
SEP = r"\s*(?:-|—|–|~|～|至|到)\s*"
# The lookahead lists every character a period can start with: without it the optional year in
# front makes the regex engine try the whole pattern at every position (same matches, several times slower).
PERIOD_FIRST_CHARS = r"[\s\d今全当本年去上前明第一二三四下双五国元]"
PERIOD = re.compile(
    rf"(?={PERIOD_FIRST_CHARS})(?:(?:{Y}|{REL})?\s*(?:"
    rf"(?P<m1>\d{{1,2}}){SEP}(?P<m2>\d{{1,2}})\s*月(?:份)?"
    rf"|前(?P<qn>[一二三1-3])(?:个)?季度"
    rf"|前(?P<mn>\d{{1,2}}|[一二三四五六七八九十]{{1,3}})(?:个)?月(?:份)?"
    rf"|(?:第)?(?P<q>[一二三四1-4])季度"
    rf"|(?P<h>上|下)半年"
    rf"|(?P<m>\d{{1,2}})月(?:(?P<d>\d{{1,2}})[日号](?:{SEP}(?P<d2>\d{{1,2}})[日号])?)?(?:份|初|底|末|中旬|上旬|下旬)?"
    rf"|(?P<named>双11|双十一|双12|双十二|618|五一|国庆|元旦)"
    rf")"
    rf"|(?P<yo>(?:19|20)\d{{2}})年|(?P<relo>" + "|".join(sorted(RELATIVE_YEAR, key=len, reverse=True)) + "))"
)
NULL_PERIOD = re.compile(r"截至目前|截止目前|目前|如今|当前|现在|现阶段")
# 2026年前 (by 2026) looks ahead; 2025年前三季度 (its first three quarters) does not.
YEAR_BEFORE_WORDS = r"(?:前|以前|之前|后|以后)"
YEAR_BEFORE = YEAR_BEFORE_WORDS + r"(?![一二三四五六七八九十两\d]|半年)"
# The lookahead names the characters a match starts with, so the regex engine does not try both
# alternatives at every position.
FUTURE_YEAR = re.compile(r"(?=[到至—\-~12])(?:(?:到|至|—|-|~)\s*((?:19|20)\d{2})年|((?:19|20)\d{2})年" + YEAR_BEFORE + ")")
ANY_YEAR = re.compile(r"((?:19|20)\d{2})年")


class PeriodMention(NamedTuple):
    start: int
    end: int
    period: str | None  # None for 目前 and the like: "now", which the spec leaves without a period


def reference_year(text: str, published_date: str | None) -> int | None:
    if published_date:
        return int(published_date[:4])
    future = {int(a or b) for a, b in FUTURE_YEAR.findall(text)}
    years = [int(y) for y in ANY_YEAR.findall(text)]
    past = [y for y in years if y not in future] or years
    return max(past) if past else None


def _resolve(m: re.Match, ref_year: int | None) -> str | None:
    y_text = m.group("y") or m.group("yo")
    year = int(y_text) if y_text else None
    rel = m.group("rel") or m.group("relo")
    if year is None and rel is not None:
        year = ref_year + RELATIVE_YEAR[rel] if ref_year is not None else None
    if m.group("m1"):
        y = year if year is not None else ref_year
        a, b = int(m.group("m1")), int(m.group("m2"))
        if y is None or not (1 <= a <= b <= 12):
            return None
        return f"{y}-{a:02d}..{y}-{b:02d}"
    if m.group("qn") or m.group("mn"):
        y = year if year is not None else ref_year
        if m.group("qn"):
            last = 3 * CN_SMALL[m.group("qn")]
        else:
            last = int(m.group("mn")) if m.group("mn").isdigit() else parse_cn_int(m.group("mn"))
        if y is None or not last or not 1 <= last <= 12:
            return None
        return f"{y}-01..{y}-{last:02d}"
    if m.group("q"):
        y = year if year is not None else ref_year
        return f"{y}-Q{CN_SMALL[m.group('q')]}" if y is not None else None
    if m.group("h"):
        y = year if year is not None else ref_year
        return f"{y}-H{1 if m.group('h') == '上' else 2}" if y is not None else None
    if m.group("m"):
        y = year if year is not None else ref_year
        mo = int(m.group("m"))
        if y is None or not 1 <= mo <= 12:
            return None
        if m.group("d"):
            d = int(m.group("d"))
            days = (d, int(m.group("d2"))) if m.group("d2") else (d,)
            if not all(calendar_date(y, mo, day) for day in days):
                return None
            if m.group("d2"):
                return f"{y}-{mo:02d}-{d:02d}..{y}-{mo:02d}-{days[1]:02d}"
            return f"{y}-{mo:02d}-{d:02d}"
        return f"{y}-{mo:02d}"
    if m.group("named"):
        y = year if year is not None else ref_year
        day = NAMED_DAYS.get(m.group("named"))
        if y is None:
            return None
        return f"{y}-{day[0]:02d}-{day[1]:02d}" if day else str(y)
    return str(year) if year is not None else None


def calendar_date(year: int, month: int, day: int) -> date | None:
    """The day, or None when there is no such day (2月30日, 13月, 0日)."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


ANAPHORA = re.compile(r"这一年|那一年|同年|当年")
AFTER_EVENT = re.compile(r"^[”\"」』]?(?:结束)?(?:后|之后|以后|以来)")
DAYS_AFTER = re.compile(r"^[^,，。;；]{0,10}?(\d{1,2}|[一二两三四五六七八九十]{1,3})天")


def _day_span(start_iso: str, text_after: str) -> str:
    """3月28日首个电商直播节7天实现: a date followed by N days is the range of those days."""
    m = DAYS_AFTER.match(text_after)
    if not m:
        return start_iso
    n = int(m.group(1)) if m.group(1).isdigit() else parse_cn_int(m.group(1))
    if not n or n < 2:
        return start_iso
    d0 = date.fromisoformat(start_iso)
    return f"{start_iso}..{(d0 + timedelta(days=n - 1)).isoformat()}"


def find_periods(text: str, ref_year: int | None) -> list[PeriodMention]:
    out = []
    for m in PERIOD.finditer(text):
        if not m.group(0).strip():
            continue
        # "3·28", "5·18" festival names and years inside model numbers are not periods.
        if text[m.end():m.end() + 1] == "·" or (m.start() and LATIN_LETTER.match(text, m.start() - 1)):
            continue
        start = m.start() + len(m.group(0)) - len(m.group(0).lstrip())
        period = _resolve(m, ref_year)
        after = text[m.end():m.end() + 14]
        if period and len(period) == 10:
            period = _day_span(period, after)
        if period and AFTER_EVENT.match(after):
            period = period[:4]  # 双11结束后, 5月以来: after the date, within its year
        out.append(PeriodMention(start, m.end(), period))
    # 2024年“双11”: a named day takes the year written just before it.
    for i in range(1, len(out)):
        prev, cur = out[i - 1], out[i]
        gap = text[prev.end:cur.start]
        if prev.period and len(prev.period) == 4 and cur.period and len(gap) <= 2 and not gap.strip("“”\"'「」 "):
            out[i] = PeriodMention(prev.start, cur.end, prev.period + cur.period[4:])
            out[i - 1] = PeriodMention(prev.start, prev.start, None)
    out = [p for p in out if p.end > p.start]
    # 这一年, 当年: the year last written before.
    for m in ANAPHORA.finditer(text):
        year = next((p.period[:4] for p in reversed(out) if p.end <= m.start() and p.period and p.period[:4].isdigit()), None)
        out.append(PeriodMention(m.start(), m.end(), year))
    out.sort(key=lambda p: p.start)
    for m in NULL_PERIOD.finditer(text):
        out.append(PeriodMention(m.start(), m.end(), None))
    out.sort(key=lambda p: p.start)
    return out
