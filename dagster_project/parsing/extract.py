"""Metric observations: each quantity of an article with its metric, region, company, period,
qualifier, status and source, attributed from the clause and sentence around it."""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter, itemgetter

from dagster_project.parsing.companies import CompanyMention
from dagster_project.parsing.numbers import Quantity, find_quantities
from dagster_project.parsing.periods import YEAR_BEFORE, PeriodMention
from dagster_project.parsing.reference import read_seed
from dagster_project.parsing.regions import RegionMention

# A line break ends a sentence only after closing punctuation; infographic lines and headlines
# without it run on into the next line (the break then separates clauses).
SENTENCE_END = re.compile(r"[。！？!?…]+[”’」』\"]?|(?<=[。！？!?…”’」』\")）])\n")
CLAUSE_SEP = re.compile(r"[,，:：、；;\n]")
RIGHT_KEYWORD_WINDOW = 5  # 接近30万的商家: a keyword after the number must follow it closely
MONEY_UNITS = {"CNY", "USD", "EUR", "HKD", "JPY", "GBP", "KRW"}
FALL = re.compile(r"(?:下降|下滑|减少|降低|比降|下跌|亏损|萎缩|回落|缩水|同比减少|同比下降|降幅|跌)(?:了|幅度为|幅度达|为|达|约|近|超)?$")
AT_LEAST_BEFORE = re.compile(r"(?:超过|超出|超|突破|逾|多于|不低于|不少于|高于|达到超|达超)了?\s*$")
APPROX_BEFORE = re.compile(r"(?:约为|大约|约有|约|近|接近|将近|近乎|差不多)\s*$")
AT_MOST_BEFORE = re.compile(r"(?:不足|不到|不超过|低于|少于|未超过|未满)\s*$")
AT_LEAST_AFTER = re.compile(r"^\s*(?:以上|之上|多|余|有余)")
APPROX_AFTER = re.compile(r"^\s*(?:左右|上下|级别|级|量级)")
AT_MOST_AFTER = re.compile(r"^\s*(?:以下|以内|之内)")
FORECAST = re.compile(r"预计|估计|有望|预测|或将|料将")
TARGET = re.compile(r"目标|力争|争取|将(?:在[^,，。]{0,8})?(?:达到|达|突破|超过|超|实现|增至|举办|新增|建成|覆盖|培育|打造|形成)|"
                    r"要(?:做|达到|实现|完成)|到20\d{2}年|20\d{2}年" + YEAR_BEFORE)
# 据杭州市市场监测数据 / 中商产业研究院数据显示 / 来自杭州市市场监管局的数据显示
REPORTED_IN = ("数据", "统计", "消息", "报告")  # 据……数据
SHOWN_BY = ("数据", "统计", "报告", "调查")  # ……数据显示
SOURCE = re.compile(rf"(?:(?:据|根据|来自)(?P<org>[\u4e00-\u9fffA-Za-z]{{2,20}})(?:发布)?的?(?:{'|'.join(REPORTED_IN)})"
                    rf"|(?P<org2>[\u4e00-\u9fffA-Za-z]{{2,20}}?)(?:发布)?的?(?:{'|'.join(SHOWN_BY)})显示)")
SOURCE_WORDS = frozenset(REPORTED_IN + SHOWN_BY)  # every SOURCE match holds one: a cheap test first
# 杭州市农业农村局: a place that names a government body is who acts, not what a figure describes.
GOVERNMENT_AFTER = re.compile(r"[\u4e00-\u9fff]{0,6}?(?:局|厅|委员会|政府|办公室)")
PERSONAL = re.compile(r"[她他我]|我们|自己")
COMPARISON_BASE = re.compile(r"(?:较|比|相比|相较|对比|与|同)\s*$")
NATIONAL = re.compile(r"全国|我国")
CITY_WIDE = re.compile(r"全市|本市|市内|本地|当地|全区")
PROVINCE_WIDE = re.compile(r"全省|本省|省内")
SCOPE_WORDS = re.compile(r"全省|本省|省内|全市|本市|市内|本地|当地|全区")
MEASURE_FALLBACK = {"人次": "viewers", "家": "entities", "人": "people", "名": "people", "位": "people",
                    "单": "orders", "件": "items", "台": "items", "根": "items", "款": "items"}


