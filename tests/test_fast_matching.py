"""The shortcuts that make matching fast find exactly what the plain regexes find.

Each shortcut (a first-character lookahead, a scan only before a suffix, one dictionary pass with
positions from str.find) is compared with the plain form on the seed articles and on random text
drawn from the characters the patterns care about, where overlaps and near misses are common.
"""
from __future__ import annotations

import random
import re

import polars as pl
import pytest

from dagster_project.parsing import clean, companies, extract, numbers, periods
from dagster_project.parsing.attribution import keyword_matches
from dagster_project.parsing.clean import clean_plain
from dagster_project.parsing.matching import find_dictionary_hits, finditer_ending_at, max_width, occurrence_ends
from tests.conftest import SEEDS

SEED_TEXTS = [clean_plain(p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))]


def spans(matches) -> list[tuple[int, int, tuple]]:
    return [(m.start(), m.end(), m.groups()) for m in matches]


def random_texts(pieces: list[str], n: int, length: int, seed: int) -> list[str]:
    """Texts of up to ``length`` pieces (words and single characters) drawn at random."""
    rng = random.Random(seed)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, length))) for _ in range(n)]


def without_first_char_guard(pattern: re.Pattern) -> re.Pattern:
    guard = re.match(r"\(\?=\[[^\]]*\]\)", pattern.pattern)
    assert guard, f"{pattern.pattern[:40]} has no first-character lookahead"
    return re.compile(pattern.pattern[guard.end():])


@pytest.mark.parametrize("pattern", [periods.PERIOD, numbers.QUANTITY, numbers.BARE_MAGNITUDE, numbers.FRACTION],
                         ids=["PERIOD", "QUANTITY", "BARE_MAGNITUDE", "FRACTION"])
def test_a_first_character_lookahead_changes_no_match(pattern):
    assert_same_matches_without_guard(pattern, SEED_TEXTS + random_texts(
        [*"2024年1-3月至前三季度上下半年双五一元旦今去全本明第二两十百千万亿多余 .%元人次个分之约超", "双11", "2025年", "12月",
         "去年", "上半年", "3成", "1.5亿元", "百分之三十", "5分之1", "上万", "两三家"], 400, 40, seed=1))


@pytest.mark.parametrize("pattern", [clean.PINYIN_GLOSS, clean.HTML_TAG, clean.MARKDOWN_EMPHASIS],
                         ids=["PINYIN_GLOSS", "HTML_TAG", "MARKDOWN_EMPHASIS"])
def test_a_first_character_lookahead_changes_no_cleaning_match(pattern):
    raw_seeds = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    assert_same_matches_without_guard(pattern, raw_seeds + random_texts(
        [*"經濟(jīng)a_*<>/ \ufffd", "**", "__", "<p>", "</div>", "<br/>", '<a href="x">', "\ufffdspan>", "\ufffd/p>", "(jì)", "(ab)", "經(jīng)", "濟(jì)",
         "直播"], 400, 30, seed=5))


def assert_same_matches_without_guard(pattern: re.Pattern, texts: list[str]) -> None:
    plain = without_first_char_guard(pattern)
    found = 0
    for text in texts:
        assert spans(pattern.finditer(text)) == spans(plain.finditer(text)), text
        found += len(spans(plain.finditer(text)))
    assert found > 200  # the random text does exercise the patterns


@pytest.mark.parametrize("pattern,ends", [(companies.LEGAL_NAME, companies.LEGAL_NAME_ENDS),
                                          (companies.GROUP_NAME, companies.GROUP_NAME_ENDS)],
                         ids=["legal_name", "group_name"])
def test_scanning_only_before_a_suffix_finds_what_a_full_scan_finds(pattern, ends):
    texts = SEED_TEXTS + random_texts([*"中山市玄度互联网科技的和A1(", "股份有限公司", "有限责任公司", "有限公司", "集团", "有限"],
                                         300, 40, seed=2)
    # Names at the longest the patterns allow, and one character longer, before each suffix.
    texts += [f"位于{'玄' * n}{suffix}的" for n in range(10, 43) for suffix in (*ends, "股份有限公司")]
    found = 0
    for text in texts:
        expected = spans(pattern.finditer(text))
        assert spans(finditer_ending_at(pattern, text, occurrence_ends(text, ends), max_width(pattern), 0)) == expected, text
        found += len(expected)
    assert found > 150


def test_role_context_names_are_the_same_with_and_without_the_suffix_shortcut():
    pattern, _ = companies.role_context_pattern()
    suffixes = companies.company_index().company_suffixes
    texts = SEED_TEXTS + random_texts(
        [*"杨格玄度的兼,和", "锁业", "科技", "传媒", "电商", "总经理", "董事长", "CEO", "主播", "员工", "旗下", "负责人",
         "首席运营官", "集团", "有限公司"], 300, 40, seed=3)
    found = 0
    for text in texts:
        expected = spans(pattern.finditer(text))
        anchors = [q for q in occurrence_ends(text, suffixes) if companies.ROLE_TAIL.match(text, q)]
        assert spans(finditer_ending_at(pattern, text, anchors, max_width(pattern),
                                        max_width(companies.ROLE_TAIL))) == expected, text
        found += len(expected)
    assert found > 100


