"""Staging assets: raw files -> articles -> sentences, mentions, observations (Polars frames
written to the build copy of the warehouse), and the asset that publishes that copy."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterator

import dagster as dg
import polars as pl

from dagster_project.column_docs import COLUMN_DOCS
from dagster_project.jobs import REFRESH_PROCESS_TAG
from dagster_project.markdown import markdown_table
from dagster_project.parsing import pipeline
from dagster_project.parsing.parallel import Frames, chunk_files, map_chunks, runs_in_parallel
from dagster_project.processes import process_identity
from dagster_project.resources import WarehouseResource
from dagster_project.settings import REFERENCE_DIR, input_dir, max_file_bytes

STAGING = ["staging"]
GROUP = "staging"


def column_schema(frame: pl.DataFrame) -> dg.TableSchema:
    return dg.TableSchema(columns=[dg.TableColumn(name, str(dtype), description=COLUMN_DOCS.get(name))
                                   for name, dtype in frame.schema.items()])


def _preview(frame: pl.DataFrame, columns: list[str], n: int = 5) -> dg.MetadataValue:
    shown = frame.select([c for c in columns if c in frame.columns]).head(n)
    return dg.MetadataValue.md(markdown_table(shown.columns, shown.iter_rows()))


RAW_DOCUMENTS = dg.AssetKey([*STAGING, "raw_documents"])
QUARANTINE = dg.AssetKey([*STAGING, "quarantine"])


# staging.quarantine is written in the same step (dbt's source `staging.quarantine` feeds the
# quarantine mart), so it is this step's second asset: lineage and "downstream" selections reach it.
@dg.multi_asset(name="raw_documents", specs=[
    dg.AssetSpec(RAW_DOCUMENTS, group_name=GROUP, kinds={"polars", "duckdb"},
                 description="Every version of every readable input file (name, size, SHA-256, encoding, decoded "
                             "text, is_current), in the staging store. Only new or changed files are decoded "
                             "(staging.file_stats keeps each file's size and modification time, so an untouched file "
                             "is not even read); staging.document_changes logs every change by generation, "
                             "meta.pending_files (in the build file) lists the files changed since the published "
                             "snapshot, which the next steps parse and rebuild."),
    dg.AssetSpec(QUARANTINE, group_name=GROUP, kinds={"duckdb"},
                 description="Input files set aside, with the reason (empty, oversized, binary, undecodable, no Chinese "
                             "text, a duplicate of another file, a symlink out of the folder), in the staging store; "
                             "written by the same step as raw_documents."),
])
def raw_documents(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> Iterator[dg.MaterializeResult]:
    # Named before it may wait for another refresh's lock: run monitoring fails the run of a
    # process killed while it waits, too.
    if (identity := process_identity()) is not None:
        context.instance.add_run_tags(context.run.run_id, {REFRESH_PROCESS_TAG: identity})
    warehouse.acquire_lock(context.log)  # before listing: a run waiting for the lock would list a stale folder
    scan = pipeline.InputScan(input_dir(), max_file_bytes())
    store_id = warehouse.staging_store_id()
    with ThreadPoolExecutor(1) as pool:
        # Copying the published file is I/O outside the GIL: the folder is listed and the input
        # recorded in the store meanwhile, which needs nothing from the build file.
        copying = pool.submit(warehouse.start_build, context.log, store_id)
        with warehouse.store_session():
            changes, present, quarantined, same_parser, encodings = _record_input(context, warehouse, scan)
        started = copying.result()
    with warehouse.session():
        warehouse.claim_build(context.run.run_id)
        # Files a failed run changed in the store after the snapshot are rebuilt too.
        snapshot_generation = warehouse.snapshot_generation()
        pending = warehouse.mark_pending(snapshot_generation)
    if quarantined.height:
        context.log.warning(quarantine_message(quarantined))
    counts = dict(changes.group_by("change").len().iter_rows())
    yield dg.MaterializeResult(asset_key=RAW_DOCUMENTS, metadata={
        "dagster/row_count": present.height,
        "dagster/column_schema": column_schema(pl.DataFrame(schema=pipeline.RAW_SCHEMA)),
        "input_dir": str(input_dir()),
        "build": started,
        "added": counts.get("added", 0), "changed": counts.get("changed", 0), "deleted": counts.get("deleted", 0),
        "unchanged": present.height - counts.get("added", 0) - counts.get("changed", 0),
        "reparsed_all": not same_parser,
        "snapshot_generation": snapshot_generation if snapshot_generation is not None else "none (started empty)",
        "files_to_rebuild": pending,
        "encodings": dg.MetadataValue.json(dict(encodings)),
    })
    yield dg.MaterializeResult(asset_key=QUARANTINE, metadata={
        "dagster/row_count": quarantined.height,
        "quarantine": _preview(quarantined, ["source_file", "reason"], 20),
    })


QUARANTINE_LOG_ROWS = 20


def quarantine_message(quarantined: pl.DataFrame) -> str:
    """One log message for the files set aside (a Dagster event each would cost a write to the run's
    record per file, every refresh): how many, and the first of them with the reason."""
    lines = [f"{row['source_file']}: {row['reason']}" for row in quarantined.head(QUARANTINE_LOG_ROWS).iter_rows(named=True)]
    more = quarantined.height - len(lines)
    return "\n".join([f"{quarantined.height} file(s) quarantined (all of them in marts.quarantine):", *lines,
                      *([f"... and {more} more"] if more else [])])


def _record_input(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                  scan: pipeline.InputScan) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, bool, Counter]:
    """Decode the new and changed files into the store's raw_documents and record the folder's
    files and the quarantine. Returns the changes, the files present, the files quarantined,
    whether the parser is the one the store was parsed with, and the new files' encodings."""
    known, known_stats = None, None
    encodings: Counter = Counter()
    fingerprint = pipeline.parser_fingerprint()
    same_parser = warehouse.has_table("parser_state") and \
        warehouse.read_table("parser_state")["fingerprint"].to_list() == [fingerprint]
    if same_parser and warehouse.has_table("raw_documents"):
        known = warehouse.read_table("raw_documents", "source_file, content_hash", "where is_current")
    elif warehouse.has_table("raw_documents"):
        context.log.info("parsing code or dictionaries changed: every file is parsed again")
    if warehouse.has_table("file_stats"):
        # A file with the size and modification time it had last run is not read again.
        known_stats = warehouse.read_table("file_stats")

    def counted(batches: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        for batch in batches:
            encodings.update(dict(batch.group_by("encoding").len().iter_rows()))
            yield batch

    changes = warehouse.record_documents(counted(scan.documents(known, known_stats)), lambda: scan.present)
    present, quarantined = scan.present, scan.quarantined
    warehouse.write_table("file_stats", present)
    warehouse.write_table("quarantine", quarantined)
    warehouse.write_table("parser_state", pl.DataFrame({"fingerprint": [fingerprint]}))
    return changes, present, quarantined, same_parser, encodings


# After raw_documents, which starts the run's build copy of the warehouse.
@dg.asset(key_prefix=STAGING, group_name=GROUP, kinds={"duckdb"}, deps=[RAW_DOCUMENTS],
          description="China's administrative divisions from reference/admin_divisions.csv (see reference/SOURCES.md).")
def admin_divisions(warehouse: WarehouseResource) -> dg.MaterializeResult:
    frame = pl.read_csv(REFERENCE_DIR / "admin_divisions.csv", schema_overrides={"code": pl.String, "parent_code": pl.String})
    warehouse.write_table("admin_divisions", frame)
    return dg.MaterializeResult(metadata={"dagster/row_count": frame.height,
                                          "dagster/column_schema": column_schema(frame),
                                          "levels": dg.MetadataValue.json(dict(frame.group_by("level").len().iter_rows()))})


@dg.asset(key_prefix=STAGING, group_name=GROUP, kinds={"polars", "duckdb"}, deps=[RAW_DOCUMENTS],
          description="Articles: files cleaned (mojibake repair, pinyin glosses, Traditional->Simplified, NFKC, "
                      "page furniture) and split, with title, publisher, date, authors and the live-commerce score.")
def articles(warehouse: WarehouseResource) -> dg.MaterializeResult:
    parsed, live, repairs, lost, shown = 0, 0, 0, 0, pl.DataFrame(schema=pipeline.ARTICLE_SCHEMA)
    with warehouse.session():
        files = warehouse.pending_files()
        with warehouse.replacing_rows(files) as append:
            for frame in _parse_by_chunk(warehouse, pipeline.build_article_frame, files, "raw_documents",
                                         "source_file, content_hash, raw_text", "is_current"):
                append("articles", frame)
                per_file = frame.unique("source_file")  # a file's repairs are on each of its articles
                parsed, live = parsed + frame.height, live + int(frame["is_live_commerce"].sum())
                repairs += int(per_file["mojibake_repairs"].sum())
                lost += int(per_file["mojibake_lost_chars"].sum())
                shown = shown if shown.height else frame.head(5)
        total = warehouse.row_count("articles")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": total,
        "dagster/column_schema": column_schema(shown),
        "parsed_this_run": parsed,
        "live_commerce_articles": live,
        "mojibake_repairs": repairs,
        "mojibake_lost_chars": lost,
        "preview": _preview(shown, ["source_file", "article_seq", "title", "publisher", "published_date", "is_live_commerce"]),
    })


