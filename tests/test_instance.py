"""The project's Dagster instance (instance/dagster.yaml) keeps its SQLite connections open, in the
files and the format of Dagster's own SQLite storage."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy

from dagster_project.instance import (LiveCommerceInstance, SqliteEventLogStorageKeepingConnections,
                                      SqliteRunStorageKeepingConnections)
from tests.conftest import REPO_ROOT


@pytest.fixture
def home(tmp_path) -> Path:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "instance" / "dagster.yaml", home / "dagster.yaml")
    return home


@pytest.fixture
def connections_opened():
    """How many SQLite connections the process opens, counted from here."""
    opened = []

    def count(*_):
        opened.append(1)

    sqlalchemy.event.listen(sqlalchemy.pool.Pool, "connect", count)
    yield opened
    sqlalchemy.event.remove(sqlalchemy.pool.Pool, "connect", count)


def open_event_log_files(home: Path) -> set[str]:
    """The event log's database files this process has open (one per run, and the index)."""
    events_dir = str(home / "history" / "runs") + os.sep
    paths = {os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")}
    return {p for p in paths if p.startswith(events_dir) and p.endswith(".db")}


def test_the_instance_records_runs_with_one_connection_per_file(home, connections_opened):
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance, LiveCommerceInstance)
        assert isinstance(instance.run_storage, SqliteRunStorageKeepingConnections)
        assert isinstance(instance.event_log_storage, SqliteEventLogStorageKeepingConnections)
        run = instance.create_run_for_job(dg.GraphDefinition(name="noop", node_defs=[]).to_job())
        del connections_opened[:]
        for i in range(30):
            instance.report_engine_event(f"event {i}", run)
        instance.report_run_failed(run)
        # Dagster's own SQLite storage opens a connection for every event, and for the run's status.
        assert len(connections_opened) <= 3, len(connections_opened)
        run_id = run.run_id

    # Dagster's own storage (what a plain dagster.yaml gives) reads the same files.
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with dg.DagsterInstance.from_config(str(home)) as plain:
        assert type(plain) is dg.DagsterInstance
        assert plain.get_run_by_id(run_id).status == dg.DagsterRunStatus.FAILURE
        messages = [e.message for e in plain.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT)]
        assert messages == [f"event {i}" for i in range(30)]


def test_a_long_lived_process_keeps_only_the_last_few_event_log_files_open(home):
    job = dg.GraphDefinition(name="noop", node_defs=[]).to_job()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = [instance.create_run_for_job(job) for _ in range(8)]
        for run in runs:
            instance.report_engine_event("hello", run)
            assert [e.message for e in instance.all_logs(run.run_id)] == ["hello"]
        kept = SqliteEventLogStorageKeepingConnections.KEPT_FILES
        assert 1 <= len(open_event_log_files(home)) <= kept
        instance.wipe()  # removes the run files: none of them may stay open
        assert all(p.endswith("index.db") for p in open_event_log_files(home))
    assert open_event_log_files(home) == set()  # disposing the instance closes them all


def test_threads_that_use_the_run_storage_at_once_do_not_wait_for_each_other(home):
    """The webserver answers requests on many threads: none may wait for a kept connection."""
    import threading

    with dg.DagsterInstance.from_config(str(home)) as instance:
        run = instance.create_run_for_job(dg.GraphDefinition(name="noop", node_defs=[]).to_job())
        inside, release = threading.Barrier(21), threading.Event()

        def hold_a_connection():
            with instance.run_storage.connect():
                inside.wait(timeout=30)  # all 20 threads hold a connection at the same time
                release.wait(timeout=30)

        threads = [threading.Thread(target=hold_a_connection) for _ in range(20)]
        for thread in threads:
            thread.start()
        inside.wait(timeout=30)
        release.set()
        for thread in threads:
            thread.join()
        assert instance.get_run_by_id(run.run_id) is not None


def test_asset_check_events_do_not_open_a_connection_each(home, connections_opened):
    """Dagster's storage asks whether the asset check table exists for every asset check event, on
    a connection of its own: the refresh job plans 72 checks per run."""

    @dg.asset
    def figures() -> None:
        pass

    checks = [dg.AssetCheckSpec(f"check_{i}", asset=figures) for i in range(20)]

    @dg.multi_asset_check(specs=checks)
    def figures_checks():
        for spec in checks:
            yield dg.AssetCheckResult(check_name=spec.name, asset_key=spec.asset_key, passed=True)

    job = dg.Definitions(assets=[figures], asset_checks=[figures_checks],
                         jobs=[dg.define_asset_job("figures_job")]).resolve_job_def("figures_job")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.create_run_for_job(job)  # creates the index's tables
        del connections_opened[:]
        run = instance.create_run_for_job(job)  # a planned event for the asset and each check
        assert len(instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED)) == 20
        assert len(connections_opened) <= 3, len(connections_opened)
