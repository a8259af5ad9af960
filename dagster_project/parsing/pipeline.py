"""Whole-corpus steps over Polars frames: files -> raw documents -> articles -> facts.

Each function takes and returns DataFrames so that Dagster assets stay thin and tests can call
the same steps on real seed text.
"""
from __future__ import annotations

import hashlib
from bisect import bisect_right
import json
import os
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator

import polars as pl

from dagster_project.parsing.attribution import ObservationInputs
from dagster_project.parsing.clean import clean_document
from dagster_project.parsing.companies import find_companies, find_dictionary_companies, find_people
from dagster_project.parsing.decode import decode_bytes
from dagster_project.parsing.extract import split_sentences
from dagster_project.parsing.numbers import find_quantities
from dagster_project.parsing.periods import find_periods, reference_year
from dagster_project.parsing.regions import RegionMention, find_region_surfaces, focus_region, resolve_regions
from dagster_project.parsing.segment import build_articles
from dagster_project.parsing.tracked import offset_runs, raw_spans

RAW_SCHEMA = {"source_file": pl.String, "size_bytes": pl.Int64, "content_hash": pl.String, "encoding": pl.String,
              "raw_text": pl.String, "ingested_at": pl.Datetime("us", "UTC")}
QUARANTINE_SCHEMA = {"source_file": pl.String, "size_bytes": pl.Int64, "content_hash": pl.String,
                     "reason": pl.String, "detected_at": pl.Datetime("us", "UTC")}