def _parse_by_chunk(warehouse: WarehouseResource, step: Callable[[pl.DataFrame], Frames], files: list[str],
                    table: str, columns: str, also: str = "") -> Iterator[Frames]:
    """``step`` over the rows of ``files`` in ``table``, one chunk of files at a time (in worker
    processes when there are enough): each chunk is read when a worker is ready for it and its
    result handed on as soon as it is done, so the step never holds the corpus."""
    parallel = runs_in_parallel(len(files))
    inputs = ((warehouse.read_files(table, columns, chunk, also),) for chunk in chunk_files(files, parallel))
    return map_chunks(step, inputs, parallel)


EXTRACTED = [
    dg.AssetSpec([*STAGING, "sentences"], group_name=GROUP, kinds={"polars", "duckdb"}, deps=[articles],
                 description="Sentences of every article with offsets into the clean text and the raw file."),
    dg.AssetSpec([*STAGING, "entity_mentions"], group_name=GROUP, kinds={"polars", "duckdb"},
                 deps=[articles, admin_divisions],
                 description="Region mentions resolved to the division table, company mentions (dictionary and "
                             "discovered) and people with roles."),
    dg.AssetSpec([*STAGING, "metric_observations"], group_name=GROUP, kinds={"polars", "duckdb"}, deps=[articles],
                 description="Every quantity in every article: value in base units, unit, measure, metric, region, "
                             "company, period, qualifier, status, source and evidence."),
]


