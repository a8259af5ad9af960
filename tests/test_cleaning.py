"""Decoding, repair, cleaning, segmentation and offsets on the seed files' real text."""
from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings, strategies as st

from dagster_project.parsing.clean import clean_document, clean_plain, normalize_chars
from dagster_project.parsing.decode import decode_bytes
from dagster_project.parsing.mojibake import find_repairs
from dagster_project.parsing.numbers import find_quantities
from dagster_project.parsing.pipeline import build_article_frame, read_raw_documents
from dagster_project.parsing.segment import build_articles
from dagster_project.parsing.tracked import Tracked, offset_runs, raw_spans
from tests.conftest import SEEDS

SEED_TEXT = {p.name: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}
DAMAGED = "001_9466b8a903cc27a1.txt"


def articles_of(name):
    return build_articles(clean_document(SEED_TEXT[name]).lines)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "big5", "utf-16", "utf-16-le", "utf-16-be"])
def test_each_encoding_is_detected_and_read(encoding):
    text = SEED_TEXT["003_57bbf5c7c259c234.txt"][:3000]
    if encoding == "big5":
        text = "遙望科技董事長兼CEO謝如棟說,杭州直播電商產業正在重構,全市直播場次達471.36萬場。" * 20
    text = text.encode(encoding, errors="ignore").decode(encoding).lstrip("\ufeff")  # what the codec can carry
    data = text.encode(encoding)
    decoded = decode_bytes(data)
    assert decoded.reason is None
    assert decoded.text.lstrip("\ufeff") == text