@dataclass(frozen=True)
class Keyword:
    word: str
    metric: str
    unit_class: str
    measures: tuple[str, ...] | None  # allowed measures; "" stands for none


@lru_cache(maxsize=1)
def metric_keywords() -> tuple[dict[str, Keyword], re.Pattern]:
    table = {}
    for r in read_seed("metric_keywords"):
        measures = tuple(r["measures"].split("|")) if r["measures"] else None
        table[r["keyword"]] = Keyword(r["keyword"], r["metric"], r["unit_class"], measures)
    pattern = re.compile("|".join(re.escape(k) for k in sorted(table, key=len, reverse=True)))
    return table, pattern


# “……。”玄度科技的服装主播任静说: the speaker after a closing quote belongs to the quote.
SPEAKER_AFTER_QUOTE = re.compile(r"[^。！？!?\n“”]{1,30}?(?:说|表示|介绍|指出|透露|坦言|称|告诉记者|回忆|认为)[。,，:：]?")


@lru_cache(maxsize=64)  # the extraction of an article and its observations split the same text
def split_sentences(text: str) -> tuple[tuple[int, int], ...]:
    spans, start = [], 0
    for m in SENTENCE_END.finditer(text):
        end = m.end()
        if text[end - 1] == "”" and (sp := SPEAKER_AFTER_QUOTE.match(text, end)) and sp.group(0)[-1:] in "。,，:：":
            continue
        if text[start:end].strip():
            spans.append((start, end if text[end - 1] != "\n" else end - 1))
        start = end
    if text[start:].strip():
        spans.append((start, len(text)))
    return tuple(spans)


def _unit_class(q: Quantity) -> str:
    if q.unit in MONEY_UNITS:
        return "money"
    return {"percent": "percent", "sqm": "area", "mu": "area", "times": "times"}.get(q.unit, "count")


def _compatible(k: Keyword, q: Quantity) -> bool:
    cls = _unit_class(q)
    if cls == "count" and q.measure is None and k.unit_class == "money":
        return True  # 500万规模, 千万级的产值: an amount of money written without 元
    if k.unit_class != cls:
        return False
    if k.measures is not None and cls == "count":
        return (q.measure or "") in k.measures
    return True


@dataclass
class Context:
    text: str
    sentence: tuple[int, int]
    clause: tuple[int, int]


def _clause(text: str, sentence: tuple[int, int], pos: int) -> tuple[int, int]:
    s, e = sentence
    start = s
    for m in CLAUSE_SEP.finditer(text, s, e):
        if m.end() <= pos:
            start = m.end()
        else:
            return start, m.start()
    return start, e


def _list_item(text: str, sentence: tuple[int, int], q: Quantity) -> tuple[int, int]:
    """Semicolons split a sentence into list items; attribution stays inside one item."""
    s, e = sentence
    last = max(text.rfind("；", s, q.start), text.rfind(";", s, q.start))
    start = last + 1 if last >= 0 else s
    ends = [i for i in (text.find("；", q.end, e), text.find(";", q.end, e)) if i >= 0]
    return start, min(ends, default=e)


class SpanIndex:
    """Items with a start and an end, looked up by position: which lie inside [lo, hi)."""

    def __init__(self, items, start_of=attrgetter("start"), end_of=attrgetter("end")):
        self.items = sorted(items, key=start_of)
        self.starts = [start_of(x) for x in self.items]
        self.ends = [end_of(x) for x in self.items]

    def _within(self, lo: int, hi: int) -> list[tuple[int, object]]:
        i, j = bisect_left(self.starts, lo), bisect_left(self.starts, hi)
        return [(e, x) for e, x in zip(self.ends[i:j], self.items[i:j]) if e <= hi]

    def within(self, lo: int, hi: int) -> list:
        return [x for _, x in self._within(lo, hi)]

    def nearest_before(self, lo: int, hi: int) -> list:
        """Inside [lo, hi), the one ending last first."""
        return [x for _, x in sorted(self._within(lo, hi), key=lambda ex: -ex[0])]

    def last_ending(self, lo: int, hi: int):
        """``nearest_before(lo, hi)[0]`` without sorting the rest: the item ending last, or None."""
        best, best_end = None, -1
        for k in range(bisect_left(self.starts, lo), bisect_left(self.starts, hi)):
            if best_end < self.ends[k] <= hi:
                best, best_end = self.items[k], self.ends[k]
        return best

    def first_starting(self, lo: int, hi: int):
        """``within(lo, hi)[0]``: the item starting first, or None."""
        for k in range(bisect_left(self.starts, lo), bisect_left(self.starts, hi)):
            if self.ends[k] <= hi:
                return self.items[k]
        return None


