"""Blocking Pandera checks on every staging table: a failure stops dbt and publishing, and the
check's metadata shows how many rows failed and a sample of them."""

import dagster as dg
import pandera.errors as pe
import pandera.polars as pa
import polars as pl

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


def _make_check(table: str, schema: type[pa.DataFrameModel]) -> dg.AssetChecksDefinition:
    scope = "the rows of the files this refresh parsed" if table in PER_FILE_TABLES else "every row"
    columns = declared_columns(schema)
    @dg.asset_check(asset=dg.AssetKey(["staging", table]), name=f"pandera_{table}", blocking=True,
                    description=f"Pandera model {schema.__name__} over {scope} of staging.{table}.")
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        if table not in PER_FILE_TABLES:
            passed, metadata = validate_frame(schema, warehouse.read_table(table, columns))
            return dg.AssetCheckResult(passed=passed, metadata=metadata)
        with warehouse.session():  # a chunk of files at a time: a full refresh checks the whole corpus
            results = [validate_frame(schema, warehouse.read_files(table, columns, files))
                       for files in chunk_files(warehouse.pending_files(), parallel=False)]
        passed, metadata = merge_results(results)
        return dg.AssetCheckResult(passed=passed, metadata=metadata)

    return _check


STAGING_CHECKS = [_make_check(t, s) for t, s in STAGING_SCHEMAS.items()]
