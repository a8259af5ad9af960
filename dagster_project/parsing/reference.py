"""Loaders for the reference data files (cached: they are read once per process)."""
from __future__ import annotations

import csv
import math
from functools import lru_cache

from dagster_project.settings import DBT_SEEDS_DIR, REFERENCE_DIR


@lru_cache(maxsize=1)
def char_log_freq() -> dict[str, float]:
    """log10 relative frequency of each character in Chinese text."""
    with open(REFERENCE_DIR / "char_frequency.csv", encoding="utf-8") as f:
        rows = [(r["char"], int(r["count"])) for r in csv.DictReader(f)]
    total = sum(n for _, n in rows)
    return {c: math.log10(n / total) for c, n in rows}


UNKNOWN_CHAR_LOG_FREQ = -9.0


def text_log_score(text: str) -> float:
    """Mean log10 frequency per character: higher means more like ordinary Chinese text."""
    if not text:
        return UNKNOWN_CHAR_LOG_FREQ
    freq = char_log_freq()
    return sum(freq.get(c, UNKNOWN_CHAR_LOG_FREQ) for c in text) / len(text)


def read_seed(name: str) -> list[dict[str, str]]:
    with open(DBT_SEEDS_DIR / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=1)
def admin_divisions() -> list[dict[str, str]]:
    with open(REFERENCE_DIR / "admin_divisions.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))
