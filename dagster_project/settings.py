"""Paths and limits, from environment variables with defaults (every entry point reads these)."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = REPO_ROOT / "reference"
DBT_PROJECT_DIR = REPO_ROOT / "dbt"
DBT_SEEDS_DIR = DBT_PROJECT_DIR / "seeds"


def input_dir() -> Path:
    return Path(os.environ.get("LCW_INPUT_DIR", REPO_ROOT / "seeds")).resolve()


def warehouse_path() -> Path:
    return Path(os.environ.get("LCW_WAREHOUSE", REPO_ROOT / "warehouse" / "livecommerce.duckdb")).resolve()


def max_file_bytes() -> int:
    return int(os.environ.get("LCW_MAX_FILE_BYTES", 20 * 1024 * 1024))


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit for a refresh's connections and dbt's (dbt/profiles.yml reads the same
    variable): DuckDB keeps the blocks it reads and writes cached up to it, 80 % of RAM by default."""
    return os.environ.get("LCW_DUCKDB_MEMORY_LIMIT", "1GB")


def dbt_file_log_level() -> str:
    """How much dbt writes to dbt.log in each build's target folder. Failures and warnings by
    default: at debug, the level dbt defaults to, it logs every SQL statement of every node, and
    its worker threads take turns on the log file's lock. Set debug to see that SQL."""
    return os.environ.get("LCW_DBT_FILE_LOG_LEVEL", "warn")


def build_warehouse_path() -> Path:
    """Where a refresh builds the next snapshot before publishing it over warehouse_path()."""
    default = warehouse_path().parent / ".build" / warehouse_path().name
    return Path(os.environ.get("LCW_BUILD_WAREHOUSE", default)).resolve()


def staging_store_path(build: Path | None = None) -> Path:
    """The staging store: the parsed staging tables, updated in place by each refresh and never
    published (analysts read the marts). It sits beside the build file unless LCW_STAGING_STORE says."""
    if build is None and "LCW_STAGING_STORE" in os.environ:
        return Path(os.environ["LCW_STAGING_STORE"]).resolve()
    build = build or build_warehouse_path()
    return build.with_name(f"{build.stem}.staging.duckdb")
