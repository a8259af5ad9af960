"""Where dbt's fixed cost goes: wall time of `dbt --version` (start-up and imports), and of
`dbt build` on a copy of the published warehouse beside the seconds its nodes execute
(run_results.json). Run after `make run`:

    .venv/bin/python bench/dbt_overhead.py
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT / "dbt", env=env, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    from dagster_project.resources import dbt_executable
    from dagster_project.settings import staging_store_path, warehouse_path

    dbt = dbt_executable()
    with tempfile.TemporaryDirectory() as tmp:
        # Copies of both files: dbt writes the marts into one and its views into the other.
        copy, store_copy = Path(tmp) / "livecommerce.duckdb", Path(tmp) / "livecommerce.staging.duckdb"
        shutil.copy(warehouse_path(), copy)
        shutil.copy(staging_store_path(), store_copy)
        target = Path(tmp) / "target"
        env = {**os.environ, "LCW_BUILD_WAREHOUSE": str(copy), "LCW_STAGING_STORE": str(store_copy),
               "DBT_TARGET_PATH": str(target)}
        version_s = timed([dbt, "--version"], env)
        timed([dbt, "build", "--profiles-dir", ".", "-q"], env)  # first build: writes the partial parse
        build_s = timed([dbt, "build", "--profiles-dir", ".", "-q"], env)
        results = json.loads((target / "run_results.json").read_text())
    kinds = {}
    for r in results["results"]:
        kinds[r["unique_id"].split(".")[0]] = kinds.get(r["unique_id"].split(".")[0], 0) + 1
    print(f"dbt --version wall s:           {version_s:.1f}")
    print(f"dbt build wall s (partial parse): {build_s:.1f}")
    print(f"dbt build elapsed in dbt s:     {results['elapsed_time']:.1f}  ({', '.join(f'{n} {k}s' for k, n in sorted(kinds.items()))})")


if __name__ == "__main__":
    main()
