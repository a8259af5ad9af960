"""Text that remembers, for each character, where it came from in the raw file."""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np


@dataclass(frozen=True)
class Tracked:
    text: str
    src: tuple[int, ...]  # src[i]: offset in the raw text of text[i]

    @classmethod
    def of(cls, text: str) -> "Tracked":
        return cls(text, tuple(range(len(text))))

    def slice(self, start: int, end: int) -> "Tracked":
        return Tracked(self.text[start:end], self.src[start:end])

    def edit(self, edits: Iterable[tuple[int, int, str]]) -> "Tracked":
        """Replace non-overlapping [start, end) spans; new characters map to the span's start."""
        parts, src, last = [], [], 0
        for start, end, repl in sorted(edits):
            if start < last:
                continue
            parts.append(self.text[last:start])
            src.extend(self.src[last:start])
            anchor = self.src[start] if start < len(self.src) else (self.src[-1] + 1 if self.src else 0)
            parts.append(repl)
            if end - start == len(repl):  # same length: keep one-to-one positions
                src.extend(self.src[start:end])
            else:
                src.extend([anchor] * len(repl))
            last = end
        parts.append(self.text[last:])
        src.extend(self.src[last:])
        return Tracked("".join(parts), tuple(src))

    def sub(self, pattern: re.Pattern, repl: str | Callable[[re.Match], str]) -> "Tracked":
        edits = [(m.start(), m.end(), repl if isinstance(repl, str) else repl(m)) for m in pattern.finditer(self.text)]
        return self.edit(edits) if edits else self

    def map_text(self, convert: Callable[[str], str]) -> "Tracked":
        """Apply a whole-text conversion; fall back to per-character mapping where lengths differ."""
        out = convert(self.text)
        if len(out) == len(self.text):
            return Tracked(out, self.src)
        edits = []
        for i, ch in enumerate(self.text):
            conv = convert(ch)
            if conv != ch:
                edits.append((i, i + 1, conv))
        return self.edit(edits)

    @staticmethod
    def join(pieces: list["Tracked"], sep: str = "\n") -> "Tracked":
        text, src = [], []
        for i, p in enumerate(pieces):
            if i and sep:
                text.append(sep)
                src.extend([(src[-1] + 1) if src else 0] * len(sep))
            text.append(p.text)
            src.extend(p.src)
        return Tracked("".join(text), tuple(src))


def compress_offsets(src: tuple[int, ...]) -> list[list[int]]:
    """Runs of [clean_start, raw_start, length] where clean and raw advance together."""
    if not src:
        return []
    raw = np.asarray(src, dtype=np.int64)
    breaks = np.flatnonzero(np.diff(raw) != 1) + 1  # a run ends where raw does not advance by one
    starts = np.concatenate(([0], breaks))
    lengths = np.diff(np.concatenate((starts, [len(raw)])))
    return np.column_stack((starts, raw[starts], lengths)).tolist()


class RawOffsets:
    """Clean-text spans mapped back to the raw text through compressed runs."""

    def __init__(self, runs: list[list[int]]):
        self.runs = runs
        self.starts = [c for c, _, _ in runs]

    def to_raw(self, pos: int) -> int:
        i = bisect_right(self.starts, pos) - 1
        if i < 0:
            return 0
        c, r, n = self.runs[i]
        return r + min(pos - c, n - 1)

    def span(self, start: int, end: int) -> tuple[int, int]:
        if end <= start:
            return self.to_raw(start), self.to_raw(start)
        return self.to_raw(start), self.to_raw(end - 1) + 1


def raw_span(runs: list[list[int]], start: int, end: int) -> tuple[int, int]:
    """Map a [start, end) span of clean text back to the raw text through compressed runs."""
    return RawOffsets(runs).span(start, end)