@pytest.mark.parametrize("data,reason", [
    (b"", "empty file"),
    (b"%PDF-1.7\n%binary", "binary file (PDF)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "binary file (PNG image)"),
    (b"plain ascii text with no chinese at all", "no Chinese text"),
    (b"\xff\xfe\x00\xd8", "undecodable"),
])
def test_unreadable_input_says_why(data, reason):
    decoded = decode_bytes(data)
    assert decoded.text is None and decoded.reason.startswith(reason)


def test_gbk_frame_shift_runs_are_repaired_in_001_and_found_nowhere_else():
    repairs = find_repairs(SEED_TEXT[DAMAGED])
    assert len(repairs) >= 8
    first = repairs[0]
    assert first.garbled == "?!毙∥逄寡?" and first.repaired.startswith("。”小五坦")
    assert first.lost_chars == 1 and first.repaired.endswith("\ufffd")  # marked, not invented
    for name, text in SEED_TEXT.items():
        if name != DAMAGED:
            assert find_repairs(text) == [], name


def test_an_ordinary_question_mark_is_left_alone():
    text = "杭州直播电商经济真的“熄火”了吗?证券时报记者多方采访发现"
    assert find_repairs(text) == []
    assert clean_plain(text) == text


def test_repair_runs_before_conversion_and_is_counted_per_file():
    cleaned = clean_document(SEED_TEXT[DAMAGED])
    text = "\n".join(line.text for line in cleaned.lines)
    assert "小五坦" in text and "毙∥逄寡" not in text
    assert cleaned.repairs >= 8 and cleaned.lost_chars >= 1


def test_pinyin_glosses_go_and_real_parentheses_stay():
    t, _, _ = normalize_chars("杭州全市平臺經(jīng)濟高質量發(fā)展大會。林依輪(中)走在田間,蛋蛋(楊潤心)在《三年行動計劃(2025—2027年)》中")
    assert t.text == "杭州全市平台经济高质量发展大会。林依轮(中)走在田间,蛋蛋(杨润心)在《三年行动计划(2025—2027年)》中"


def test_traditional_and_full_width_text_becomes_simplified_with_ascii_digits():
    t, _, _ = normalize_chars("全市已集聚直播相關市場主體超１．５萬家")
    assert t.text == "全市已集聚直播相关市场主体超1.5万家"
    assert [(q.span, q.value) for q in find_quantities(t.text)] == [("1.5万家", 15000.0)]


def test_page_furniture_and_spam_lines_are_removed():
    raw = ("下载app\n扫码下载\n新华报业网  > 首页 > 正文\n江苏直播电商产业升级\n"
           "![a.jpg](http://x/a.jpg)\n<p>全省现有4.3万个带货直播间&nbsp;。</p>\n"
           "加微信 abc12345 无抵押贷款秒批\n责编:王建朋\n分享到微信朋友圈\n")
    assert clean_plain(raw) == "江苏直播电商产业升级\n全省现有4.3万个带货直播间 。"


def test_lines_broken_mid_sentence_are_joined_and_paragraphs_kept():
    text = clean_plain(SEED_TEXT["002_9d9a72e933225fd3.txt"])
    assert "“网红经济”撤离杭州的猜测甚嚣尘上" in text
    assert "各家MCN机构与直播服务商均大力投入技术研发" in text
    assert "\n1 迁移还是迭代?\n" in text


def test_a_file_of_four_articles_is_split_with_titles_and_publisher():
    arts = articles_of("002_9d9a72e933225fd3.txt")
    assert [a.title for a in arts] == ["“网红第一大楼”为何冷清了? 杭州直播电商产业在重构中新生", "四川脑机接口产业爆发 倍益康连续上涨",
                                       "沈阳市提高住房公积金 “商转公”贷款比例限额", "广州市天河区举行 开年首场AI产业对接活动"]
    assert {a.publisher for a in arts} == {"证券时报"}
    assert [a.is_live_commerce for a in arts] == [True, False, False, False]


def test_publisher_and_date_from_a_source_line():
    (art,) = articles_of("004_f2690ca50a479f04.txt")
    assert (art.publisher, art.published_date) == ("南方日报", "2020-06-05")
    assert art.is_live_commerce and art.live_commerce_score > 0


def test_every_clean_character_maps_back_to_the_raw_file():
    raw = SEED_TEXT[DAMAGED]
    (art,) = articles_of(DAMAGED)
    start = art.text.text.index("3640.06亿元")
    runs = offset_runs(pl.Series([json.dumps(art.text.offset_map())]))
    (s,), (e,) = (side.to_list() for side in raw_spans(runs, pl.Series([0]), pl.Series([start]),
                                                       pl.Series([start + len("3640.06亿元")])))
    assert raw[s:e] == "3640.06億元"


def test_raw_spans_of_a_chunk_equal_each_span_mapped_alone():
    # Every seed article (one has repaired mojibake, others Traditional text and removed lines),
    # spans of every length from every 7th character, empty ones and ones running past the end.
    articles = build_article_frame(read_raw_documents(SEEDS, 10**8)[0])
    maps = articles["offset_map"].to_list()
    spans = [(a, s, s + n) for a, text in enumerate(articles["clean_text"].to_list())
             for s in range(0, len(text) + 3, 7) for n in (-1, 0, 1, 2, 5, 40)]
    assert len(maps) >= 8 and len(spans) > 5000
    starts, ends = raw_spans(offset_runs(articles["offset_map"]), pl.Series([a for a, _, _ in spans]),
                             pl.Series([s for _, s, _ in spans]), pl.Series([e for _, _, e in spans]))
    expected = [span_through_runs(json.loads(maps[a]), s, e) for a, s, e in spans]
    assert list(zip(starts.to_list(), ends.to_list())) == expected


def span_through_runs(runs: list[list[int]], start: int, end: int) -> tuple[int, int]:
    """One span mapped back through one article's [clean_start, raw_start, length] runs, a
    position at a time: the plain model ``raw_spans`` must agree with."""
    def to_raw(pos: int) -> int:
        before = [(c, r, n) for c, r, n in runs if c <= pos]
        if not before:
            return 0
        c, r, n = before[-1]
        return r + min(pos - c, n - 1)
    return (to_raw(start), to_raw(start)) if end <= start else (to_raw(start), to_raw(end - 1) + 1)


def raw_offsets(tracked: Tracked) -> list[int]:
    """The raw offset of each of the text's characters, from its runs."""
    return [i for raw, n in tracked.runs for i in range(raw, raw + n)]


CHINESE_LINES = [line for text in SEED_TEXT.values() for line in text.splitlines() if 5 < len(line) < 200]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(CHINESE_LINES), min_size=1, max_size=6), st.sampled_from(["\n", "\n\n", "\n \n"]))
def test_cleaning_is_idempotent(lines, sep):
    once = clean_plain(sep.join(lines))
    assert clean_plain(once) == once


