"""Dictionary look-up over a whole column of texts at once (Aho-Corasick inside Polars), and
regex scans confined to the text just before where a match can end."""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable, Iterator

import polars as pl


def find_dictionary_hits(texts: pl.Series | list[str], patterns: list[str]) -> list[list[tuple[str, int, int]]]:
    """For each text, (name, char_start, char_end) of every leftmost match; ``patterns`` sorted
    longest first make each match the longest name starting there."""
    texts = texts if isinstance(texts, pl.Series) else pl.Series("text", texts, dtype=pl.String)
    names_per_text = pl.DataFrame({"text": texts}).select(
        pl.col("text").str.extract_many(patterns, leftmost=True))["text"].to_list()
    out = []
    for text, names in zip(texts.to_list(), names_per_text):
        # Matches come in order and do not overlap, and no name occurs between two of them (it
        # would have matched there): each one is the next occurrence of its name.
        hits, pos = [], 0
        for name in names or ():
            start = text.find(name, pos)
            pos = start + len(name)
            hits.append((name, start, pos))
        out.append(hits)
    return out


@lru_cache(maxsize=64)
def max_width(pattern: re.Pattern) -> int:
    """The most characters a match of ``pattern`` can span (what a lookahead reads is not counted).
    Uses the regex parser of the standard library, pinned by the project's Python 3.11."""
    width = re._parser.parse(pattern.pattern, pattern.flags).getwidth()[1]
    if width >= re._parser.MAXWIDTH:
        raise ValueError(f"matches of {pattern.pattern[:40]!r} have no length limit")
    return width


def occurrence_ends(text: str, literals: Iterable[str]) -> list[int]:
    """Every position where one of ``literals`` ends in ``text`` (overlapping ones included), sorted."""
    ends = set()
    for literal in literals:
        i = text.find(literal)
        while i >= 0:
            ends.add(i + len(literal))
            i = text.find(literal, i + 1)
    return sorted(ends)


def finditer_ending_at(pattern: re.Pattern, text: str, anchors: list[int], reach: int, after: int) -> Iterator[re.Match]:
    """``pattern.finditer(text)``, scanning only the ``reach`` characters before each anchor.

    The same matches, in the same order, when every match of ``pattern`` ends at one of
    ``anchors`` (sorted), is at most ``reach`` characters long, reads at most ``after`` characters
    past its end (a lookahead) and the pattern has no negative lookaround or end anchor. Regexes
    that open with a lazy run of any Han character (a name before its suffix) otherwise try the
    whole pattern at every position of the text."""
    pos, i, n = 0, 0, len(anchors)
    while i < n:
        # A cluster of anchors whose windows touch: no match starting inside it ends after it.
        first = anchors[i]
        while i + 1 < n and anchors[i + 1] - reach <= anchors[i]:
            i += 1
        last = anchors[i]
        i += 1
        pos = max(pos, first - reach)
        while pos <= last and (m := pattern.search(text, pos, min(len(text), last + after))):
            yield m
            pos = m.end()
