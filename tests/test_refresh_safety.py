"""Refreshes that never lose data and never block analysts (issue 6), with real runs."""
from __future__ import annotations

import fcntl
import gc
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
from dagster_dbt import get_asset_key_for_model

from dagster_project.assets import raw_documents
from dagster_project import dbt_assets
from dagster_project.dbt_assets import dbt_models, models_every_refresh_builds
from dagster_project.definitions import build_definitions
from dagster_project.parsing import pipeline
from dagster_project.publish import published_warehouse
from dagster_project.resources import WarehouseResource, build_resources
from dagster_project.schemas import STAGING_SCHEMAS
from dagster_project.settings import REPO_ROOT
from tests.conftest import SEEDS, query, refresh, staging_store


# Marts a refresh updates in place instead of rebuilding: rows per input file, and regional_metrics by group.
INCREMENTAL_MARTS = ["articles", "metric_observations", "region_mentions", "company_mentions", "people", "raw_evidence",
                     "regional_metrics"]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def workspace(tmp_path):
    input_dir = tmp_path / "input"
    shutil.copytree(SEEDS, input_dir)
    return input_dir, tmp_path / "wh" / "livecommerce.duckdb"


def test_incremental_rerun_change_and_delete(workspace, monkeypatch):
    input_dir, warehouse = workspace
    assert refresh(input_dir, warehouse, monkeypatch).success
    assert gc.get_freeze_count() == 0  # the run put back the objects it froze (WarehouseResource)
    before = query(warehouse, "select * from marts.metric_observations order by all")

    # Nothing new: nothing parsed, no mart row changes. dbt leaves seeds and views alone (the
    # project is unchanged), and the run still publishes.
    rerun = refresh(input_dir, warehouse, monkeypatch)
    assert rerun.success
    assert query(warehouse, "select count(*) from meta.pending_files") == [(0,)]
    built = {e.asset_key for e in rerun.get_asset_materialization_events()}
    assert get_asset_key_for_model([dbt_models], "regional_metrics") in built
    assert get_asset_key_for_model([dbt_models], "stg_articles") not in built
    assert dg.AssetKey("published_warehouse") in built
    assert query(warehouse, "select * from marts.metric_observations order by all") == before

    # A changed file replaces its earlier rows; the raw history keeps both versions.
    changed = input_dir / "003_57bbf5c7c259c234.txt"
    changed.write_text(changed.read_text(encoding="utf-8").replace(
        "数字浪潮席卷实体经济", "据统计,2025年常熟直播电商交易额达到1234亿元。\n数字浪潮席卷实体经济"), encoding="utf-8")
    assert refresh(input_dir, warehouse, monkeypatch).success
    assert query(warehouse, "select * from meta.pending_files") == [("003_57bbf5c7c259c234.txt",)]
    store = staging_store(warehouse)
    assert query(store, "select change from document_changes where generation = (select max(generation) "
                        "from document_changes)") == [("changed",)]
    assert query(store, "select count(*), count(*) filter (where is_current) from raw_documents "
                        "where source_file = '003_57bbf5c7c259c234.txt'") == [(2, 1)]
    assert query(warehouse, "select region, period from marts.metric_observations where value = 123400000000") == \
        [("常熟市", "2025")]
    others = "select * from marts.metric_observations where source_file <> '003_57bbf5c7c259c234.txt' order by all"
    assert query(warehouse, others) == [r for r in before if r[0] != "003_57bbf5c7c259c234.txt"]

    # A deleted file leaves the marts; its versions stay in the raw history, retired.
    (input_dir / "000_37c7957edf3b189b.txt").unlink()
    assert refresh(input_dir, warehouse, monkeypatch).success
    assert query(warehouse, "select count(*) from marts.articles where source_file = '000_37c7957edf3b189b.txt'") == [(0,)]
    assert query(store, "select bool_or(is_current) from raw_documents "
                        "where source_file = '000_37c7957edf3b189b.txt'") == [(False,)]

    # The incremental marts, updated through the change and the deletion, hold exactly what a
    # build from scratch of the same input holds.
    scratch = warehouse.parent.parent / "scratch" / "livecommerce.duckdb"
    assert refresh(input_dir, scratch, monkeypatch).success
    for mart in INCREMENTAL_MARTS:
        rows = f"select * from marts.{mart} order by all"
        assert query(warehouse, rows) == query(scratch, rows), mart


