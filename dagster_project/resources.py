"""Resources: the warehouse (a build copy published atomically, beside a staging store updated in
place) and the dbt CLI."""
from __future__ import annotations

import fcntl
import gc
import os
import shutil
import sys
import time
import uuid
from contextlib import contextmanager, suppress
from functools import cached_property
from itertools import chain
from pathlib import Path
from typing import Callable, Iterable, Iterator

import dagster as dg
import duckdb
import polars as pl
from dagster_dbt import DbtCliResource
from packaging import version

from dagster_project.dbt_project import dbt_project
from dagster_project.settings import build_warehouse_path, duckdb_memory_limit, staging_store_path, warehouse_path


# Refresh locks this process holds, by build path: re-entrant within a process (steps of one run
# and repeated in-process runs), exclusive between processes; the OS drops them if a run is killed.
_HELD_LOCKS: dict[str, int] = {}
LOCK_WAIT_SECONDS = float(os.environ.get("LCW_LOCK_TIMEOUT", 1800))


# DuckDB writes an insert of at least a row group (122,880 rows) straight to the file; smaller
# ones go through the write-ahead log and are written again at the next checkpoint. A step's
# chunks wait and are inserted together once they reach two row groups (or INSERT_BYTES, for wide rows).
INSERT_ROWS = 2 * 122_880
INSERT_BYTES = 128 * 2**20

# The store's log of input changes: each refresh that finds any adds them under the next generation.
DOCUMENT_CHANGES_DDL = """create table if not exists staging.document_changes (generation bigint not null,
    source_file varchar not null, change varchar not null, recorded_at timestamptz not null)"""

# Connections held open for the length of a step, by build path (see WarehouseResource.session).
_SESSIONS: dict[str, duckdb.DuckDBPyConnection] = {}