def keyword_index(text: str) -> SpanIndex:
    table, pattern = metric_keywords()
    return SpanIndex([(table[m.group(0)], m.start(), m.end()) for m in pattern.finditer(text)], itemgetter(1), itemgetter(2))


def attribute_metric(text: str, q: Quantity, ctx: Context, keywords: SpanIndex,
                     next_quantity_start: int) -> tuple[str, Quantity]:
    (cs, ce), (ss, _se) = ctx.clause, ctx.sentence
    # Nearest keyword in the clause on either side (千万级的产值), then earlier in the sentence.
    right_end = min(ce, next_quantity_start, q.end + RIGHT_KEYWORD_WINDOW + 4)
    in_clause = keywords.within(cs, q.start) + [h for h in keywords.within(q.end, q.end + RIGHT_KEYWORD_WINDOW + 1 + 64)
                                                if h[1] <= q.end + RIGHT_KEYWORD_WINDOW and h[2] <= right_end]
    in_clause.sort(key=lambda h: q.start - h[2] if h[2] <= q.start else h[1] - q.end)
    ordered = list(in_clause)
    # 17个行业: a count followed by the noun it counts takes no keyword from another clause.
    counted_noun = q.measure is not None and re.match(r"[\u4e00-\u9fff]", text[q.end:q.end + 1] or " ")
    if not counted_noun:
        ordered += keywords.nearest_before(ss, cs)
    for k, _, _ in ordered:
        if _compatible(k, q):
            if k.unit_class == "money" and q.unit == "count":
                q = Quantity(q.start, q.end, q.span, q.value, q.value_high, "CNY", None, q.approx_suffix, q.is_range)
            return k.metric, q
    cls = _unit_class(q)
    if cls == "percent":
        return "share", q
    if cls == "area":
        return "area", q
    if cls == "count" and q.measure:
        sentence = text[ss:ctx.sentence[1]]
        if q.measure == "场" and "直播" in sentence:
            return "live_sessions", q
        if q.measure == "间" and "直播" in text[cs:ce]:
            return "live_rooms", q
        return MEASURE_FALLBACK.get(q.measure, "other"), q
    return "other", q


def qualifier(text: str, q: Quantity, clause_start: int) -> str:
    if q.is_range:
        return "range"
    before = text[max(clause_start, q.start - 5):q.start]
    after = text[q.end:q.end + 4]
    if AT_MOST_BEFORE.search(before) or AT_MOST_AFTER.match(after):
        return "at_most"
    if q.approx_suffix or AT_LEAST_BEFORE.search(before) or AT_LEAST_AFTER.match(after):
        return "at_least"
    if APPROX_BEFORE.search(before) or APPROX_AFTER.match(after) or q.span.endswith("级"):
        return "approx"
    return "exact"


def status(text: str, sentence_start: int, q: Quantity, period: str | None, ref_year: int | None) -> str:
    if period and ref_year and period[:4].isdigit() and int(period[:4]) < ref_year:
        return "actual"  # 较2024年的3933.45亿元: a past figure beside a forecast is a fact
    before = text[sentence_start:q.start]
    if FORECAST.search(before):
        return "forecast"
    if TARGET.search(before):
        return "target"
    return "actual"


