"""Reading the input folder: what a refresh reads again, decodes again or sets aside."""
from __future__ import annotations

import hashlib
import shutil

import polars as pl

from dagster_project.assets import QUARANTINE_LOG_ROWS, quarantine_message
from dagster_project.parsing import pipeline
from tests.conftest import SEEDS

LIMIT = 20 * 1024 * 1024


def test_a_rescan_reads_only_new_or_touched_files_and_keeps_duplicates_in_name_order(tmp_path, monkeypatch):
    folder = tmp_path / "input"
    shutil.copytree(SEEDS, folder)
    docs, present, quarantined = pipeline.read_raw_documents(folder, LIMIT)
    assert docs.height == present.height == 5 and quarantined.height == 0
    known = docs.select("source_file", "content_hash")

    touched = folder / "003_57bbf5c7c259c234.txt"
    touched.write_text(touched.read_text(encoding="utf-8") + "\n2025年常熟直播电商交易额1234亿元。", encoding="utf-8")
    shutil.copy(folder / "001_9466b8a903cc27a1.txt", folder / "zz_copy.txt")
    # A new file named before an untouched one with the same bytes: the untouched one is now the copy.
    shutil.copy(folder / "002_9d9a72e933225fd3.txt", folder / "000_new_first.txt")

    hashed = []
    real_sha256 = hashlib.sha256
    monkeypatch.setattr(hashlib, "sha256", lambda data=b"": hashed.append(len(data)) or real_sha256(data))
    docs2, present2, quarantined2 = pipeline.read_raw_documents(folder, LIMIT, known, present)

    assert len(hashed) == 3  # the touched file and the two new ones; the untouched three are not read
    assert docs2["source_file"].to_list() == ["000_new_first.txt", "003_57bbf5c7c259c234.txt"]
    assert dict(zip(quarantined2["source_file"], quarantined2["reason"])) == {
        "002_9d9a72e933225fd3.txt": "duplicate content of 000_new_first.txt",
        "zz_copy.txt": "duplicate content of 001_9466b8a903cc27a1.txt"}
    assert present2["source_file"].to_list() == ["000_37c7957edf3b189b.txt", "000_new_first.txt",
                                                 "001_9466b8a903cc27a1.txt", "003_57bbf5c7c259c234.txt",
                                                 "004_f2690ca50a479f04.txt"]


def test_an_untouched_file_over_a_lowered_size_limit_is_set_aside(tmp_path):
    folder = tmp_path / "input"
    shutil.copytree(SEEDS, folder)
    docs, present, _ = pipeline.read_raw_documents(folder, LIMIT)
    biggest = max(present.iter_rows(named=True), key=lambda r: r["size_bytes"])
    _, present2, quarantined2 = pipeline.read_raw_documents(folder, biggest["size_bytes"] - 1,
                                                           docs.select("source_file", "content_hash"), present)
    assert quarantined2["source_file"].to_list() == [biggest["source_file"]]
    assert quarantined2["reason"][0].startswith("oversized")
    assert present2.height == 4


def test_the_files_set_aside_are_logged_in_one_message_naming_the_first_of_them():
    names = [f"bad_{i:02d}.txt" for i in range(QUARANTINE_LOG_ROWS + 3)]
    lines = quarantine_message(pl.DataFrame({"source_file": names, "reason": ["empty file"] * len(names)})).splitlines()
    assert lines[0] == f"{len(names)} file(s) quarantined (all of them in marts.quarantine):"
    assert lines[1:QUARANTINE_LOG_ROWS + 1] == [f"{name}: empty file" for name in names[:QUARANTINE_LOG_ROWS]]
    assert lines[QUARANTINE_LOG_ROWS + 1:] == ["... and 3 more"]
    one = quarantine_message(pl.DataFrame({"source_file": ["report.pdf"], "reason": ["binary file (PDF)"]}))
    assert one.splitlines()[1:] == ["report.pdf: binary file (PDF)"]