def _open(path: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    # Every connection a refresh opens to its files has the same configuration: DuckDB refuses a
    # second connection to an open file with another one.
    return duckdb.connect(path, read_only=read_only, config={"memory_limit": duckdb_memory_limit()})


class RefreshLocked(Exception):
    pass


class WarehouseResource(dg.ConfigurableResource):
    """Two DuckDB files. The marts are built in a private copy of the published file and replace it
    in one rename only after every blocking check passed: a failed or killed run never touches what
    analysts read. The staging tables (raw text, parsed rows) live in the staging store, which a
    refresh updates in place, so a refresh copies only the marts. The store is attached to every
    connection as the catalog ``staging``, which is how SQL here and in dbt names its tables.

    The store logs every change to the input with a generation number; the published file records
    the generation it was built from (meta.refresh_state). A refresh parses and rebuilds every file
    changed since that generation, so the changes of a run that failed after writing the store are
    redone by the next one."""

    published_path: str
    build_path: str
    staging_path: str

    # A refresh runs beside every object of the modules Dagster, dbt and Polars imported, and the
    # parsing steps make enough new objects to set off Python's full collections, which walk them
    # all. Frozen for the length of the run (once per run and process), they are left out of those
    # walks. They rejoin the collector when the run ends, which frees any that became garbage.
    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        gc.freeze()

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        gc.unfreeze()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if (held := _SESSIONS.get(self.build_path)) is not None:
            yield held
            return
        Path(self.build_path).parent.mkdir(parents=True, exist_ok=True)
        con = _open(self.build_path)
        try:
            con.execute("create schema if not exists meta")
            con.execute(f"attach if not exists {sql_string(self.staging_path)} as staging")
            yield con
        finally:
            con.close()

    @contextmanager
    def session(self) -> Iterator[None]:
        """One connection for every read and write inside the block. Opening a large file reads
        its catalogue and closing it after a write checkpoints, tens of milliseconds each, and a
        step makes a dozen calls. Never hold one across dbt, which opens the files itself."""
        if self.build_path in _SESSIONS:
            yield
            return
        with self.connect() as con, self._held(con):
            yield

    @contextmanager
    def store_session(self) -> Iterator[None]:
        """Like ``session``, but for the staging store alone (attached as ``staging`` as always; the
        build file's ``meta`` is out of reach): raw_documents records the input in the store while
        the published file is being copied to the build file."""
        if self.build_path in _SESSIONS:
            raise RuntimeError("a session is already open")
        with _open(":memory:") as con:
            con.execute(f"attach {sql_string(self.staging_path)} as staging")
            with self._held(con):
                yield

    @contextmanager
    def _held(self, con: duckdb.DuckDBPyConnection) -> Iterator[None]:
        """``connect()`` hands out ``con`` inside the block."""
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

    def start_build(self, log=None, store_id: str | None = None) -> str:
        """Start the build copy from the published snapshot, discarding leftovers. It starts empty
        when there is no snapshot or the snapshot was not built from this staging store (a store
        deleted or replaced, or a warehouse from before the store): then every file is parsed
        again and every model rebuilt. ``store_id``: the store's, when the caller has it (and
        works in the store meanwhile, which no second connection may open)."""
        if self.build_path in _SESSIONS:
            raise RuntimeError("start_build replaces the build file: call it outside a session")
        self.acquire_lock(log)
        build, published = Path(self.build_path), Path(self.published_path)
        build.parent.mkdir(parents=True, exist_ok=True)
        for leftover in (build, build.with_name(build.name + ".wal")):
            leftover.unlink(missing_ok=True)
        store_id = store_id or self.staging_store_id()
        if not published.exists():
            return "started empty"
        shutil.copy2(published, build)
        if self._snapshot_store_id() == store_id:
            return f"copied {published.name} ({published.stat().st_size} bytes)"
        build.unlink()
        return f"started empty: {published.name} was not built from the staging store {Path(self.staging_path).name}"

    def staging_store_id(self) -> str:
        """The store's identity, created with the store."""
        with _open(self.staging_path) as con:
            con.execute("create table if not exists store_state (store_id varchar not null)")
            con.execute("insert into store_state select ? where not exists (select 1 from store_state)",
                        [str(uuid.uuid4())])
            return con.sql("select store_id from store_state").fetchone()[0]

    def _snapshot_store_id(self) -> str | None:
        with _open(self.build_path, read_only=True) as con:
            found = con.sql("select count(*) from duckdb_tables() where schema_name = 'meta' "
                            "and table_name = 'refresh_state'").fetchone()[0]
            return con.sql("select store_id from meta.refresh_state").fetchone()[0] if found else None

    # Tables live in the staging store (schema "staging", the attached catalog) or, for what
    # belongs to one snapshot (its generation, the files it rebuilt, the dbt project it was built
    # with), in the build file's schema "meta".
    def write_table(self, table: str, frame: pl.DataFrame, schema: str = "staging") -> int:
        with self.connect() as con:
            con.register("incoming_frame", frame)
            con.execute(f"create or replace table {schema}.{table} as select * from incoming_frame")
            con.unregister("incoming_frame")
        return frame.height

    def read_table(self, table: str, columns: str = "*", where: str = "", schema: str = "staging") -> pl.DataFrame:
        with self.connect() as con:
            return con.sql(f"select {columns} from {schema}.{table} {where}").pl()

    def has_table(self, table: str, schema: str = "staging") -> bool:
        place = "database_name = 'staging' and schema_name = 'main'" if schema == "staging" else \
            f"database_name = current_database() and schema_name = {sql_string(schema)}"
        with self.connect() as con:
            return bool(con.execute(f"select count(*) from duckdb_tables() where {place} and table_name = ?",
                                    [table]).fetchone()[0])

    def pending_files(self) -> list[str]:
        """The files this refresh parses again: every file added, changed or deleted since the
        snapshot it started from (raw_documents lists them in the build file, meta.pending_files)."""
        return self.read_table("pending_files", schema="meta")["source_file"].to_list()

    def read_files(self, table: str, columns: str, files: list[str], also: str = "") -> pl.DataFrame:
        """The rows of ``files`` in a staging table (``also``: a further condition). The range of
        names lets DuckDB skip the row groups outside it (rows are written in name order), which the
        join on the list alone does not: it would read every row's text for every chunk."""
        with self.connect() as con:
            return con.execute(f"select {columns} from staging.{table} where source_file between ? and ? "
                               "and source_file in (select unnest(?))" + (f" and {also}" if also else ""),
                               [min(files, default=""), max(files, default=""), files]).pl()

    @contextmanager
    def replacing_rows(self, source_files: list[str]) -> Iterator[Callable[[str, pl.DataFrame], None]]:
        """``append(table, frame)`` for the new rows of these files, chunk by chunk: the first
        append to a table drops every row these files had there; the frames wait and are inserted
        a few chunks at a time (INSERT_ROWS rows or INSERT_BYTES), the rest when the block ends.
        Not one transaction, so a step never holds a whole corpus of rows: a run that fails
        half-way leaves the build unpublished and these files pending, and the next run writes
        them again."""
        with self.connect() as con:
            started: set[str] = set()
            waiting: dict[str, list[pl.DataFrame]] = {}

            def insert(table: str) -> None:
                frames = waiting.pop(table, [])
                if not frames:
                    return
                con.register("incoming_frame", pl.concat(frames, rechunk=False))
                if table not in started:
                    con.execute(f"create table if not exists staging.{table} as select * from incoming_frame limit 0")
                    con.execute(f"delete from staging.{table} where source_file in (select unnest(?))", [source_files])
                    started.add(table)
                con.execute(f"insert into staging.{table} by name select * from incoming_frame")
                con.unregister("incoming_frame")

            def append(table: str, frame: pl.DataFrame) -> None:
                waiting.setdefault(table, []).append(frame)
                if sum(f.height for f in waiting[table]) >= INSERT_ROWS or \
                        sum(f.estimated_size() for f in waiting[table]) >= INSERT_BYTES:
                    insert(table)

            yield append
            for table in list(waiting):
                insert(table)

    def claim_build(self, run_id: str) -> None:
        """Mark the build file as this run's (raw_documents does, right after starting it)."""
        self.write_table("build_run", pl.DataFrame({"run_id": [run_id], "dbt_passed": [False]}), schema="meta")

    def mark_dbt_passed(self) -> None:
        """dbt built, without errors, every model a refresh builds into this copy, and tested them."""
        with self.connect() as con:
            con.execute("update meta.build_run set dbt_passed = true")

    def require_build_of(self, run: dg.DagsterRun, step: str, dbt_passed: bool = False) -> None:
        """Stop ``step`` unless this run started the build file, or the run it re-executes did (and,
        with ``dbt_passed``, unless dbt built and tested it): a dbt build or a publish chosen alone
        in the UI would otherwise build into, or publish, whatever file a finished or failed run
        left there (or a new empty one)."""
        started_by = {run.run_id, run.parent_run_id, run.root_run_id} - {None}
        build = Path(self.build_path)
        # A re-execution holds the refresh lock too, so no other refresh replaces the copy under it.
        held_before = self.build_path in _HELD_LOCKS
        self.acquire_lock()
        owner, passed = None, False
        if build.exists():
            with self.session():
                if self.has_table("build_run", "meta"):
                    owner, passed = self.read_table("build_run", schema="meta").row(0)
        if owner not in started_by:
            found = f"the build file is from run {owner}" if owner else \
                "the build file names no run" if build.exists() else "no build file"
            problem = (f"{step} works on the build copy that staging/raw_documents starts in the same run, and this "
                       f"run did not start one ({found}). "
                       "Run the refresh_warehouse job, or materialize staging/raw_documents and the steps after it "
                       "together with this one.")
        elif dbt_passed and not passed:
            problem = (f"{step}: dbt has not built and tested every mart of this run's build copy without errors "
                       "(a failed build, a selection that left marts out, or a selection after a change to the "
                       "dbt project or the parser), so it is not published. "
                       "Run the refresh_warehouse job again.")
        else:
            return
        if not held_before:
            self.release_lock()
        raise dg.Failure(description=problem)

    def row_count(self, table: str) -> int:
        with self.connect() as con:
            return con.execute(f"select count(*) from staging.{table}").fetchone()[0]

    def record_documents(self, new_docs: Iterable[pl.DataFrame], present: Callable[[], pl.DataFrame]) -> pl.DataFrame:
        """Append new document versions to the history, retire replaced and deleted ones, log the
        changes (source_file, change) under the store's next generation, and return them, in one
        transaction. ``new_docs`` comes in batches (at least one, empty if nothing changed), each
        written to the store as it is read, so the decoded corpus is never held at once;
        ``present()`` (every file still there) is asked for once the batches are done."""
        with self.connect() as con:
            batches = iter(new_docs)
            first = next(batches)
            con.register("incoming_frame", first)
            con.execute("""create table if not exists staging.raw_documents as
                           select *, true as is_current, null::timestamptz as superseded_at from incoming_frame limit 0""")
            con.unregister("incoming_frame")
            con.execute(DOCUMENT_CHANGES_DDL)
            con.execute("begin")
            try:
                # The versions current before this run, by row: the ones a changed or deleted file
                # had are retired in one pass at the end. A pass per batch read the whole growing
                # table each time, so a first ingest grew with the square of the files.
                con.execute("""create or replace temp table current_before as
                               select source_file, rowid as row_id from staging.raw_documents where is_current""")
                changes = []
                for document_batch in chain([first], batches):
                    # Read by name from this frame's variable (DuckDB's replacement scan), not
                    # registered: the transaction keeps every view it replaced until it ends, and
                    # with it every batch's text (docs/scaling-history.md, "What session 15 changed").
                    changes.append(con.sql("""
                        select i.source_file, case when b.source_file is null then 'added' else 'changed' end as change
                        from document_batch i left join current_before b using (source_file)""").pl())
                    con.execute("insert into staging.raw_documents by name select *, true as is_current from document_batch")
                con.register("present", present())
                changes.append(con.sql("""select source_file, 'deleted' as change from current_before
                                          where source_file not in (select source_file from present)""").pl())
                con.unregister("present")
                changes = pl.concat(changes)
                con.register("changes", changes)
                con.execute("""update staging.raw_documents set is_current = false, superseded_at = now()
                               where rowid in (select b.row_id from current_before b join changes c using (source_file)
                                               where c.change in ('changed', 'deleted'))""")
                con.execute("""insert into staging.document_changes
                               select (select coalesce(max(generation), 0) + 1 from staging.document_changes),
                                      source_file, change, now() from changes""")
                con.unregister("changes")
                con.execute("drop table current_before")
                con.execute("commit")
            except BaseException:
                # Inside a session the connection outlives this call: end the transaction here
                # rather than when the connection closes, so a caller that handles the error
                # finds the store as it was. (A failed commit has rolled back already.)
                with suppress(duckdb.Error):
                    con.execute("rollback")
                raise
        return changes

    def snapshot_generation(self) -> int | None:
        """The store generation the build copy was published at (None: it starts empty)."""
        if not self.has_table("refresh_state", "meta"):
            return None
        return self.read_table("refresh_state", "generation", schema="meta")["generation"][0]

    def mark_pending(self, since: int | None) -> int:
        """List in the build file every file changed in the store after generation ``since`` (all
        of them when None) and record the store's generation this snapshot is built at. Returns
        the number of files this refresh parses and rebuilds. Runs after record_documents."""
        with self.connect() as con:
            con.execute("begin")
            con.execute("""create or replace table meta.pending_files as
                           select distinct source_file from staging.document_changes
                           where generation > coalesce(?, -1) order by source_file""", [since])
            con.execute("""create or replace table meta.refresh_state as
                           select (select store_id from staging.store_state) as store_id,
                                  (select coalesce(max(generation), 0) from staging.document_changes) as generation,
                                  (select max(ingested_at) from staging.raw_documents) as last_ingested_at""")
            con.execute("commit")
            return con.sql("select count(*) from meta.pending_files").fetchone()[0]

    def publish(self) -> int:
        if self.build_path in _SESSIONS:
            raise RuntimeError("publish renames the build file: call it outside a session")
        build, published = Path(self.build_path), Path(self.published_path)
        with _open(str(build)) as con:
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


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def build_resources(published: Path | None = None, build: Path | None = None) -> dict:
    published = published or warehouse_path()
    default = published == warehouse_path()
    build = build or (build_warehouse_path() if default else published.parent / ".build" / published.name)
    staging = staging_store_path() if default and build == build_warehouse_path() else staging_store_path(build)
    return {
        "warehouse": WarehouseResource(published_path=str(published), build_path=str(build), staging_path=str(staging)),
        "dbt": WarehouseDbtResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
    }
