"""Resources: the warehouse (a build copy published atomically) and the dbt CLI."""
from __future__ import annotations

import fcntl
import os
import time
import shutil
import sys
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Iterator

import dagster as dg
import duckdb
import polars as pl
from dagster_dbt import DbtCliResource
from packaging import version

from dagster_project.dbt_project import dbt_project
from dagster_project.settings import build_warehouse_path, warehouse_path


# Refresh locks this process holds, by build path: re-entrant within a process (steps of one run
# and repeated in-process runs), exclusive between processes; the OS drops them if a run is killed.
_HELD_LOCKS: dict[str, int] = {}
LOCK_WAIT_SECONDS = float(os.environ.get("LCW_LOCK_TIMEOUT", 1800))


# The rows of the files the current refresh added, changed or deleted (raw_documents writes the list).
CHANGED_FILES_WHERE = "where source_file in (select source_file from staging.document_changes)"

# Connections held open for the length of a step, by build path (see WarehouseResource.session).
_SESSIONS: dict[str, duckdb.DuckDBPyConnection] = {}


class RefreshLocked(Exception):
    pass


class WarehouseResource(dg.ConfigurableResource):
    """Assets write a private build copy; analysts read the published file, replaced in one
    rename only after every blocking check passed. A failed or killed run never touches it."""

    published_path: str
    build_path: str

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if (held := _SESSIONS.get(self.build_path)) is not None:
            yield held
            return
        Path(self.build_path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(self.build_path)
        try:
            con.execute("create schema if not exists staging")
            yield con
        finally:
            con.close()

    @contextmanager
    def session(self) -> Iterator[None]:
        """One connection for every read and write inside the block. Opening a large file reads
        its catalogue and closing it after a write checkpoints, tens of milliseconds each, and a
        step makes a dozen calls. Never hold one across dbt, which opens the file itself."""
        if self.build_path in _SESSIONS:
            yield
            return
        with self.connect() as con:
            _SESSIONS[self.build_path] = con
            try:
                yield
            finally:
                del _SESSIONS[self.build_path]

    def acquire_lock(self, log=None) -> None:
        """One refresh per warehouse at a time: wait for another run's lock, then take it."""
        if self.build_path in _HELD_LOCKS:
            return
        lock_path = Path(self.build_path).with_suffix(".lock")
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        announced = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise RefreshLocked(f"another refresh holds {lock_path} (pid {lock_path.read_text().strip() or '?'})")
                if log and not announced:
                    log.info(f"waiting for the refresh running as pid {lock_path.read_text().strip() or '?'}")
                    announced = True
                time.sleep(0.5)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        _HELD_LOCKS[self.build_path] = fd

    def release_lock(self) -> None:
        fd = _HELD_LOCKS.pop(self.build_path, None)
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def start_build(self, log=None) -> str:
        """Start the build copy from the published snapshot (or empty), discarding leftovers."""
        if self.build_path in _SESSIONS:
            raise RuntimeError("start_build replaces the build file: call it outside a session")
        self.acquire_lock(log)
        build, published = Path(self.build_path), Path(self.published_path)
        build.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (build, build.with_name(build.name + ".wal")):
            leftover.unlink(missing_ok=True)
        if published.exists():
            shutil.copy2(published, build)
            return f"copied {published.name} ({published.stat().st_size} bytes)"
        return "started empty"

    def write_table(self, table: str, frame: pl.DataFrame) -> int:
        with self.connect() as con:
            con.register("incoming_frame", frame)
            con.execute(f"create or replace table staging.{table} as select * from incoming_frame")
            con.unregister("incoming_frame")
        return frame.height

    def read_table(self, table: str, columns: str = "*", where: str = "") -> pl.DataFrame:
        with self.connect() as con:
            return con.sql(f"select {columns} from staging.{table} {where}").pl()

    def has_table(self, table: str) -> bool:
        with self.connect() as con:
            return bool(con.execute("select count(*) from information_schema.tables where table_schema = 'staging' "
                                    "and table_name = ?", [table]).fetchone()[0])

    def replace_rows(self, table: str, frame: pl.DataFrame, source_files: list[str]) -> int:
        """Drop every row of these source files and insert the new ones, in one transaction."""
        with self.connect() as con:
            con.register("incoming_frame", frame)
            con.execute(f"create table if not exists staging.{table} as select * from incoming_frame limit 0")
            con.execute("begin")
            con.execute(f"delete from staging.{table} where source_file in (select unnest(?))", [source_files])
            con.execute(f"insert into staging.{table} by name select * from incoming_frame")
            con.execute("commit")
            con.unregister("incoming_frame")
            return con.execute(f"select count(*) from staging.{table}").fetchone()[0]

    def record_documents(self, new_docs: pl.DataFrame, present: pl.DataFrame) -> pl.DataFrame:
        """Append new document versions to the history, retire replaced and deleted ones, and
        return the changes (source_file, change) the parsing steps must apply."""
        with self.connect() as con:
            con.register("new_docs", new_docs)
            con.register("present", present)
            con.execute("""create table if not exists staging.raw_documents as
                           select *, true as is_current, null::timestamptz as superseded_at from new_docs limit 0""")
            con.execute("begin")
            changes = con.sql("""
                select n.source_file, case when c.source_file is null then 'added' else 'changed' end as change
                from new_docs n left join (select source_file from staging.raw_documents where is_current) c using (source_file)
                union all
                select c.source_file, 'deleted' from staging.raw_documents c
                where c.is_current and c.source_file not in (select source_file from present)
            """).pl()
            con.execute("""update staging.raw_documents set is_current = false, superseded_at = now()
                           where is_current and source_file in (select unnest(?))""", [changes["source_file"].to_list()])
            con.execute("insert into staging.raw_documents by name select *, true as is_current from new_docs")
            con.register("changes", changes)
            con.execute("create or replace table staging.document_changes as select * from changes")
            con.execute("commit")
            for name in ("new_docs", "present", "changes"):
                con.unregister(name)
        return changes

    def publish(self) -> int:
        if self.build_path in _SESSIONS:
            raise RuntimeError("publish renames the build file: call it outside a session")
        build, published = Path(self.build_path), Path(self.published_path)
        with duckdb.connect(str(build)) as con:
            con.execute("checkpoint")
        published.parent.mkdir(parents=True, exist_ok=True)
        if build.stat().st_dev == published.parent.stat().st_dev:
            staged = build  # same file system: the build file itself becomes the snapshot, no copy
        else:
            staged = published.with_name(f".{published.name}.publishing")
            shutil.copy2(build, staged)
        with open(staged, "rb") as f:
            os.fsync(f.fileno())
        os.replace(staged, published)  # atomic: readers see the old snapshot or the new one
        self.release_lock()
        return published.stat().st_size


class WarehouseDbtResource(DbtCliResource):
    """The dbt CLI without two start-up costs of dagster-dbt that this project does not need:
    ``dbt --version`` in a subprocess before every invocation (a second dbt start-up, 3-5 s), when
    the executable is this environment's own dbt-core; and an in-process dbt adapter (about 4 s),
    which dagster-dbt only uses to fetch column metadata, not fetched here."""

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            from dbt.version import __version__
            return version.parse(__version__)
        return super()._cli_version

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_executable() -> str:
    """The dbt installed beside this Python (the venv), else whatever dbt is on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def build_resources(published: Path | None = None, build: Path | None = None) -> dict:
    published = published or warehouse_path()
    build = build or (build_warehouse_path() if published == warehouse_path() else published.parent / ".build" / published.name)
    return {
        "warehouse": WarehouseResource(published_path=str(published), build_path=str(build)),
        "dbt": WarehouseDbtResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
    }