# One pass over the changed articles writes all three tables: each worker reads the dictionaries
# once and receives each article once (mentions feed the observations of the same article).
@dg.multi_asset(specs=EXTRACTED, name="extracted_facts")
def extracted_facts(warehouse: WarehouseResource):
    with warehouse.session():
        yield from _extract_facts(warehouse)


def _extract_facts(warehouse: WarehouseResource):
    changed = warehouse.pending_files()
    tables = [spec.key.path[-1] for spec in EXTRACTED]  # sentences, entity_mentions, metric_observations
    parsed = dict.fromkeys(tables, 0)
    shown = {}
    by_kind, by_metric, ambiguous = Counter(), Counter(), 0
    with warehouse.replacing_rows(changed) as append:
        for frames in _parse_by_chunk(warehouse, pipeline.build_extraction_frames, changed, "articles", "*"):
            for table, frame in zip(tables, frames):
                append(table, frame)
                parsed[table] += frame.height
                if not shown.get(table, pl.DataFrame()).height:
                    shown[table] = frame.head(5)
            sentence_frame, mention_frame, observation_frame = frames
            by_kind.update(dict(mention_frame.group_by("kind").len().iter_rows()))
            ambiguous += int(mention_frame.filter(pl.col("kind") == "region")["ambiguous"].sum())
            by_metric.update(dict(observation_frame.group_by("metric").len().iter_rows()))
    yield dg.MaterializeResult(asset_key=EXTRACTED[0].key, metadata={
        "dagster/row_count": warehouse.row_count("sentences"), "parsed_this_run": parsed["sentences"],
        "dagster/column_schema": column_schema(shown["sentences"])})
    yield dg.MaterializeResult(asset_key=EXTRACTED[1].key, metadata={
        "dagster/row_count": warehouse.row_count("entity_mentions"),
        "dagster/column_schema": column_schema(shown["entity_mentions"]),
        "parsed_this_run": parsed["entity_mentions"],
        "by_kind": dg.MetadataValue.json(dict(by_kind)),
        "ambiguous_regions": ambiguous,
    })
    yield dg.MaterializeResult(asset_key=EXTRACTED[2].key, metadata={
        "dagster/row_count": warehouse.row_count("metric_observations"),
        "dagster/column_schema": column_schema(shown["metric_observations"]),
        "parsed_this_run": parsed["metric_observations"],
        "by_metric": dg.MetadataValue.json(dict(by_metric.most_common())),
        "preview": _preview(shown["metric_observations"], ["source_file", "span", "value", "unit", "metric", "region", "period"]),
    })


STAGING_ASSETS = [raw_documents, admin_divisions, articles, extracted_facts]
