"""The staging steps stream: input read, parsed, written and checked one chunk of files at a time."""
from __future__ import annotations

import shutil
from pathlib import Path

from dagster_project.checks import merge_results
from dagster_project.parsing import parallel, pipeline
from dagster_project.parsing.parallel import chunk_files
from dagster_project.resources import build_resources
from tests.conftest import SEEDS, query, refresh, staging_store

STAGING_TABLES = ["raw_documents", "articles", "sentences", "entity_mentions", "metric_observations", "file_stats"]


def _rows(database: Path, relation: str) -> list[tuple]:
    """Every row, without the columns that hold the time of the run."""
    schema, table = relation.split(".") if "." in relation else ("main", relation)
    columns = [name for name, dtype in query(database, f"select column_name, data_type from information_schema.columns "
                                                       f"where table_schema = '{schema}' and table_name = '{table}'")
               if not dtype.startswith("TIMESTAMP")]
    return query(database, f"select {', '.join(columns)} from {relation} order by all")


def test_chunks_cover_every_file_in_order():
    files = [f"f{i:03d}" for i in range(11)]
    for parallel_run in (False, True):
        chunks = chunk_files(files, parallel_run)
        assert [f for chunk in chunks for f in chunk] == files
    assert chunk_files([], False) == [[]]  # one empty chunk: a step still writes its columns


def test_a_refresh_in_chunks_of_two_files_equals_one_in_a_single_chunk(seed_warehouse, tmp_path, monkeypatch):
    monkeypatch.setattr(parallel, "MAX_CHUNK_FILES", 2)  # the seeds' five files in three chunks
    monkeypatch.setattr(pipeline, "DOCS_PER_BATCH", 2)  # and read in three batches
    input_dir = tmp_path / "input"
    shutil.copytree(SEEDS, input_dir)
    warehouse = tmp_path / "wh" / "livecommerce.duckdb"
    result = refresh(input_dir, warehouse, monkeypatch)
    assert result.success
    metadata = {"/".join(e.asset_key.path): e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert metadata["staging/raw_documents"]["added"].value == 5
    assert metadata["staging/articles"]["parsed_this_run"].value == query(warehouse, "select count(*) from marts.articles")[0][0]

    for table in STAGING_TABLES:
        assert _rows(staging_store(warehouse), table) == _rows(staging_store(seed_warehouse), table), table
    marts = [name for (name,) in query(seed_warehouse, "select table_name from duckdb_tables() where schema_name = 'marts'")]
    assert "metric_observations" in marts
    for mart in marts:
        assert _rows(warehouse, f"marts.{mart}") == _rows(seed_warehouse, f"marts.{mart}"), mart


def test_a_check_over_chunks_fails_if_any_chunk_fails_and_shows_its_sample():
    passed_chunk = (True, {"rows_checked": 10, "failing_rows": 0})
    failed_chunk = (False, {"rows_checked": 4, "failing_rows": 2, "failure_cases": 3, "failure_sample": "sample"})
    assert merge_results([passed_chunk, passed_chunk]) == (True, {"rows_checked": 20, "failing_rows": 0})
    passed, metadata = merge_results([passed_chunk, failed_chunk, passed_chunk])
    assert not passed
    assert metadata == {"rows_checked": 24, "failing_rows": 2, "failure_cases": 3, "failure_sample": "sample"}


def test_duckdb_memory_limit_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LCW_DUCKDB_MEMORY_LIMIT", "300MB")
    warehouse = build_resources(published=tmp_path / "livecommerce.duckdb")["warehouse"]
    with warehouse.connect() as con:
        limit = con.sql("select current_setting('memory_limit')").fetchone()[0]
    assert limit.startswith("286.1"), limit  # 300 MB in MiB
    # dbt's profile reads the same variable, set from the same setting for the build.
    import os

    from dagster_project.dbt_assets import dbt_profile_env
    monkeypatch.delenv("LCW_DUCKDB_MEMORY_LIMIT")
    with dbt_profile_env(warehouse):
        assert os.environ["LCW_DUCKDB_MEMORY_LIMIT"] == "1GB"
        assert os.environ["LCW_STAGING_STORE"] == warehouse.staging_path
    assert "LCW_DUCKDB_MEMORY_LIMIT" not in os.environ
