"""Text that remembers, for each character, where it came from in the raw file."""
from __future__ import annotations

import re
from bisect import bisect_right
from typing import Callable, Iterable

import polars as pl


class Tracked:
    """Text with, for each character, its offset in the raw text, kept as runs: (raw_start, length)
    pieces in text order, the i-th character of a piece coming from raw_start + i. Characters put
    in place of a span of another length all map to the span's start, a piece of length one each."""

    __slots__ = ("text", "runs", "_starts")

    def __init__(self, text: str, runs: tuple[tuple[int, int], ...]):
        self.text, self.runs, self._starts = text, runs, None

    @classmethod
    def of(cls, text: str) -> "Tracked":
        return cls(text, ((0, len(text)),) if text else ())

    def _run_starts(self) -> list[int]:
        if self._starts is None:
            starts, pos = [], 0
            for _, n in self.runs:
                starts.append(pos)
                pos += n
            self._starts = starts
        return self._starts

    def _cut(self, start: int, end: int) -> list[tuple[int, int]]:
        """The runs of text[start:end], for 0 <= start <= end <= len(text)."""
        if start >= end:
            return []
        starts, runs = self._run_starts(), self.runs
        i = bisect_right(starts, start) - 1
        out = []
        while i < len(runs) and starts[i] < end:
            raw, n = runs[i]
            lo, hi = max(start, starts[i]), min(end, starts[i] + n)
            out.append((raw + lo - starts[i], hi - lo))
            i += 1
        return out

    def slice(self, start: int, end: int) -> "Tracked":
        n = len(self.text)
        start, end = min(max(start, 0), n), min(max(end, 0), n)
        return Tracked(self.text[start:end], tuple(self._cut(start, end)))

    def slices(self, spans: Iterable[tuple[int, int]]) -> list["Tracked"]:
        """``[self.slice(start, end) for start, end in spans]`` for spans within the text."""
        return [Tracked(self.text[start:end], tuple(self._cut(start, end))) for start, end in spans]

    def edit(self, edits: Iterable[tuple[int, int, str]]) -> "Tracked":
        """Replace non-overlapping [start, end) spans; new characters map to the span's start."""
        parts, runs, last, n = [], [], 0, len(self.text)
        for start, end, repl in sorted(edits):
            if start < last:
                continue
            parts.append(self.text[last:start])
            runs += self._cut(last, start)
            parts.append(repl)
            if end - start == len(repl):  # same length: keep one-to-one positions
                runs += self._cut(start, min(end, n))
            elif repl:
                anchor = self._cut(start, start + 1)[0][0] if start < n else (self._cut(n - 1, n)[0][0] + 1 if n else 0)
                runs += [(anchor, 1)] * len(repl)
            last = end
        parts.append(self.text[last:])
        runs += self._cut(min(last, n), n)
        return Tracked("".join(parts), tuple(runs))

    def sub(self, pattern: re.Pattern, repl: str | Callable[[re.Match], str]) -> "Tracked":
        edits = [(m.start(), m.end(), repl if isinstance(repl, str) else repl(m)) for m in pattern.finditer(self.text)]
        return self.edit(edits) if edits else self

    def map_text(self, convert: Callable[[str], str]) -> "Tracked":
        """Apply a whole-text conversion; fall back to per-character mapping where lengths differ."""
        out = convert(self.text)
        if len(out) == len(self.text):
            return Tracked(out, self.runs)
        edits = []
        for i, ch in enumerate(self.text):
            conv = convert(ch)
            if conv != ch:
                edits.append((i, i + 1, conv))
        return self.edit(edits)

    @staticmethod
    def join(pieces: list["Tracked"], sep: str = "\n") -> "Tracked":
        """The pieces one after another, ``sep`` between them mapped just past what precedes it."""
        text, runs = [], []
        for i, p in enumerate(pieces):
            if i and sep:
                text.append(sep)
                runs += [((runs[-1][0] + runs[-1][1]) if runs else 0, 1)] * len(sep)
            text.append(p.text)
            runs += p.runs
        return Tracked("".join(text), tuple(runs))

    def offset_map(self) -> list[list[int]]:
        """Runs of [clean_start, raw_start, length] where clean and raw advance together: the
        pieces, with each joined to the one before when it continues it."""
        out: list[list[int]] = []
        pos = 0
        for raw, n in self.runs:
            if out and out[-1][1] + out[-1][2] == raw:
                out[-1][2] += n
            else:
                out.append([pos, raw, n])
            pos += n
        return out

    def raw_bounds(self) -> tuple[int, int]:
        """(lowest raw offset, highest + 1) of the text's characters, (0, 0) for no text."""
        if not self.runs:
            return 0, 0
        return min(raw for raw, _ in self.runs), max(raw + n for raw, n in self.runs)


def offset_runs(offset_maps: pl.Series) -> pl.DataFrame:
    """(article, clean_start, raw_start, length) of every run of a column of offset maps
    (``Tracked.offset_map`` as JSON, one per article, numbered by position)."""
    runs = (offset_maps.str.json_decode(pl.List(pl.List(pl.Int64))).to_frame("run")
            .with_row_index("article").explode("run").drop_nulls("run"))
    return runs.select("article", clean_start=pl.col("run").list.get(0), raw_start=pl.col("run").list.get(1),
                       length=pl.col("run").list.get(2)).sort("clean_start")


def raw_spans(runs: pl.DataFrame, article: pl.Series, start: pl.Series, end: pl.Series) -> tuple[pl.Series, pl.Series]:
    """Clean-text spans mapped back to the raw text, each through its article's runs
    (``offset_runs``): a span starts at its first character's raw offset and ends just past its
    last one's; an empty span is empty at its start's. Returns (raw_char_start, raw_char_end) in
    the order given."""
    spans = pl.DataFrame({"article": article.cast(pl.UInt32), "start": start, "end": end},
                         schema_overrides={"start": pl.Int64, "end": pl.Int64}).with_row_index("row")
    empty = pl.col("end") <= pl.col("start")
    # Both ends of a span in one as-of join: its first character and its last (the first again
    # for an empty span), mapped back in row order below, first ends then last ones.
    points = pl.concat([spans.select("row", "article", pos=pl.col("start"), side=pl.lit(0, pl.Int8)),
                        spans.select("row", "article", pos=pl.when(empty).then(pl.col("start"))
                                     .otherwise(pl.col("end") - 1), side=pl.lit(1, pl.Int8))])
    # The run a position falls in is the last one starting at or before it; past a run's end the
    # position stays on the run's last character, and before the first run it maps to 0.
    raw = (points.sort("pos")
           .join_asof(runs, left_on="pos", right_on="clean_start", by="article", strategy="backward",
                      check_sortedness=False)
           .sort("side", "row")
           .select(pl.when(pl.col("clean_start").is_null()).then(0).otherwise(
               pl.col("raw_start") + pl.min_horizontal(pl.col("pos") - pl.col("clean_start"), pl.col("length") - 1)))
           .to_series())
    first, last = raw.head(spans.height), raw.tail(spans.height)
    raw_end = spans.select(pl.when(empty).then(last).otherwise(last + 1)).to_series()
    return first.alias("raw_char_start"), raw_end.alias("raw_char_end")