def test_max_width_is_the_longest_match_and_refuses_unbounded_patterns():
    assert max_width(companies.LEGAL_NAME) == 40 + len("股份有限公司")
    assert max_width(companies.GROUP_NAME) == 12 + len("集团")
    assert max_width(re.compile(r"ab(?=cdef)")) == 2
    with pytest.raises(ValueError, match="no length limit"):
        max_width(re.compile(r"[\u4e00-\u9fff]+集团"))


def test_occurrence_ends_includes_overlapping_occurrences():
    assert occurrence_ends("股份有限公司有限公司", ["有限公司", "股份有限公司"]) == [6, 10]
    assert occurrence_ends("集集团团集团", ["集团"]) == [3, 6]
    assert occurrence_ends("", ["集团"]) == []


def test_dictionary_positions_match_a_python_leftmost_longest_scan():
    names = ["中山", "中山市", "山市", "沙溪", "沙溪镇", "溪镇", "古镇", "古镇镇", "镇"]
    texts = SEED_TEXTS + random_texts([*"中山市沙溪镇古镇,的"], 300, 50, seed=4)

    def python_scan(text):
        hits, i = [], 0
        while i < len(text):
            name = next((n for n in sorted(names, key=len, reverse=True) if text.startswith(n, i)), None)
            if name:
                hits.append((name, i, i + len(name)))
                i += len(name)
            else:
                i += 1
        return hits

    got = find_dictionary_hits(pl.Series(texts), sorted(names, key=len, reverse=True))
    assert got == [python_scan(t) for t in texts]
    assert sum(map(len, got)) > 1000


# Attribution runs these in Polars (Rust's regex crate). Where the two engines could part (a
# lookahead rewritten as a class, `$` before a final newline, lazy groups), they must not.
POLARS_PATTERNS = {name: getattr(extract, name) for name in (
    "FALL", "AT_LEAST_BEFORE", "APPROX_BEFORE", "AT_MOST_BEFORE", "AT_LEAST_AFTER", "APPROX_AFTER", "AT_MOST_AFTER",
    "FORECAST", "TARGET", "SOURCE", "PERSONAL", "COMPARISON_BASE", "NATIONAL", "CITY_WIDE", "PROVINCE_WIDE")}
TARGET_WITH_LOOKAHEAD = re.compile(
    r"目标|力争|争取|将(?:在[^,，。]{0,8})?(?:达到|达|突破|超过|超|实现|增至|举办|新增|建成|覆盖|培育|打造|形成)|"
    r"要(?:做|达到|实现|完成)|到20\d{2}年|20\d{2}年" + periods.YEAR_BEFORE)


@pytest.mark.parametrize("name", sorted(POLARS_PATTERNS))
def test_polars_finds_what_python_finds(name):
    pattern = POLARS_PATTERNS[name]
    pieces = ["2025年", "前", "以前", "后", "半年", "半", "三", "季度", "5", "将", "在", "达到", "预计", "目标", "据",
              "杭州市", "统计局", "发布", "的", "数据", "显示", "报告", "调查", "下降", "了", "超过", "约", "不足", "以上",
              "左右", "以内", "较", "比", " ", "，", "。", "全国", "全市", "全省", "我们", "他", "12", "万元"]
    texts = SEED_TEXTS + random_texts(pieces, 3000, 12, seed=7)
    found = pl.Series(texts).str.contains(pattern.pattern).to_list()
    assert found == [bool(pattern.search(t)) for t in texts]
    if name == "SOURCE":
        frame = pl.DataFrame({"t": texts}).select(pl.col("t").str.extract(pattern.pattern, 1).alias("org"),
                                                  pl.col("t").str.extract(pattern.pattern, 2).alias("org2"))
        python = [(m.group("org"), m.group("org2")) if (m := pattern.search(t)) else (None, None) for t in texts]
        assert list(frame.iter_rows()) == python
    if name == "TARGET":  # the class after 年前 / 年后 stands for the lookahead periods.py uses
        assert found == [bool(TARGET_WITH_LOOKAHEAD.search(t)) for t in texts]


def test_keyword_matches_over_a_column_are_the_regex_matches():
    # Keywords inside other keywords, and their halves, make overlaps and near misses common.
    table, pattern = extract.metric_keywords()
    words = list(table)
    pieces = words + [w[:1] for w in words] + [w[1:] for w in words if len(w) > 1] + ["的", "，", "。", "GMV", "1", " "]
    texts = SEED_TEXTS + random_texts(pieces, 2000, 10, seed=11)
    found = keyword_matches(pl.DataFrame({"text": texts}).with_row_index("article"))
    expected = [(a, m.start(), m.end(), m.group(0)) for a, t in enumerate(texts) for m in pattern.finditer(t)]
    assert len(expected) > 3000 and list(found.iter_rows()) == expected
