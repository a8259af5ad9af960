"""The vocabulary of metric observations: sentence ends, clause separators, metric keywords and
the words around a number that make it a fall, a forecast, a target, an approximation or a
figure of a whole province. ``attribution`` applies them to every quantity of a chunk at once.

The patterns used there run in Polars (Rust's regex crate): no lookaround, and ``$`` is only the
end of the text."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from dagster_project.parsing.periods import YEAR_BEFORE_WORDS
from dagster_project.parsing.reference import read_seed

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
# 2025年前 is a year to reach, 2025年前三季度 and 2025年后半年 are not: the character after the
# match is checked with a class, not a lookahead.
NOT_A_COUNT_AFTER = r"(?:$|[^一二三四五六七八九十两\d半]|半(?:$|[^年]))"
TARGET = re.compile(r"目标|力争|争取|将(?:在[^,，。]{0,8})?(?:达到|达|突破|超过|超|实现|增至|举办|新增|建成|覆盖|培育|打造|形成)|"
                    r"要(?:做|达到|实现|完成)|到20\d{2}年|20\d{2}年" + YEAR_BEFORE_WORDS + NOT_A_COUNT_AFTER)
# 据杭州市市场监测数据 / 中商产业研究院数据显示 / 来自杭州市市场监管局的数据显示
REPORTED_IN = ("数据", "统计", "消息", "报告")  # 据……数据
SHOWN_BY = ("数据", "统计", "报告", "调查")  # ……数据显示
SOURCE = re.compile(rf"(?:(?:据|根据|来自)(?P<org>[\u4e00-\u9fffA-Za-z]{{2,20}})(?:发布)?的?(?:{'|'.join(REPORTED_IN)})"
                    rf"|(?P<org2>[\u4e00-\u9fffA-Za-z]{{2,20}}?)(?:发布)?的?(?:{'|'.join(SHOWN_BY)})显示)")
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
