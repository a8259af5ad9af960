"""Shared fixtures: real Dagster runs of the real assets and dbt into temporary warehouses."""
from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.resources import build_resources
from dagster_project.runner import run_refresh
from dagster_project.settings import REPO_ROOT

SEEDS = REPO_ROOT / "seeds"


def refresh(input_dir: Path, warehouse: Path, monkeypatch: pytest.MonkeyPatch | None = None) -> dg.ExecuteInProcessResult:
    """Run the refresh_warehouse job in process, as `make run` does, on the given folder and file."""
    mp = monkeypatch or pytest.MonkeyPatch()
    mp.setenv("LCW_INPUT_DIR", str(input_dir))  # restored after the test by monkeypatch
    mp.setenv("LCW_WAREHOUSE", str(warehouse))
    return run_refresh(input_dir, warehouse)


def staging_store(warehouse: Path) -> Path:
    """The staging store of a warehouse refreshed by ``refresh``."""
    return Path(build_resources(published=warehouse)["warehouse"].staging_path)


def query(warehouse: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture(scope="session")
def seed_warehouse(tmp_path_factory) -> Path:
    """The five seed articles refreshed once into a temporary warehouse (shared, read only)."""
    root = tmp_path_factory.mktemp("seed_run")
    input_dir = root / "input"
    shutil.copytree(SEEDS, input_dir)
    warehouse = root / "warehouse" / "livecommerce.duckdb"
    mp = pytest.MonkeyPatch()
    result = refresh(input_dir, warehouse, mp)
    mp.undo()
    assert result.success, "the refresh job failed on the seeds"
    return warehouse
