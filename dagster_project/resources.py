"""Resources: the warehouse (a build copy published atomically) and the dbt CLI."""
from __future__ import annotations

import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import dagster as dg
import duckdb
import polars as pl
from dagster_dbt import DbtCliResource

from dagster_project.dbt_project import dbt_project
from dagster_project.settings import build_warehouse_path, warehouse_path


class WarehouseResource(dg.ConfigurableResource):
    """Assets write a private build copy; analysts read the published file, replaced in one
    rename only after every blocking check passed. A failed or killed run never touches it."""

    published_path: str
    build_path: str

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        Path(self.build_path).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(self.build_path)
        try:
            con.execute("create schema if not exists staging")
            yield con
        finally:
            con.close()

    def start_build(self) -> str:
        """Start the build copy from the published snapshot (or empty), discarding leftovers."""
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

    def read_table(self, table: str, columns: str = "*") -> pl.DataFrame:
        with self.connect() as con:
            return con.sql(f"select {columns} from staging.{table}").pl()

    def publish(self) -> int:
        build, published = Path(self.build_path), Path(self.published_path)
        with duckdb.connect(str(build)) as con:
            con.execute("checkpoint")
        published.parent.mkdir(parents=True, exist_ok=True)
        tmp = published.with_name(f".{published.name}.publishing")
        shutil.copy2(build, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, published)  # atomic: readers see the old snapshot or the new one
        return published.stat().st_size


def dbt_executable() -> str:
    """The dbt installed beside this Python (the venv), else whatever dbt is on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else (shutil.which("dbt") or "dbt")


def build_resources(published: Path | None = None, build: Path | None = None) -> dict:
    published = published or warehouse_path()
    build = build or (build_warehouse_path() if published == warehouse_path() else published.parent / ".build" / published.name)
    return {
        "warehouse": WarehouseResource(published_path=str(published), build_path=str(build)),
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()),
    }