class PerCharacterOffsets:
    """The offsets as one raw offset per character: the plain model that ``Tracked``'s runs must
    agree with after any sequence of edits, slices and joins."""

    def __init__(self, text: str, src: list[int]):
        self.text, self.src = text, src

    def edit(self, edits):
        parts, src, last = [], [], 0
        for start, end, repl in sorted(edits):
            if start < last:
                continue
            parts.append(self.text[last:start])
            src += self.src[last:start]
            anchor = self.src[start] if start < len(self.src) else (self.src[-1] + 1 if self.src else 0)
            parts.append(repl)
            src += self.src[start:end] if end - start == len(repl) else [anchor] * len(repl)
            last = end
        parts.append(self.text[last:])
        src += self.src[last:]
        return PerCharacterOffsets("".join(parts), src)

    def slice(self, start, end):
        return PerCharacterOffsets(self.text[start:end], self.src[start:end])

    def offset_map(self):
        """[clean_start, raw_start, length] wherever clean and raw advance together."""
        runs = []
        for i, raw in enumerate(self.src):
            if runs and runs[-1][1] + runs[-1][2] == raw:
                runs[-1][2] += 1
            else:
                runs.append([i, raw, 1])
        return runs

    @staticmethod
    def join(pieces, sep):
        text, src = [], []
        for i, p in enumerate(pieces):
            if i and sep:
                text.append(sep)
                src += [(src[-1] + 1) if src else 0] * len(sep)
            text.append(p.text)
            src += p.src
        return PerCharacterOffsets("".join(text), src)


@st.composite
def offset_operations(draw):
    """A text, then edits (spans of it replaced by shorter, equal or longer text), slices and
    joins of the result with itself."""
    text = draw(st.text(alphabet="ab 直播\n", min_size=0, max_size=30))
    steps = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["edit", "slice", "join"]))
        if kind == "edit":
            spans = draw(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 4), st.text(alphabet="xy", max_size=4)),
                                  max_size=5))
            steps.append(("edit", [(s, s + n, r) for s, n, r in spans]))
        elif kind == "slice":
            steps.append(("slice", draw(st.integers(0, 40)), draw(st.integers(0, 40))))
        else:
            steps.append(("join", draw(st.sampled_from(["", "\n", "--"]))))
    return text, steps


@settings(max_examples=300, deadline=None)
@given(offset_operations())
def test_tracked_runs_agree_with_one_offset_per_character(case):
    text, steps = case
    tracked, model = Tracked.of(text), PerCharacterOffsets(text, list(range(len(text))))
    for step in steps:
        if step[0] == "edit":
            edits = [(s, e, r) for s, e, r in step[1] if e <= len(model.text)]
            tracked, model = tracked.edit(edits), model.edit(edits)
        elif step[0] == "slice":
            start, end = min(step[1], len(model.text)), min(step[2], len(model.text))
            tracked, model = tracked.slice(start, end), model.slice(start, end)
        else:
            tracked, model = Tracked.join([tracked, tracked], step[1]), PerCharacterOffsets.join([model, model], step[1])
        assert tracked.text == model.text
        assert raw_offsets(tracked) == model.src
        assert tracked.offset_map() == model.offset_map()
        assert tracked.raw_bounds() == ((min(model.src), max(model.src) + 1) if model.src else (0, 0))
        # Lines and the blanks between them, cut in one walk, as split_lines cuts them.
        bounds = [0] + [i for i, ch in enumerate(model.text) if ch == "\n"] + [len(model.text)]
        spans = sorted({(a, b) for a, b in zip(bounds, bounds[1:])} | {(a, a) for a in bounds})
        assert [raw_offsets(t) for t in tracked.slices(spans)] == [model.slice(a, b).src for a, b in spans]


def test_a_date_that_does_not_exist_is_no_publication_date():
    # 2月30日 in a byline used to raise in the clean step, failing the whole chunk of files.
    raw = pl.DataFrame({"source_file": ["a.txt", "b.txt"], "content_hash": ["x", "y"], "raw_text": [
        "杭州直播电商发展迅速\n记者 张三 2024-02-30\n杭州直播电商交易额达到100亿元。",
        "杭州直播电商发展迅速\n记者 张三 2024-02-29\n杭州直播电商交易额达到100亿元。"]})
    articles = build_article_frame(raw)
    assert articles["published_date"].to_list() == [None, date(2024, 2, 29)]