def parser_fingerprint() -> str:
    """A digest of the parsing code and the dictionaries: when either changes, every file is
    parsed again (an unchanged file is skipped only if it would parse the same)."""
    root = Path(__file__).resolve().parents[2]
    digest = hashlib.sha256()
    for path in sorted([*(root / "dagster_project" / "parsing").glob("*.py"), *(root / "dbt" / "seeds").glob("*.csv"),
                        *(root / "reference").glob("*.csv")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# source_file: the path relative to the input folder, with forward slashes; size_bytes: of a
# symlink's target, null when the target is gone.
LISTING_SCHEMA = {"source_file": pl.String, "path": pl.String, "is_symlink": pl.Boolean, "size_bytes": pl.Int64,
                  "modified_ns": pl.Int64}


def list_input_files(input_dir: Path) -> pl.DataFrame:
    """Every file under ``input_dir`` (hidden ones excepted), by name, with its size and modification
    time (LISTING_SCHEMA). Directory entries carry their type, so only the stat is a system call per
    file; the rows are plain tuples, a frame is made of them at once."""
    out, stack = [], [(str(input_dir), "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append((entry.path, prefix + entry.name + "/"))
                elif entry.is_file() or (entry.is_symlink() and not entry.is_dir()):
                    try:
                        stat = entry.stat()  # follows a symlink to its target
                        size, modified = stat.st_size, stat.st_mtime_ns
                    except FileNotFoundError:
                        size = modified = None
                    out.append((prefix + entry.name, entry.path, entry.is_symlink(), size, modified))
    return pl.DataFrame(out, schema=LISTING_SCHEMA, orient="row").sort("source_file")


PRESENT_SCHEMA = {"source_file": pl.String, "content_hash": pl.String, "size_bytes": pl.Int64, "modified_ns": pl.Int64}


KNOWN_SCHEMA = {"source_file": pl.String, "content_hash": pl.String}


def _unchanged_digests(listing: pl.DataFrame, known: pl.DataFrame, known_stats: pl.DataFrame) -> pl.Series:
    """Per file of ``listing`` (source_file, size_bytes, modified_ns), the digest it had when it was
    last read, if its size and modification time are the same and that version is current; else
    null (the file must be read)."""
    same = known_stats.join(known, on=["source_file", "content_hash"], how="semi")
    return listing.join(same, on=["source_file", "size_bytes", "modified_ns"], how="left",
                        maintain_order="left")["content_hash"]


# A batch of decoded documents is handed on once it holds this much raw text (or DOCS_PER_BATCH files).
BATCH_BYTES = 64 * 1024 * 1024
DOCS_PER_BATCH = 5000


class InputScan:
    """One pass over ``input_dir``. ``documents(known, known_stats)`` yields the new or changed
    documents, decoded, in batches of RAW_SCHEMA frames (at least one, empty if none); once it is
    exhausted, ``present`` holds every readable file's name, hash, size and modification time and
    ``quarantined`` the files set aside, with the reason. Files whose (source_file, content_hash)
    is in ``known`` are not decoded again; files whose size and modification time match their row
    in ``known_stats`` (a PRESENT_SCHEMA frame from the last run) are not even read."""

    def __init__(self, input_dir: Path, max_bytes: int):
        self.input_dir, self.max_bytes = input_dir, max_bytes
        self.present: pl.DataFrame | None = None
        self.quarantined: pl.DataFrame | None = None
        self._listing: pl.DataFrame | None = None

    def list_files(self) -> None:
        """List and stat the folder's files, if not done yet: ``documents()`` does it, or call it
        first to overlap the listing with other work."""
        if self._listing is None:
            self._listing = list_input_files(self.input_dir)

    def documents(self, known: pl.DataFrame | None = None,
                  known_stats: pl.DataFrame | None = None) -> Iterator[pl.DataFrame]:
        known = known if known is not None else pl.DataFrame(schema=KNOWN_SCHEMA)
        known_stats = known_stats if known_stats is not None else pl.DataFrame(schema=PRESENT_SCHEMA)
        now = datetime.now(timezone.utc)
        docs, present, quarantined, batch_bytes = [], [], [], 0
        root = self.input_dir.resolve()
        self.list_files()
        listing = self._listing.with_columns(content_hash=_unchanged_digests(self._listing, known, known_stats))
        # Files untouched since the last run are not read again; which of them are duplicates is
        # decided at the end, with the digests of the files read. The first file by name with a
        # digest is kept, the later ones are set aside as its duplicates.
        untouched = (pl.col("content_hash").is_not_null() & ~pl.col("is_symlink")
                     & (pl.col("size_bytes") <= self.max_bytes))
        reused = listing.filter(untouched).select(list(PRESENT_SCHEMA))
        first_of_digest = reused.group_by("content_hash").agg(pl.col("source_file").min())
        first_reused = dict(zip(first_of_digest["content_hash"].to_list(), first_of_digest["source_file"].to_list()))
        to_read = listing.filter(~untouched)
        # Versions already decoded, among the files that have to be read.
        known_pairs = set(known.filter(pl.col("source_file").is_in(to_read["source_file"].implode())).iter_rows())
        first_read: dict[str | None, str] = {}
        yielded = False

        for name, path, is_symlink, size_bytes, modified_ns in to_read.select(list(LISTING_SCHEMA)).iter_rows():
            reason, data, decoded, digest = None, b"", None, None
            resolved = Path(os.path.realpath(path)) if is_symlink else None
            if resolved is not None and not resolved.is_relative_to(root):
                reason = f"symlink to a file outside the input folder ({resolved})"
            elif size_bytes is None:
                reason = "broken symlink"
            elif size_bytes > self.max_bytes:
                reason = f"oversized: {size_bytes} bytes, over the limit of {self.max_bytes}"
            else:
                with open(path, "rb") as f:
                    data = f.read()
                digest = hashlib.sha256(data).hexdigest() if data else None
            earlier = [n for n in (first_read.get(digest), first_reused.get(digest)) if n is not None and n < name]
            if reason is None and earlier:
                reason = f"duplicate content of {min(earlier)}"
            if reason is None and (name, digest) not in known_pairs:
                decoded = decode_bytes(data)
                reason = decoded.reason
            size = size_bytes or 0
            if reason:
                quarantined.append((name, size, digest, reason, now))
                continue
            first_read[digest] = name
            present.append((name, digest, size, modified_ns))
            if decoded is not None:
                docs.append({"source_file": name, "size_bytes": size, "content_hash": digest,
                             "encoding": decoded.encoding, "raw_text": decoded.text, "ingested_at": now})
                batch_bytes += size
                if batch_bytes >= BATCH_BYTES or len(docs) >= DOCS_PER_BATCH:
                    yield pl.DataFrame(docs, schema=RAW_SCHEMA)
                    docs, batch_bytes, yielded = [], 0, True
        if docs or not yielded:
            yield pl.DataFrame(docs, schema=RAW_SCHEMA)
        kept = pl.concat([reused, pl.DataFrame(present, schema=PRESENT_SCHEMA, orient="row")]).sort("source_file") \
            .with_columns(first=pl.col("source_file").first().over("content_hash"))
        self.present = kept.filter(pl.col("source_file") == pl.col("first")).drop("first")
        duplicates = kept.filter(pl.col("source_file") != pl.col("first")).select(
            "source_file", "size_bytes", "content_hash", reason=pl.lit("duplicate content of ") + pl.col("first"),
            detected_at=pl.lit(now, QUARANTINE_SCHEMA["detected_at"]))
        self.quarantined = pl.concat([pl.DataFrame(quarantined, schema=QUARANTINE_SCHEMA, orient="row"),
                                      duplicates]).sort("source_file")


def read_raw_documents(input_dir: Path, max_bytes: int, known: pl.DataFrame | None = None,
                       known_stats: pl.DataFrame | None = None) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """``InputScan`` in one piece: (new or changed documents, decoded), (every readable file's
    name, hash, size and modification time), (files set aside, with the reason)."""
    scan = InputScan(input_dir, max_bytes)
    docs = pl.concat(list(scan.documents(known, known_stats)))
    return docs, scan.present, scan.quarantined


ARTICLE_SCHEMA = {"source_file": pl.String, "article_seq": pl.Int32, "content_hash": pl.String, "title": pl.String,
                  "publisher": pl.String, "published_date": pl.Date, "authors": pl.List(pl.String),
                  "is_live_commerce": pl.Boolean, "live_commerce_score": pl.Float64, "clean_text": pl.String,
                  "raw_char_start": pl.Int64, "raw_char_end": pl.Int64, "offset_map": pl.String,
                  "mojibake_repairs": pl.Int32, "mojibake_lost_chars": pl.Int32, "removed_lines": pl.Int32}


def build_article_frame(raw: pl.DataFrame) -> pl.DataFrame:
    rows = []  # in ARTICLE_SCHEMA's order
    for source_file, content_hash, raw_text in raw.select("source_file", "content_hash", "raw_text").iter_rows():
        cleaned = clean_document(raw_text)
        for art in build_articles(cleaned.lines):
            rows.append((
                source_file, art.seq, content_hash, art.title, art.publisher,
                date.fromisoformat(art.published_date) if art.published_date else None,
                art.authors, art.is_live_commerce, art.live_commerce_score, art.text.text,
                *art.text.raw_bounds(), json.dumps(art.text.offset_map()),
                # Repairs are counted per file: every article of the file carries the file's count.
                cleaned.repairs, cleaned.lost_chars, len(cleaned.removed_lines) + len(art.removed_tail),
            ))
    return _frame_of_rows(rows, ARTICLE_SCHEMA)


SENTENCE_SCHEMA = {"source_file": pl.String, "article_seq": pl.Int32, "sentence_seq": pl.Int32,
                   "char_start": pl.Int64, "char_end": pl.Int64, "raw_char_start": pl.Int64,
                   "raw_char_end": pl.Int64, "text": pl.String}


MENTION_SCHEMA = {"source_file": pl.String, "article_seq": pl.Int32, "kind": pl.String, "surface": pl.String,
                  "name": pl.String, "code": pl.String, "level": pl.String, "parent_code": pl.String,
                  "entity_type": pl.String, "source": pl.String, "ambiguous": pl.Boolean, "role": pl.String,
                  "organisation": pl.String, "char_start": pl.Int64, "char_end": pl.Int64,
                  "raw_char_start": pl.Int64, "raw_char_end": pl.Int64, "evidence": pl.String}


OBSERVATION_SCHEMA = {"source_file": pl.String, "article_seq": pl.Int32, "span": pl.String, "value": pl.Float64,
                      "value_high": pl.Float64, "unit": pl.String, "measure": pl.String, "metric": pl.String,
                      "region": pl.String, "region_code": pl.String, "company": pl.String, "period": pl.String, "qualifier": pl.String,
                      "status": pl.String, "source_org": pl.String, "evidence": pl.String, "char_start": pl.Int64,
                      "char_end": pl.Int64, "raw_char_start": pl.Int64, "raw_char_end": pl.Int64}


def _sentence_at(sentences: tuple[tuple[int, int], ...], pos: int, text: str) -> str:
    i = bisect_right(sentences, (pos, len(text) + 1)) - 1
    if i >= 0 and sentences[i][0] <= pos < sentences[i][1]:
        return text[sentences[i][0]:sentences[i][1]].strip()
    return ""


def build_extraction_frames(articles: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Sentences, entity mentions and metric observations of the same articles in one pass: each
    article's text and sentences are read once, and its quantities, mentions and periods are
    gathered for ``ObservationInputs``, which attributes the whole chunk's quantities at the end.
    Clean offsets are mapped back to the raw text for the whole chunk at the end too."""
    texts = articles["clean_text"]
    surfaces = find_region_surfaces(texts) if len(texts) else []
    company_hits = find_dictionary_companies(texts.to_list()) if len(texts) else []
    # Rows as tuples in schema order, with the article's position in the chunk last (for the raw spans).
    sentence_rows, mention_rows = [], []
    observations, observation_keys = ObservationInputs(), []
    columns = ("source_file", "article_seq", "clean_text", "published_date")
    for article, ((source_file, article_seq, text, published_date), hits, dictionary_hits) in enumerate(zip(
            articles.select(columns).iter_rows(), surfaces, company_hits)):
        sentences = split_sentences(text)
        sentence_rows += [(source_file, article_seq, i, s, e, text[s:e], article)
                          for i, (s, e) in enumerate(sentences, start=1)]

        def mention(kind, surface, name, start, end, code=None, level=None, parent_code=None, entity_type=None,
                    source=None, ambiguous=False, role=None, organisation=None):
            mention_rows.append((source_file, article_seq, kind, surface, name, code, level, parent_code, entity_type,
                                 source, ambiguous, role, organisation, start, end,
                                 _sentence_at(sentences, start, text), article))

        companies = find_companies(text, dictionary_hits)
        inside_company = {i for c in companies for i in range(c.start, c.end)}
        # 广东伊莱特电器有限公司: a place inside a company's name is no mention.
        regions = [r for r in resolve_regions(text, hits) if r.start not in inside_company]
        for r in regions:
            mention("region", r.surface, r.region, r.start, r.end, code=r.code, level=r.level,
                    parent_code=r.parent_code, ambiguous=r.ambiguous, source="division_table")
        for c in companies:
            mention("company", c.surface, c.company, c.start, c.end, entity_type=c.company_type, source=c.evidence_rule)
        for p in find_people(text, companies):
            mention("person", p.name, p.name, p.start, p.end, role=p.role, organisation=p.organisation)

        published = published_date.isoformat() if published_date else None
        ref_year = reference_year(text, published)
        city, province = focus_region(regions, "prefecture"), focus_region(regions, "province")
        quantities = find_quantities(text)
        observations.add(text, ref_year, regions, companies, find_periods(text, ref_year), city, province,
                         _focus(regions), quantities, sentences)
        observation_keys += [(source_file, article_seq, q.start, q.end, article) for q in quantities]
    runs = offset_runs(articles["offset_map"])
    sentence_frame = _with_raw_spans(
        _frame_of_rows(sentence_rows, {**_without_raw(SENTENCE_SCHEMA, "text"), "text": pl.String, "article": pl.UInt32}),
        runs, SENTENCE_SCHEMA)
    mention_frame = _with_raw_spans(
        _frame_of_rows(mention_rows, {**_without_raw(MENTION_SCHEMA, "evidence"), "evidence": pl.String,
                                      "article": pl.UInt32}), runs, MENTION_SCHEMA)
    keys = _with_raw_spans(
        _frame_of_rows(observation_keys, {"source_file": pl.String, "article_seq": pl.Int32, "char_start": pl.Int64,
                                          "char_end": pl.Int64, "article": pl.UInt32}),
        runs, {c: OBSERVATION_SCHEMA[c] for c in ("source_file", "article_seq", "raw_char_start", "raw_char_end")})
    observation_frame = pl.concat([keys, observations.attribute().drop("article")],
                                  how="horizontal").select(list(OBSERVATION_SCHEMA)).cast(OBSERVATION_SCHEMA)
    return sentence_frame, mention_frame, observation_frame


def _frame_of_rows(rows: list[tuple], schema: dict) -> pl.DataFrame:
    """Rows of values in ``schema``'s order, made a frame column by column: Polars reads lists
    faster than it reads rows."""
    columns = [list(column) for column in zip(*rows)] if rows else [[] for _ in schema]
    return pl.DataFrame(dict(zip(schema, columns)), schema=schema)


def _without_raw(schema: dict, last: str) -> dict:
    """``schema`` without the raw offsets and without ``last``: the columns a row is built with."""
    return {k: v for k, v in schema.items() if k not in ("raw_char_start", "raw_char_end", last)}


def _with_raw_spans(frame: pl.DataFrame, runs: pl.DataFrame, schema: dict) -> pl.DataFrame:
    """``frame`` with its char_start/char_end mapped to the raw text, in ``schema``'s column order."""
    return frame.with_columns(raw_spans(runs, frame["article"], frame["char_start"], frame["char_end"])) \
        .select(list(schema)).cast(schema)


def _focus(regions: list[RegionMention]) -> str | None:
    """The place an article is about: its most-named province, city or county (not the country)."""
    counts: dict[str, int] = {}
    for r in regions:
        if r.code and r.level in ("province", "prefecture", "county"):
            counts[r.region] = counts.get(r.region, 0) + 1
    return max(counts, key=lambda k: (counts[k], k)) if counts else None
