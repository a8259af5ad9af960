"""Staging assets: raw files -> articles -> sentences, mentions, observations (Polars frames
written to the build copy of the warehouse), and the asset that publishes that copy."""

import dagster as dg
import polars as pl

from dagster_project.parsing import pipeline
from dagster_project.resources import WarehouseResource
from dagster_project.settings import REFERENCE_DIR, input_dir, max_file_bytes

STAGING = ["staging"]
GROUP = "staging"


def _preview(frame: pl.DataFrame, columns: list[str], n: int = 5) -> dg.MetadataValue:
    shown = frame.select([c for c in columns if c in frame.columns]).head(n)
    header = "| " + " | ".join(shown.columns) + " |\n|" + "---|" * len(shown.columns) + "\n"
    rows = "".join("| " + " | ".join(str(v).replace("|", "/")[:60] for v in r) + " |\n" for r in shown.iter_rows())
    return dg.MetadataValue.md(header + rows)


@dg.asset(key_prefix=STAGING, group_name=GROUP, kinds={"polars", "duckdb"},
          description="One row per readable input file: name, size, SHA-256, encoding, decoded text. "
                      "Also writes staging.quarantine for files set aside, with the reason.")
def raw_documents(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    started = warehouse.start_build()
    docs, quarantined = pipeline.read_raw_documents(input_dir(), max_file_bytes())
    warehouse.write_table("raw_documents", docs)
    warehouse.write_table("quarantine", quarantined)
    for row in quarantined.iter_rows(named=True):
        context.log.warning(f"quarantined {row['source_file']}: {row['reason']}")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": docs.height,
        "input_dir": str(input_dir()),
        "build": started,
        "quarantined_files": quarantined.height,
        "quarantine": _preview(quarantined, ["source_file", "reason"], 20),
        "encodings": dg.MetadataValue.json(dict(docs.group_by("encoding").len().iter_rows())),
    })


# After raw_documents, which starts the run's build copy of the warehouse.
@dg.asset(key_prefix=STAGING, group_name=GROUP, kinds={"duckdb"}, deps=[raw_documents],
          description="China's administrative divisions from reference/admin_divisions.csv (see reference/SOURCES.md).")
def admin_divisions(warehouse: WarehouseResource) -> dg.MaterializeResult:
    frame = pl.read_csv(REFERENCE_DIR / "admin_divisions.csv", schema_overrides={"code": pl.String, "parent_code": pl.String})
    warehouse.write_table("admin_divisions", frame)
    return dg.MaterializeResult(metadata={"dagster/row_count": frame.height,
                                          "levels": dg.MetadataValue.json(dict(frame.group_by("level").len().iter_rows()))})


@dg.asset(key_prefix=STAGING, group_name=GROUP, kinds={"polars", "duckdb"}, deps=[raw_documents],
          description="Articles: files cleaned (mojibake repair, pinyin glosses, Traditional->Simplified, NFKC, "
                      "page furniture) and split, with title, publisher, date, authors and the live-commerce score.")
def articles(warehouse: WarehouseResource) -> dg.MaterializeResult:
    frame = pipeline.build_article_frame(warehouse.read_table("raw_documents"))
    warehouse.write_table("articles", frame)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": frame.height,
        "live_commerce_articles": int(frame["is_live_commerce"].sum()),
        "mojibake_repairs": int(frame.unique("source_file")["mojibake_repairs"].sum()),
        "mojibake_lost_chars": int(frame.unique("source_file")["mojibake_lost_chars"].sum()),
        "preview": _preview(frame, ["source_file", "article_seq", "title", "publisher", "published_date", "is_live_commerce"]),
    })


@dg.asset(key_prefix=STAGING, group_name=GROUP, kinds={"polars", "duckdb"}, deps=[articles],
          description="Sentences of every article with offsets into the clean text and the raw file.")
def sentences(warehouse: WarehouseResource) -> dg.MaterializeResult:
    frame = pipeline.build_sentence_frame(warehouse.read_table("articles"))
    warehouse.write_table("sentences", frame)
    return dg.MaterializeResult(metadata={"dagster/row_count": frame.height})


@dg.asset(key_prefix=STAGING, group_name=GROUP, kinds={"polars", "duckdb"}, deps=[articles, admin_divisions],
          description="Region mentions resolved to the division table, company mentions (dictionary and discovered) "
                      "and people with roles.")
def entity_mentions(warehouse: WarehouseResource) -> dg.MaterializeResult:
    frame = pipeline.build_mention_frame(warehouse.read_table("articles"))
    warehouse.write_table("entity_mentions", frame)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": frame.height,
        "by_kind": dg.MetadataValue.json(dict(frame.group_by("kind").len().iter_rows())),
        "ambiguous_regions": int(frame.filter(pl.col("kind") == "region")["ambiguous"].sum()),
    })


@dg.asset(key_prefix=STAGING, group_name=GROUP, kinds={"polars", "duckdb"}, deps=[articles, entity_mentions],
          description="Every quantity in every article: value in base units, unit, measure, metric, region, company, "
                      "period, qualifier, status, source and evidence.")
def metric_observations(warehouse: WarehouseResource) -> dg.MaterializeResult:
    frame = pipeline.build_observation_frame(warehouse.read_table("articles"), warehouse.read_table("entity_mentions"))
    warehouse.write_table("metric_observations", frame)
    return dg.MaterializeResult(metadata={
        "dagster/row_count": frame.height,
        "by_metric": dg.MetadataValue.json(dict(frame.group_by("metric").len().sort("len", descending=True).iter_rows())),
        "preview": _preview(frame, ["source_file", "span", "value", "unit", "metric", "region", "period"]),
    })


STAGING_ASSETS = [raw_documents, admin_divisions, articles, sentences, entity_mentions, metric_observations]
