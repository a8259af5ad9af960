"""Blocking Pandera checks on every staging table: a failure stops dbt and publishing, and the
check's metadata shows how many rows failed and a sample of them. The checks of the tables one
step writes run together, as one step after it."""

from typing import Iterator

import dagster as dg
import pandera.errors as pe
import pandera.polars as pa
import polars as pl

from dagster_project.assets import STAGING_ASSETS
from dagster_project.markdown import markdown_table
from dagster_project.parsing.parallel import chunk_files
from dagster_project.resources import WarehouseResource, sql_string
from dagster_project.schemas import STAGING_SCHEMAS

SAMPLE_ROWS = 10


def validate_frame(schema: type[pa.DataFrameModel], frame: pl.DataFrame) -> tuple[bool, dict]:
    """Validate all rows (an eager frame, so data checks run, not only the schema)."""
    try:
        schema.validate(frame, lazy=True)
        return True, {"rows_checked": frame.height, "failing_rows": 0}
    except pe.SchemaErrors as err:
        cases = err.failure_cases
        sample = cases.head(SAMPLE_ROWS)
        table = markdown_table(sample.columns, sample.iter_rows(), max_cell=80)
        failing_rows = cases["index"].drop_nulls().n_unique() if "index" in cases.columns else cases.height
        return False, {"rows_checked": frame.height, "failing_rows": int(failing_rows),
                       "failure_cases": int(cases.height), "failure_sample": dg.MetadataValue.md(table)}


def merge_results(results: list[tuple[bool, dict]]) -> tuple[bool, dict]:
    """The results of validating chunks of one table as one: counts summed, the first failing
    chunk's sample shown."""
    merged = {"rows_checked": sum(m["rows_checked"] for _, m in results),
              "failing_rows": sum(m["failing_rows"] for _, m in results)}
    failed = [m for passed, m in results if not passed]
    if failed:
        merged["failure_cases"] = sum(m["failure_cases"] for m in failed)
        merged["failure_sample"] = failed[0]["failure_sample"]
    return not failed, merged


# Rows of unchanged files passed when they were written (a parser change re-parses every file),
# so a refresh checks the rows of the files it read or parsed (for raw_documents, every version
# of those files, which is what its one-current-version rule needs).
PER_FILE_TABLES = {"raw_documents", "articles", "sentences", "metric_observations", "entity_mentions"}


def declared_columns(schema: type[pa.DataFrameModel]) -> str:
    """A select list of the columns ``schema`` declares, of those the table has. The models are not
    strict, so the others (evidence, raw offsets, resolved names: most of what the mention and
    observation tables hold) are never looked at and need not be read; a declared column the table
    lacks is left for Pandera to report."""
    return f"columns(c -> c in ({', '.join(sql_string(name) for name in schema.to_schema().columns)}))"


def check_table(warehouse: WarehouseResource, table: str, pending: list[str]) -> tuple[bool, dict]:
    """Validate ``table``: every row, or for a per-file table the rows of ``pending`` (the files
    this refresh parsed)."""
    schema = STAGING_SCHEMAS[table]
    columns = declared_columns(schema)
    if table not in PER_FILE_TABLES:
        return validate_frame(schema, warehouse.read_table(table, columns))
    # A chunk of files at a time: a full refresh checks the whole corpus.
    return merge_results([validate_frame(schema, warehouse.read_files(table, columns, files))
                          for files in chunk_files(pending, parallel=False)])


def _check_spec(table: str) -> dg.AssetCheckSpec:
    scope = "the rows of the files this refresh parsed" if table in PER_FILE_TABLES else "every row"
    return dg.AssetCheckSpec(f"pandera_{table}", asset=dg.AssetKey(["staging", table]), blocking=True,
                             description=f"Pandera model {STAGING_SCHEMAS[table].__name__} over {scope} of staging.{table}.")


def _checks_after(step: dg.AssetsDefinition) -> dg.AssetChecksDefinition:
    """The checks of the tables ``step`` writes, in one step: a step of its own per check cost about
    0.1 s whatever it read (Dagster's step events, a connection to the build file)."""
    tables = [key.path[-1] for key in step.keys if key.path[-1] in STAGING_SCHEMAS]
    step_name = step.node_def.name.removeprefix("staging__")

    @dg.multi_asset_check(specs=[_check_spec(table) for table in tables], name=f"pandera_after_{step_name}",
                          can_subset=True)
    def _checks(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> Iterator[dg.AssetCheckResult]:
        selected = sorted(context.selected_asset_check_keys, key=lambda k: k.name)
        with warehouse.session():
            # Read once for the step's tables (the whole corpus's names on a full refresh).
            per_file = any(key.asset_key.path[-1] in PER_FILE_TABLES for key in selected)
            pending = warehouse.pending_files() if per_file else []
            for key in selected:
                passed, metadata = check_table(warehouse, key.asset_key.path[-1], pending)
                yield dg.AssetCheckResult(asset_key=key.asset_key, check_name=key.name, passed=passed, metadata=metadata)

    return _checks


STAGING_CHECKS = [_checks_after(step) for step in STAGING_ASSETS]
