"""Region mentions resolved to one row of the administrative-division table.

Names are matched leftmost-longest over whole columns with Polars (``str.extract_many``).
Short names (杭州, 义乌) count like full ones; a town's short name (沙溪) and every name shared
by several divisions (沙溪镇 exists in nine places) is resolved through the other places the
article names, and left ambiguous, never guessed, when they do not decide it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import NamedTuple

import polars as pl

import csv

from dagster_project.parsing.matching import find_dictionary_hits
from dagster_project.parsing.reference import admin_divisions, read_seed
from dagster_project.settings import REFERENCE_DIR

COUNTRY = {"code": "100000", "name": "中国", "level": "country", "parent_code": "", "short_name": "中国"}
LEVEL_RANK = {"country": 0, "province": 1, "prefecture": 2, "county": 3, "town": 4}
# A place name directly followed by one of these is part of an organisation's or venue's name.
ORG_TAIL = re.compile(
    r"^[\u4e00-\u9fff]{0,4}?(?:大学|学院|研究院|研究所|银行|集团|有限公司|公司|博览|会议中心|国际中心|广场|大厦|酒店|医院|"
    r"电视台|日报|晚报|时报|商会|协会|联盟|实验室|体育场|机场|火车站|高铁站)"
)
ZONE = re.compile(r"开发区|产业园|示范区|园区|管理区|新区|高新区|试验区|合作区")
# The suffix character starts another word: 中山区域, 杭州市场 -> 中山 + 区域, 杭州 + 市场.
SUFFIX_WORD = re.compile(r"^(?:区域|区块|区间|市场|市值|市民|市面|县域|镇域|省份|省钱|省心)")


class RegionMention(NamedTuple):
    surface: str
    start: int
    end: int
    region: str  # canonical full name
    code: str | None  # None when ambiguous
    level: str
    parent_code: str | None
    ambiguous: bool


FREE, NEEDS_ANCHOR, NEEDS_LOCAL_ANCHOR = 0, 1, 2
# Town short names more frequent than this as words (发展 8.7M, 平台 10M) count only in full;
# rarer ones (东升 11k) count when the article names the town's city or county.
TOWN_SHORT_NAME_MAX_WORD_COUNT = 20_000


@dataclass
class RegionIndex:
    rows: dict[str, dict]  # code -> division row
    by_surface: dict[str, dict[str, int]]  # surface -> {candidate code: what context it needs}
    full_names: set[str]
    patterns: list[str]
    ancestor_cache: dict[str, tuple[str, ...]] = field(default_factory=dict)
    parent_sets: dict[str, tuple[frozenset[str], frozenset[str]]] = field(default_factory=dict)
    free_codes: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def ancestors(self, code: str) -> tuple[str, ...]:
        """The division and every division above it, nearest first."""
        if code not in self.ancestor_cache:
            out, c = [], code
            while c and c in self.rows:
                out.append(c)
                c = self.rows[c]["parent_code"]
            self.ancestor_cache[code] = tuple(out)
        return self.ancestor_cache[code]

    def parents(self, code: str) -> tuple[frozenset[str], frozenset[str]]:
        """(every division above ``code``, those of them that are a prefecture or a county)."""
        if code not in self.parent_sets:
            above = self.ancestors(code)[1:]
            self.parent_sets[code] = (frozenset(above), frozenset(
                p for p in above if self.rows[p]["level"] in ("prefecture", "county")))
        return self.parent_sets[code]

    def free(self, surface: str) -> tuple[str, ...]:
        """The divisions ``surface`` names without needing any context."""
        if surface not in self.free_codes:
            self.free_codes[surface] = tuple(c for c, need in self.by_surface[surface].items() if need == FREE)
        return self.free_codes[surface]


@lru_cache(maxsize=1)
def region_index() -> RegionIndex:
    """Every surface form of every division, with what context it needs to count:
    towns need their city or county named in the article; a county's short name that is also
    a general word (延长, 合作) needs its province or city named; the rest stand alone."""
    rows = {r["code"]: r for r in admin_divisions()}
    rows[COUNTRY["code"]] = COUNTRY
    stop = {r["surface"] for r in read_seed("region_stoplist")}
    by_surface: dict[str, dict[str, int]] = {}

    counts = word_counts()

    def add(surface: str, code: str, need: int) -> None:
        if len(surface) < 2 or surface in stop:
            return
        if need == NEEDS_LOCAL_ANCHOR and counts.get(surface, 0) > TOWN_SHORT_NAME_MAX_WORD_COUNT:
            return  # a town whose short name is an everyday word (发展, 平台) only by its full name
        codes = by_surface.setdefault(surface, {})
        codes[code] = min(need, codes.get(code, need))

    for code, r in rows.items():
        if code == COUNTRY["code"]:
            continue
        town = r["level"] == "town"
        add(r["name"], code, NEEDS_LOCAL_ANCHOR if town else FREE)
        if town:
            add(re.sub(r"(?:镇|乡|苏木)$", "", r["name"]), code, NEEDS_LOCAL_ANCHOR)
        elif r["short_name"] and r["short_name"] != r["name"] and not ZONE.search(r["name"]):
            word_like = r["level"] == "county" and r.get("short_name_is_word") == "true"
            add(r["short_name"], code, NEEDS_ANCHOR if word_like else FREE)
    for alias in read_seed("region_aliases"):
        add(alias["alias"], COUNTRY["code"], FREE)
    for surface in stop:  # stop words still consume their text: 珠三角 must not yield 三角(镇)
        by_surface.setdefault(surface, {})
    full_names = {r["name"] for r in rows.values()}
    patterns = sorted(by_surface, key=len, reverse=True)
    return RegionIndex(rows, by_surface, full_names, patterns)


@lru_cache(maxsize=1)
def word_counts() -> dict[str, int]:
    with open(REFERENCE_DIR / "common_words.csv", encoding="utf-8", newline="") as f:
        return {r["word"]: int(r["count"]) for r in csv.DictReader(f)}


def common_words() -> frozenset[str]:
    return frozenset(word_counts())


def find_region_surfaces(texts: pl.Series) -> list[list[tuple[str, int, int]]]:
    """For each text, (surface, char_start, char_end) of every leftmost-longest name match."""
    return find_dictionary_hits(texts, region_index().patterns)


def _refine(text: str, surface: str, start: int, end: int, word_follows: bool = False,
            idx: RegionIndex | None = None) -> tuple[str, int, int] | None:
    idx = idx or region_index()
    if surface[-1] in "区市县镇省" and SUFFIX_WORD.match(text[end - 1:end + 2]):
        shorter = surface[:-1]
        return _refine(text, shorter, start, end - 1, True, idx) if shorter in idx.by_surface else None
    if ORG_TAIL.match(text[end:end + 12]):
        return None
    if surface not in idx.full_names:
        # A short name that ends or starts inside a commoner word is no place: 新[平台], 提[高要]求
        # (but 广东大区 stays 广东: 广东 is far commoner than 东大).
        counts = word_counts()
        own = counts.get(surface, 0)
        overlaps = [text[max(0, start - 1):start + 1]] + ([] if word_follows else [text[end - 1:end + 1]])
        for overlap in overlaps:
            if len(overlap) == 2 and counts.get(overlap, 0) > own:
                return None
    return surface, start, end


def _eligible(idx: RegionIndex, codes: dict[str, int], anchors: set[str]) -> list[str]:
    out = []
    for code, need in codes.items():
        if need == FREE or code in anchors:
            out.append(code)
        elif need == NEEDS_ANCHOR and not idx.parents(code)[0].isdisjoint(anchors):
            out.append(code)
        elif need == NEEDS_LOCAL_ANCHOR and not idx.parents(code)[1].isdisjoint(anchors):
            out.append(code)
    return out


def resolve_regions(text: str, hits: list[tuple[str, int, int]]) -> list[RegionMention]:
    idx = region_index()
    refined = [r for surface, start, end in hits if idx.by_surface[surface] and (r := _refine(text, surface, start, end, idx=idx))]
    # Anchors: divisions the article names without doubt, and all their ancestors.
    anchors: set[str] = set()
    for surface, _, _ in refined:
        free = idx.free(surface)
        if len(free) == 1:
            anchors.update(idx.ancestors(free[0]))
    mentions = []
    for surface, start, end in refined:
        codes = idx.by_surface[surface]
        if not codes:
            continue
        eligible = _eligible(idx, codes, anchors)
        if any(codes[c] == FREE for c in eligible):  # 河北 is the province before any 河北乡
            eligible = [c for c in eligible if codes[c] == FREE]
        code, ambiguous = None, False
        if len(eligible) == 1:
            code = eligible[0]
        elif len(eligible) > 1:
            def anchor_depth(c: str) -> int:
                return max([LEVEL_RANK[idx.rows[a]["level"]] for a in idx.ancestors(c) if a in anchors] or [-1])
            best = max(anchor_depth(c) for c in eligible)
            top = [c for c in eligible if anchor_depth(c) == best]
            if len(top) > 1:
                ranks = sorted(LEVEL_RANK[idx.rows[c]["level"]] for c in top)
                top = [min(top, key=lambda c: LEVEL_RANK[idx.rows[c]["level"]])] if ranks[0] < ranks[1] else top
            code, ambiguous = (top[0], False) if len(top) == 1 else (None, True)
        elif surface in idx.full_names and surface.endswith(("镇", "乡")):
            ambiguous = True  # a full town name that no other place in the article pins down
        else:
            continue
        row = idx.rows[code] if code else idx.rows[next(iter(codes))]
        mentions.append(RegionMention(surface, start, end, row["name"], code, row["level"],
                                      (row["parent_code"] or None) if code else None, ambiguous))
    return mentions


def focus_region(mentions: list[RegionMention], level: str) -> str | None:
    """The most-named division of a level in the article, counting mentions of its sub-divisions."""
    idx = region_index()
    counts: dict[str, int] = {}
    for m in mentions:
        if not m.code:
            continue
        for code in idx.ancestors(m.code):
            if idx.rows[code]["level"] == level:
                counts[code] = counts.get(code, 0) + 1
    if not counts:
        return None
    return idx.rows[max(counts, key=lambda c: (counts[c], c))]["name"]