def test_every_kind_of_bad_input_is_quarantined_and_the_rest_published(workspace, monkeypatch, tmp_path):
    input_dir, warehouse = workspace
    monkeypatch.setenv("LCW_MAX_FILE_BYTES", "40000")
    (input_dir / "empty.txt").write_bytes(b"")
    (input_dir / "report.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n")
    (input_dir / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (input_dir / "garbled.txt").write_bytes(b"\x80abc\xff\x80\x80")
    (input_dir / "huge.txt").write_text("直播电商" * 5000, encoding="utf-8")
    shutil.copy(input_dir / "001_9466b8a903cc27a1.txt", input_dir / "zz_copy_of_001.txt")
    (input_dir / "english.txt").write_text("Live commerce in Hangzhou grew fast.", encoding="utf-8")
    outside = tmp_path / "outside.txt"
    outside.write_text("杭州直播电商", encoding="utf-8")
    (input_dir / "link.txt").symlink_to(outside)

    result = refresh(input_dir, warehouse, monkeypatch)
    assert result.success
    reasons = dict(query(warehouse, "select source_file, reason from marts.quarantine"))
    pandera = [e for e in result.get_asset_check_evaluations() if e.check_name.startswith("pandera_")]
    assert sorted(e.check_name for e in pandera) == sorted(f"pandera_{table}" for table in STAGING_SCHEMAS)
    assert all(e.passed for e in pandera)  # each staging table checked once, by the step after the one writing it
    checked = {e.check_name: e for e in pandera}["pandera_quarantine"]
    assert checked.passed and checked.metadata["rows_checked"].value == len(reasons) == 8
    assert reasons["empty.txt"] == "empty file"
    assert reasons["report.pdf"] == "binary file (PDF)"
    assert reasons["photo.png"] == "binary file (PNG image)"
    assert reasons["garbled.txt"].startswith("undecodable")
    assert reasons["huge.txt"].startswith("oversized")
    assert reasons["zz_copy_of_001.txt"] == "duplicate content of 001_9466b8a903cc27a1.txt"
    assert reasons["english.txt"] == "no Chinese text"
    assert reasons["link.txt"].startswith("symlink to a file outside the input folder")
    assert query(warehouse, "select count(distinct source_file) from marts.articles") == [(5,)]


def test_a_failing_check_leaves_the_published_file_byte_for_byte(workspace, monkeypatch):
    input_dir, warehouse = workspace
    assert refresh(input_dir, warehouse, monkeypatch).success
    published = digest(warehouse)

    real = pipeline.build_extraction_frames

    def broken(articles):  # a parser bug: a range whose ends are swapped
        sentences, mentions, observations = real(articles)
        return sentences, mentions, observations.with_columns(
            pl.when(pl.int_range(pl.len()) == 0).then(pl.col("value") - 1).otherwise(pl.col("value_high")).alias("value_high"))

    monkeypatch.setattr(pipeline, "build_extraction_frames", broken)
    (input_dir / "004_f2690ca50a479f04.txt").write_text("杭州直播电商交易额达到1亿元。\n" * 3, encoding="utf-8")
    result = refresh(input_dir, warehouse, monkeypatch)
    assert not result.success
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    failed = evaluations["pandera_metric_observations"]
    assert not failed.passed and failed.metadata["failing_rows"].value >= 1
    assert "range_ordered" in failed.metadata["failure_sample"].value
    materialized = {e.materialization.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert "metric_observations" in materialized and "published_warehouse" not in materialized
    assert digest(warehouse) == published


def test_a_failing_dbt_test_fails_the_run_and_leaves_the_published_file_byte_for_byte(workspace, monkeypatch):
    input_dir, warehouse = workspace
    monkeypatch.delenv("LCW_DBT_FILE_LOG_LEVEL", raising=False)
    assert refresh(input_dir, warehouse, monkeypatch).success
    published = digest(warehouse)

    real = pipeline.build_extraction_frames

    def unknown_code(articles):  # passes Pandera; dbt's relationships test catches it
        sentences, mentions, observations = real(articles)
        return sentences, mentions, observations.with_columns(region_code=pl.lit("999999"))

    monkeypatch.setattr(pipeline, "build_extraction_frames", unknown_code)
    (input_dir / "004_f2690ca50a479f04.txt").write_text("杭州直播电商交易额达到1亿元。\n" * 3, encoding="utf-8")
    result = refresh(input_dir, warehouse, monkeypatch)
    assert not result.success
    failure = next(e for e in result.get_step_failure_events() if e.step_key == "dbt_models")
    errors = failure.step_failure_data.user_failure_data.metadata["dbt errors"].value
    assert "relationships_metric_observations_region_code" in errors
    # The failed build's dbt.log names the failing test but, at the default file log level, not
    # every SQL statement the build ran (LCW_DBT_FILE_LOG_LEVEL).
    log = next((REPO_ROOT / "dbt" / "target").glob(f"dbt_models-{result.run_id[:7]}-*")) / "dbt.log"
    logged = log.read_text()
    assert "relationships_metric_observations_region_code" in logged and "[error]" in logged
    assert "[debug]" not in logged and "create or replace" not in logged.lower()
    materialized = {e.materialization.asset_key.path[-1] for e in result.get_asset_materialization_events()}
    assert "published_warehouse" not in materialized
    assert digest(warehouse) == published
    # Publishing alone (from the UI) would have renamed the failed run's build copy into place.
    alone = dg.materialize([published_warehouse], resources=build_resources(published=warehouse), raise_on_error=False)
    assert not alone.success and digest(warehouse) == published

    # The failed run left the file's bad rows in the staging store, and the store already knows the
    # file's new content. The next run parses and rebuilds it anyway: it changed after the snapshot.
    monkeypatch.setattr(pipeline, "build_extraction_frames", real)
    assert refresh(input_dir, warehouse, monkeypatch).success
    assert query(warehouse, "select source_file from meta.pending_files") == [("004_f2690ca50a479f04.txt",)]
    assert query(warehouse, "select distinct region_code from marts.metric_observations "
                            "where source_file = '004_f2690ca50a479f04.txt'") == [("330100",)]


def _run_job_subprocess(input_dir: Path, warehouse: Path, dagster_home: Path) -> subprocess.Popen:
    dagster_home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "LCW_INPUT_DIR": str(input_dir), "LCW_WAREHOUSE": str(warehouse),
           "DAGSTER_HOME": str(dagster_home), "LCW_BUILD_WAREHOUSE": str(warehouse.parent / ".build" / warehouse.name)}
    dagster = Path(sys.executable).parent / "dagster"
    return subprocess.Popen([str(dagster), "job", "execute", "-m", "dagster_project.definitions", "-j", "refresh_warehouse"],
                            cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def test_kill_9_during_a_run_then_a_rerun(workspace, monkeypatch, tmp_path):
    input_dir, warehouse = workspace
    assert refresh(input_dir, warehouse, monkeypatch).success
    published = digest(warehouse)
    changed = input_dir / "000_37c7957edf3b189b.txt"
    changed.write_text("2025年杭州直播电商交易额达到5000亿元。\n" + changed.read_text(encoding="utf-8"), encoding="utf-8")

    proc = _run_job_subprocess(input_dir, warehouse, tmp_path / "dagster_home")
    build = warehouse.parent / ".build" / warehouse.name
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (build.exists() and (REPO_ROOT / "dbt" / "target").exists()):
        time.sleep(0.2)
    time.sleep(3)  # into the parsing or dbt steps
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert digest(warehouse) == published

    assert refresh(input_dir, warehouse, monkeypatch).success
    assert query(warehouse, "select count(*) from marts.metric_observations where value = 500000000000") == [(1,)]


def test_the_published_file_stands_alone_and_a_lost_staging_store_is_rebuilt(workspace, monkeypatch):
    input_dir, warehouse = workspace
    assert refresh(input_dir, warehouse, monkeypatch).success
    # Analysts open the published file alone: every view in it reads only what it holds.
    views = query(warehouse, "select schema_name, view_name from duckdb_views() where not internal")
    assert views and query(warehouse, "select count(*) from duckdb_tables() where schema_name = 'staging'") == [(0,)]
    # A copy under another name (a snapshot an analyst keeps) opens under another catalog name:
    # no view may name the catalog it was built in.
    renamed = warehouse.with_name("kept_snapshot.duckdb")
    shutil.copyfile(warehouse, renamed)
    for schema, view in views:
        for file in (warehouse, renamed):
            query(file, f"select count(*) from {schema}.{view}")
    before = {m: query(warehouse, f"select * from marts.{m} order by all") for m in INCREMENTAL_MARTS}

    # Without its staging store, the snapshot cannot say which files changed since: the next
    # refresh starts from an empty build, parses every file and rebuilds every model.
    staging_store(warehouse).unlink()
    rebuilt = refresh(input_dir, warehouse, monkeypatch)
    assert rebuilt.success
    raw = next(e for e in rebuilt.get_asset_materialization_events() if e.asset_key.path[-1] == "raw_documents")
    assert raw.materialization.metadata["build"].value.startswith("started empty")
    assert raw.materialization.metadata["files_to_rebuild"].value == 5
    for mart, rows in before.items():
        assert query(warehouse, f"select * from marts.{mart} order by all") == rows, mart


def test_a_reader_never_blocks_a_refresh_and_keeps_its_snapshot(workspace, monkeypatch):
    input_dir, warehouse = workspace
    assert refresh(input_dir, warehouse, monkeypatch).success
    reader = duckdb.connect(str(warehouse), read_only=True)
    before = reader.sql("select count(*) from marts.articles").fetchone()[0]
    (input_dir / "000_37c7957edf3b189b.txt").unlink()
    assert refresh(input_dir, warehouse, monkeypatch).success
    assert reader.sql("select count(*) from marts.articles").fetchone()[0] == before  # its own snapshot
    reader.close()
    assert query(warehouse, "select count(*) from marts.articles") == [(before - 1,)]


def test_concurrent_refreshes_run_one_after_the_other(workspace, tmp_path):
    input_dir, warehouse = workspace
    first = _run_job_subprocess(input_dir, warehouse, tmp_path / "home_a")
    time.sleep(1)
    second = _run_job_subprocess(input_dir, warehouse, tmp_path / "home_b")
    out_first, _ = first.communicate(timeout=600)
    out_second, _ = second.communicate(timeout=600)
    assert first.returncode == 0, out_first[-3000:]
    assert second.returncode == 0, out_second[-3000:]
    assert "waiting for the refresh running as pid" in out_first + out_second
    assert query(warehouse, "select count(distinct source_file) from marts.articles") == [(5,)]


def test_a_refresh_waiting_for_the_lock_reads_the_folder_as_it_is_when_it_gets_the_lock(workspace, monkeypatch):
    # raw_documents lists the folder while it copies the published file; the listing must come
    # after the lock, or a run that waited for another would miss what arrived meanwhile.
    input_dir, warehouse = workspace
    monkeypatch.setenv("LCW_INPUT_DIR", str(input_dir))
    resources = build_resources(published=warehouse)
    lock_path = Path(resources["warehouse"].build_path).with_suffix(".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    other_run = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(other_run, fcntl.LOCK_EX)
    arrived = "arrived_while_waiting.txt"
    asked = threading.Event()
    real_acquire = WarehouseResource.acquire_lock

    def acquire_lock(self, log=None):
        asked.set()
        return real_acquire(self, log)

    monkeypatch.setattr(WarehouseResource, "acquire_lock", acquire_lock)

    def other_run_ends():
        asked.wait(timeout=120)
        time.sleep(1.0)  # the run has found the lock taken and is waiting
        seed = sorted(SEEDS.iterdir())[0]
        (input_dir / arrived).write_text(seed.read_text(encoding="utf-8") + "\n（记者 王宁）\n", encoding="utf-8")
        fcntl.flock(other_run, fcntl.LOCK_UN)
        os.close(other_run)

    ender = threading.Thread(target=other_run_ends)
    ender.start()
    instance = dg.DagsterInstance.ephemeral()
    try:
        result = dg.materialize([raw_documents], resources=resources, instance=instance)
    finally:
        ender.join()
        resources["warehouse"].release_lock()
    assert result.success
    assert any("waiting for the refresh" in e.user_message for e in instance.all_logs(result.run_id))
    read = query(staging_store(warehouse), "select source_file from raw_documents where is_current order by 1")
    assert (arrived,) in read and len(read) == 6


def test_dbt_or_publish_chosen_alone_refuse_a_build_copy_their_run_did_not_start(workspace, monkeypatch):
    input_dir, warehouse = workspace
    assert refresh(input_dir, warehouse, monkeypatch).success
    published = digest(warehouse)
    resources = build_resources(published=warehouse)
    quarantine = get_asset_key_for_model([dbt_models], "quarantine")
    for assets, selection in (([dbt_models], [quarantine]), ([published_warehouse], None)):
        result = dg.materialize(assets, selection=selection, resources=resources, raise_on_error=False)
        assert not result.success
        failure = result.get_step_failure_events()[0].step_failure_data.user_failure_data
        assert "staging/raw_documents" in failure.description
    assert digest(warehouse) == published
    assert not Path(resources["warehouse"].build_path).exists()  # the dbt subset did not build a stray file


def test_a_selection_that_leaves_out_a_mart_is_not_published(workspace, monkeypatch):
    # Chosen in the UI: everything after ingest, seeds, views and reference tables left out (a
    # subset, so dbt runs through the CLI with Dagster's selection). Without the quarantine mart
    # the snapshot would list the quarantine of the last refresh beside this one's articles.
    input_dir, warehouse = workspace
    assert refresh(input_dir, warehouse, monkeypatch).success
    published = digest(warehouse)
    (input_dir / "empty.txt").write_bytes(b"")
    (input_dir / "new.txt").write_text("2025年杭州直播电商交易额达到5000亿元。\n" * 3, encoding="utf-8")
    defs = build_definitions(build_resources(published=warehouse))
    job, graph = defs.resolve_job_def("refresh_warehouse"), defs.resolve_asset_graph()
    after_ingest = dg.AssetSelection.assets(raw_documents).downstream()
    quarantine_mart = get_asset_key_for_model([dbt_models], "quarantine")
    assert quarantine_mart in after_ingest.resolve(graph)  # staging/quarantine is raw_documents' second asset

    partial = job.execute_in_process(asset_selection=list((after_ingest - dg.AssetSelection.assets(quarantine_mart))
                                                          .resolve(graph)), raise_on_error=False)
    assert not partial.success
    failure = next(e for e in partial.get_step_failure_events() if e.step_key == "published_warehouse")
    assert "left marts out" in failure.step_failure_data.user_failure_data.description
    assert digest(warehouse) == published

    whole = job.execute_in_process(asset_selection=list(after_ingest.resolve(graph)), raise_on_error=False)
    assert whole.success
    assert query(warehouse, "select distinct value from marts.metric_observations where source_file = 'new.txt'") \
        == [(500000000000,)]
    assert query(warehouse, "select reason from marts.quarantine where source_file = 'empty.txt'") == [("empty file",)]

    # After a change to the dbt project or the parser, the same selection leaves seeds, views and
    # reference tables as the old project made them: not published, and the build copy keeps the
    # old project's digest, so the next whole refresh still rebuilds everything.
    built_by = query(warehouse, "select fingerprint from meta.dbt_state")
    real = dbt_assets.dbt_project_fingerprint
    monkeypatch.setattr(dbt_assets, "dbt_project_fingerprint", lambda parser: "changed " + real(parser))
    after_change = job.execute_in_process(asset_selection=list(after_ingest.resolve(graph)), raise_on_error=False)
    assert not after_change.success
    failure = next(e for e in after_change.get_step_failure_events() if e.step_key == "published_warehouse")
    assert "after a change to the dbt project" in failure.step_failure_data.user_failure_data.description
    assert query(Path(build_resources(published=warehouse)["warehouse"].build_path),
                 "select fingerprint from meta.dbt_state") == built_by


def test_a_build_copy_serves_the_run_that_started_it_and_its_re_executions(tmp_path):
    warehouse = WarehouseResource(published_path=str(tmp_path / "published.duckdb"), build_path=str(tmp_path / "build.duckdb"),
                                  staging_path=str(tmp_path / "store.duckdb"))
    warehouse.claim_build("run-a")
    retry = dg.DagsterRun(job_name="refresh_warehouse", run_id="run-b", parent_run_id="run-a", root_run_id="run-a")
    other = dg.DagsterRun(job_name="refresh_warehouse", run_id="run-c")
    warehouse.require_build_of(retry, "dbt")
    with pytest.raises(dg.Failure, match="from run run-a"):
        warehouse.require_build_of(other, "dbt")
    with pytest.raises(dg.Failure, match="has not built and tested every mart"):
        warehouse.require_build_of(retry, "published_warehouse", dbt_passed=True)
    warehouse.mark_dbt_passed()
    warehouse.require_build_of(retry, "published_warehouse", dbt_passed=True)


def test_a_session_shares_one_connection_and_keeps_the_build_file_in_place(tmp_path):
    warehouse = WarehouseResource(published_path=str(tmp_path / "published.duckdb"), build_path=str(tmp_path / "build.duckdb"),
                                  staging_path=str(tmp_path / "store.duckdb"))
    with warehouse.session():
        with warehouse.connect() as first, warehouse.connect() as second:
            assert first is second
        warehouse.write_table("numbers", pl.DataFrame({"x": [1, 2]}))
        assert warehouse.read_table("numbers")["x"].to_list() == [1, 2]
        with pytest.raises(RuntimeError, match="outside a session"):
            warehouse.start_build()
    with warehouse.connect() as con:  # the session's writes are in the file after it closes
        assert con.sql("select count(*) from staging.numbers").fetchone() == (2,)


def data_refresh_selects(resource_type: str) -> list[str]:
    """The names of the nodes of ``resource_type`` that dbt itself selects with the data_refresh selector."""
    from dagster_project.resources import dbt_executable
    listed = subprocess.run([dbt_executable(), "ls", "--selector", "data_refresh", "--resource-type", resource_type,
                             "--output", "name", "--quiet"], cwd=REPO_ROOT / "dbt", capture_output=True, text=True,
                            env={**os.environ, "DBT_PROFILES_DIR": str(REPO_ROOT / "dbt")}, check=True)
    return sorted(listed.stdout.split())


def test_publish_waits_for_exactly_the_models_the_data_refresh_selector_builds():
    # published_warehouse depends on the models every refresh materializes; they must be the ones
    # dbt itself selects with dbt/selectors.yml, or a data refresh would skip publishing.
    assert data_refresh_selects("model") == models_every_refresh_builds()


def test_the_staging_tests_a_data_refresh_skips_repeat_the_pandera_contract_or_read_unchanged_inputs():
    # dbt/selectors.yml leaves the tests tagged staging_contract to full builds. Each must check a
    # staging table Pandera checks the same way on every refresh, or read only a seed or the
    # division table, which change only with the project or the parser (then dbt builds it all).
    from dagster_project.dbt_project import dbt_project
    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    nodes = manifest["nodes"]
    tests = [n for n in nodes.values() if n["resource_type"] == "test"]
    skipped = [t for t in tests if "staging_contract" in t["tags"]]
    assert len(skipped) >= 10
    for test in skipped:
        [upstream] = nodes[test["attached_node"]]["depends_on"]["nodes"]
        kind, kwargs = test["test_metadata"]["name"], test["test_metadata"]["kwargs"]
        if upstream.startswith("seed.") or upstream == "source.live_commerce.staging.admin_divisions":
            continue
        assert upstream.startswith("source.live_commerce.staging."), test["name"]
        schema = STAGING_SCHEMAS[upstream.rsplit(".", 1)[-1]].to_schema()
        if kind == "unique_combination":
            assert schema.unique == kwargs["columns"], test["name"]
            continue
        column = schema.columns[test["column_name"]]
        assert not column.nullable, test["name"]  # Pandera's default, stricter than accepted_values
        if kind == "accepted_values":
            [allowed] = [c.statistics["allowed_values"] for c in column.checks if c.name == "isin"]
            assert set(allowed) <= set(kwargs["values"]), test["name"]
        else:
            assert kind == "not_null", test["name"]
    on_seeds = {t["name"] for t in tests if nodes.get(t.get("attached_node") or "", {}).get("resource_type") == "seed"}
    assert data_refresh_selects("test") == sorted({t["name"] for t in tests} - {t["name"] for t in skipped} - on_seeds)


def test_a_failed_document_batch_leaves_the_store_as_it_was_and_the_session_usable(tmp_path):
    warehouse = WarehouseResource(published_path=str(tmp_path / "published.duckdb"), build_path=str(tmp_path / "build.duckdb"),
                                  staging_path=str(tmp_path / "store.duckdb"))
    docs, present, _ = pipeline.read_raw_documents(SEEDS, 10**8)
    with warehouse.session():
        warehouse.record_documents(iter([docs.head(2)]), lambda: present.head(2))

        def batches_then_a_failure():
            yield docs.tail(3)
            raise OSError("input folder went away")

        with pytest.raises(OSError, match="went away"):
            warehouse.record_documents(batches_then_a_failure(), lambda: present)
        # Caught inside the session, the failure left no rows and no open transaction behind.
        assert warehouse.row_count("raw_documents") == 2
        assert warehouse.read_table("document_changes")["generation"].unique().to_list() == [1]
        warehouse.record_documents(iter([docs.tail(3)]), lambda: present)
        assert warehouse.row_count("raw_documents") == 5


def test_replacing_rows_inserts_in_batches_of_chunks_and_the_rest_when_the_block_ends(tmp_path, monkeypatch):
    from dagster_project import resources
    monkeypatch.setattr(resources, "INSERT_ROWS", 3)
    warehouse = WarehouseResource(published_path=str(tmp_path / "published.duckdb"), build_path=str(tmp_path / "build.duckdb"),
                                  staging_path=str(tmp_path / "store.duckdb"))

    def rows(*pairs):
        return pl.DataFrame(list(pairs), schema={"source_file": pl.String, "n": pl.Int64}, orient="row")

    warehouse.write_table("facts", rows(("a", 0), ("b", 0), ("c", 0)))
    with warehouse.session():
        with warehouse.replacing_rows(["a", "b"]) as append:
            append("facts", rows(("a", 1), ("a", 2)))
            assert warehouse.read_table("facts", "*", "order by all").rows() == [("a", 0), ("b", 0), ("c", 0)]  # two wait
            append("facts", rows(("b", 1)))  # three rows: inserted, the files' old rows gone first
            assert warehouse.read_table("facts", "*", "order by all").rows() == [("a", 1), ("a", 2), ("b", 1), ("c", 0)]
            append("facts", rows(("b", 2)))
        assert warehouse.read_table("facts", "*", "order by all").rows() == \
            [("a", 1), ("a", 2), ("b", 1), ("b", 2), ("c", 0)]


def test_the_in_process_dbt_build_keeps_every_event_dagster_dbt_turns_into_asset_events():
    # build_in_process converts only the events in RESULT_EVENTS (and errors): if dagster-dbt
    # made Dagster events from another kind, the filter would drop them without a word.
    from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
    from dbt.events import core_types_pb2

    from dagster_project.dbt_runner import RESULT_EVENTS

    names = [n for n in core_types_pb2.DESCRIPTOR.message_types_by_name if not n.endswith("Msg")]
    used = {n for n in names if DbtCoreCliEventMessage(
        raw_event={"info": {"name": n}, "data": {"node_info": {"unique_id": "model.live_commerce.articles"}}},
        event_history_metadata={}).is_result_event}
    assert len(names) > 100 and used == RESULT_EVENTS