def extract_observations(text: str, ref_year: int | None, regions: list[RegionMention],
                         companies: list[CompanyMention], periods: list[PeriodMention],
                         focus_city: str | None, focus_province: str | None, focus: str | None) -> list[dict]:
    keywords = keyword_index(text)
    quantities = find_quantities(text)
    sentences = split_sentences(text)
    subjects = [c for c in companies if c.company_type != "research"]
    # 全省 / 全市 / 本地 stand for the article's province or city where they are written.
    scoped = [RegionMention(m.group(0), m.start(), m.end(), focus_province if PROVINCE_WIDE.match(m.group(0)) else focus_city,
                            None, "", None, False)
              for m in SCOPE_WORDS.finditer(text)
              if (focus_province if PROVINCE_WIDE.match(m.group(0)) else focus_city)]
    regions = sorted(regions + scoped, key=lambda r: r.start)
    region_index = SpanIndex(regions)
    # 杭州市农业农村局: a place that names a government body is who acts, not what a figure describes.
    local_regions = SpanIndex([r for r in regions if not GOVERNMENT_AFTER.match(text, r.end)])
    subject_index, period_index = SpanIndex(subjects), SpanIndex(periods)
    out = []
    si = 0
    for i, q in enumerate(quantities):
        while si < len(sentences) - 1 and sentences[si][1] <= q.start:
            si += 1
        sentence = sentences[si] if sentences else (0, len(text))
        full_sentence = sentence
        sentence = _list_item(text, sentence, q)
        clause = _clause(text, sentence, q.start)
        ctx = Context(text, sentence, clause)
        nxt = quantities[i + 1].start if i + 1 < len(quantities) else len(text)
        metric, q = attribute_metric(text, q, ctx, keywords, nxt)
        value, value_high = q.value, q.value_high
        if FALL.search(text[max(clause[0], q.start - 8):q.start]):
            value, value_high = (-value_high, -value) if value_high is not None else (-value, None)
        ss, se = sentence
        fs, fe = full_sentence  # the subject of a list sentence governs every item
        subject = (subject_index.last_ending(clause[0], q.start) or subject_index.last_ending(fs, clause[0])
                   or subject_index.first_starting(q.end, clause[1]) or subject_index.first_starting(clause[1], fe))
        company = subject.company if subject else None
        region = region_code = None
        # A brand's or a maker's figure is about the company: a place elsewhere in the sentence is
        # background (中山两家上市公司……华帝股份营收比降48%). A platform's figure keeps the place
        # where it happened (拼多多为横栏10余家企业……). Places after the number's clause are
        # destinations and asides (……南下义乌), not what the figure describes.
        company_type = next((c.company_type for c in subjects if c.company == company), None)
        place = (local_regions.last_ending(clause[0], q.start) or local_regions.first_starting(q.end, clause[1])
                 or (None if company and company_type != "platform" else local_regions.last_ending(ss, clause[0])))
        if place:
            region, region_code = place.region, place.code
        if region and not region_code:
            region_code = next((m.code for m in regions if m.region == region and m.code), None)
        sentence_text = text[ss:se]
        if region is None and not (company and company_type != "platform"):
            if NATIONAL.search(sentence_text):
                region = "中国"
            elif PROVINCE_WIDE.search(sentence_text) and focus_province:
                region = focus_province
            elif CITY_WIDE.search(sentence_text) and focus_city:
                region = focus_city
            elif company is None and not PERSONAL.search(sentence_text):
                # The place of the previous sentence carries over (古镇镇 ... “观看人次达到了10万以上”),
                # else the place the article is about.
                prev_start = sentences[si - 1][0] if si > 0 else ss
                carried = [r for r in region_index.nearest_before(prev_start, ss) if r.level != "country"]
                region = carried[0].region if carried else focus
            region_code = "100000" if region == "中国" else next((r.code for r in regions if r.region == region and r.code), None)
        period = None
        for p in period_index.nearest_before(ss, q.start):
            # 较去年增长20%: the year compared against is not the figure's period, unless the figure
            # is that year's own (较2024年的3933.45亿元).
            if COMPARISON_BASE.search(text[max(ss, p.start - 3):p.start]) and text[p.end:q.start] not in ("", "的"):
                continue
            period = p.period
            break
        else:
            # No time in the sentence: the previous sentence's last one carries over (这一年, 当天).
            prev_start = sentences[si - 1][0] if si > 0 else ss
            # Only a month or a day carries over; a bare year two sentences on is background.
            if (p := period_index.last_ending(prev_start, ss)) and p.period and len(p.period) > 4 and "Q" not in p.period:
                period = p.period
        source = None
        before = text[ss:q.start]
        if any(word in before for word in SOURCE_WORDS) and (sm := SOURCE.search(before)):
            source = sm.group("org") or sm.group("org2")
        out.append({
            "span": q.span, "char_start": q.start, "char_end": q.end, "value": value, "value_high": value_high,
            "unit": q.unit, "measure": q.measure, "metric": metric, "region": region, "region_code": region_code,
            "company": company,
            "period": period, "qualifier": qualifier(text, q, clause[0]), "status": status(text, ss, q, period, ref_year),
            "source_org": source, "evidence": sentence_text.strip(),
        })
    return out
