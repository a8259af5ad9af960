"""Dictionary look-up over a whole column of texts at once (Aho-Corasick inside Polars)."""
from __future__ import annotations

import polars as pl


def find_dictionary_hits(texts: pl.Series | list[str], patterns: list[str]) -> list[list[tuple[str, int, int]]]:
    """For each text, (name, char_start, char_end) of every leftmost match; ``patterns`` sorted
    longest first make each match the longest name starting there."""
    texts = texts if isinstance(texts, pl.Series) else pl.Series("text", texts, dtype=pl.String)
    found = pl.DataFrame({"text": texts}).select(
        pl.col("text").str.extract_many(patterns, leftmost=True).alias("names"),
        pl.col("text").str.find_many(patterns, leftmost=True).alias("byte_starts"),
    )
    out = []
    for text, names, starts in zip(texts.to_list(), found["names"].to_list(), found["byte_starts"].to_list()):
        hits = []
        if names:
            # Polars gives byte offsets: count characters between consecutive hits (one pass per text).
            data = text.encode("utf-8")
            byte_pos = char_pos = 0
            for name, b in zip(names, starts):
                char_pos += len(data[byte_pos:b].decode("utf-8"))
                byte_pos = b
                hits.append((name, char_pos, char_pos + len(name)))
        out.append(hits)
    return out
