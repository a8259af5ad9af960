"""How fast could clean + extract be? The whole-text scans every article goes through, timed alone.

    python bench/scan_floor.py                    # 3,000 files of the generated 10k corpus
    python bench/scan_floor.py --files 1000 --corpus bench/out/corpus_1000

On one core, prints (best of three runs each):
- clean + extract as the pipeline runs them (build_article_frame, build_extraction_frames, each chunk
  with the garbage collector paused, as parallel.map_chunks runs it);
- the parts of that extract which already run in Polars over the whole chunk (the division-name
  and company-dictionary scans, attribution, the mapping of offsets back to the raw text), timed
  inside it: a lower bound for any parser that keeps them as they are;
- each regular expression that runs over a whole text (the raw text for cleaning, the clean
  text for extraction) and OpenCC's Traditional -> Simplified, with no other work: a lower bound
  for any parser that keeps these scans in Python's `re`;
- the same extraction scans in Polars (Rust's regex crate), where the pattern compiles there once
  the leading lookahead is dropped (that lookahead only names the characters a match can start
  with, for Python's engine), with both engines' match counts.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
from collections import deque
from contextlib import contextmanager
from pathlib import Path

os.environ.setdefault("POLARS_MAX_THREADS", "1")  # figures per core, as the Python ones

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import polars as pl  # noqa: E402

from dagster_project.parsing import attribution, clean, extract, mojibake, numbers, periods, pipeline  # noqa: E402
from dagster_project.parsing.parallel import without_collector  # noqa: E402
from dagster_project.parsing.pipeline import build_article_frame, build_extraction_frames, read_raw_documents  # noqa: E402

LEADING_FIRST_CHARS = re.compile(r"^\(\?=\[[^\]]*\]\)")


def best_of(runs: int, work) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


# The extract's chunk-level Polars work: (part, owner, function name), as build_extraction_frames
# finds them when it calls them.
COLUMNAR_PARTS = [("division-name scan", pipeline, "find_region_surfaces"),
                  ("company-dictionary scan", pipeline, "find_dictionary_companies"),
                  ("attribution", attribution.ObservationInputs, "attribute"),
                  ("offsets to raw text", pipeline, "offset_runs"), ("offsets to raw text", pipeline, "raw_spans")]


@contextmanager
def timing_calls(parts: list[tuple[str, object, str]]):
    """Seconds spent in the named functions while the block runs, summed by part over their calls."""
    seconds: dict[str, float] = {}
    originals = [(owner, attr, getattr(owner, attr)) for _, owner, attr in parts]

    def timed(part: str, function):
        def call(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[part] = seconds.get(part, 0.0) + time.perf_counter() - started
        return call

    for (part, _, _), (owner, attr, function) in zip(parts, originals):
        setattr(owner, attr, timed(part, function))
    try:
        yield seconds
    finally:
        for owner, attr, function in originals:
            setattr(owner, attr, function)


def scan_all(pattern: re.Pattern, texts: list[str]) -> None:
    for text in texts:
        deque(pattern.finditer(text), maxlen=0)


def clean_scans() -> dict[str, re.Pattern]:
    names = ["MARKDOWN_IMAGE", "HTML_TAG", "HTML_ENTITY", "MARKDOWN_EMPHASIS", "PINYIN_GLOSS", "EMOJI", "CONTROL", "SPACES"]
    return {**{f"clean.{n}": getattr(clean, n) for n in names}, "mojibake.RUN_START": mojibake.RUN_START}


def extract_scans() -> dict[str, re.Pattern]:
    return {"extract.SENTENCE_END": extract.SENTENCE_END, "extract.metric keywords": extract.metric_keywords()[1],
            "numbers.QUANTITY": numbers.QUANTITY, "numbers.BARE_MAGNITUDE": numbers.BARE_MAGNITUDE,
            "periods.PERIOD": periods.PERIOD, "extract.SCOPE_WORDS": extract.SCOPE_WORDS,
            "extract.CLAUSE_SEP": extract.CLAUSE_SEP}


def rust_pattern(pattern: re.Pattern) -> str | None:
    """The pattern for Polars, or None when it needs lookaround (which Rust's regex crate lacks)."""
    candidate = LEADING_FIRST_CHARS.sub("", pattern.pattern)
    try:
        pl.select(pl.lit("").str.count_matches(candidate))
    except Exception:  # Polars raises ComputeError for a pattern its engine rejects
        return None
    return candidate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "bench" / "out" / "corpus_10000")
    parser.add_argument("--files", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not args.corpus.exists():
        from bench.generate import generate
        generate(int(args.corpus.name.rsplit("_", 1)[-1]), args.corpus, args.seed)

    with tempfile.TemporaryDirectory() as tmp:
        for path in sorted(args.corpus.iterdir())[:args.files]:
            shutil.copy(path, Path(tmp) / path.name)
        raw, _, _ = read_raw_documents(Path(tmp), 10**9)
    raws = raw["raw_text"].to_list()
    mb = raw["raw_text"].str.len_bytes().sum() / 1e6
    articles = build_article_frame(raw)
    cleans = articles["clean_text"].to_list()
    print(f"{raw.height} files, {mb:.2f} MB of raw text; MB/s below are raw MB per second on one core")

    def line(name: str, seconds: float, extra: str = "") -> None:
        print(f"  {name:32s} {seconds:7.3f} s {mb / seconds:8.1f} MB/s  {extra}")

    print("the pipeline's own parse:")
    clean_s = best_of(3, lambda: without_collector(build_article_frame, raw))
    extract_s = best_of(3, lambda: without_collector(build_extraction_frames, articles))
    line("clean (build_article_frame)", clean_s)
    line("extract (build_extraction_frames)", extract_s)
    line("clean + extract", clean_s + extract_s)

    print("parts of that extract already in Polars, over each chunk (one extract, fastest of three):")
    best: dict[str, float] | None = None
    for _ in range(3):
        with timing_calls(COLUMNAR_PARTS) as seconds:
            without_collector(build_extraction_frames, articles)
        if best is None or sum(seconds.values()) < sum(best.values()):
            best = dict(seconds)
    for name, seconds in best.items():
        line(name, seconds)
    columnar = sum(best.values())
    line("sum of the Polars parts", columnar, f"(two cores at best: {2 * mb / columnar:.1f} MB/s; "
         f"{100 * columnar / extract_s:.0f} % of the extract above)")

    print("whole-text scans alone, Python re (and OpenCC):")
    total = best_of(3, lambda: [clean._t2s().convert(t) for t in raws])
    line("opencc t2s", total)
    for name, pattern in clean_scans().items():
        seconds = best_of(3, lambda p=pattern: scan_all(p, raws))
        line(name, seconds)
        total += seconds
    python_extract_total, rust_total, both = 0.0, 0.0, True
    extraction_rows = []
    for name, pattern in extract_scans().items():
        seconds = best_of(3, lambda p=pattern: scan_all(p, cleans))
        line(name, seconds)
        total += seconds
        python_extract_total += seconds
        extraction_rows.append((name, pattern, seconds))
    line("sum of the scans", total, f"(two cores at best: {2 * mb / total:.1f} MB/s)")

    print("extraction scans in Polars (Rust regex), leading lookahead dropped:")
    frame = pl.DataFrame({"text": cleans})
    for name, pattern, _ in extraction_rows:
        candidate = rust_pattern(pattern)
        if candidate is None:
            print(f"  {name:32s}  needs lookaround: not expressible in Rust's regex crate")
            both = False
            continue
        seconds = best_of(3, lambda c=candidate: frame.select(pl.col("text").str.replace_all(c, "\x00${0}\x01")))
        rust_total += seconds
        rust_count = frame.select(pl.col("text").str.count_matches(candidate).sum()).item()
        python_count = sum(1 for t in cleans for _ in pattern.finditer(t))
        line(name, seconds, f"matches: Polars {rust_count}, Python {python_count}")
    print(f"  extraction scans: Python {python_extract_total:.3f} s"
          + (f", Polars {rust_total:.3f} s" if both else f", Polars {rust_total:.3f} s for those it can run"))


if __name__ == "__main__":
    main()
