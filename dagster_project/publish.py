"""The published warehouse: the build copy replaces the analysts' file in one atomic rename,
only after every staging check and every dbt model and test succeeded."""

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from dagster_project.dbt_assets import built_every_refresh
from dagster_project.markdown import markdown_table
from dagster_project.resources import WarehouseResource
from dagster_project.settings import REPO_ROOT

MARTS = ["articles", "metric_observations", "region_mentions", "company_mentions", "regional_metrics", "quarantine"]


@dg.asset(group_name="publish", kinds={"duckdb"}, deps=built_every_refresh(),
          description="The DuckDB file analysts query (LCW_WAREHOUSE), replaced atomically by a fully built and "
                      "checked snapshot. Readers keep the snapshot they opened; a failed run leaves it untouched.")
def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    warehouse.require_build_of(context.run, "published_warehouse", dbt_passed=True)
    gold = gold_files()
    with warehouse.connect() as con:
        counts = {m: con.sql(f"select count(*) from marts.{m}").fetchone()[0] for m in MARTS}
        top = con.sql("""select region, metric, period, value, unit, n_articles from marts.regional_metrics
                         order by n_articles desc, n_observations desc limit 10""").fetchall()
        # Scoring a warehouse that holds none of the dev gold's files would only print zeros.
        holds_gold_files = bool(gold) and con.execute(
            "select count(*) from marts.articles where source_file in (select unnest(?))", [gold]).fetchone()[0] > 0
    size = warehouse.publish()
    score = dev_gold_score(warehouse.published_path) if holds_gold_files else None
    context.log.info(f"published {warehouse.published_path} ({size} bytes)")
    table = markdown_table(["region", "metric", "period", "value", "unit", "articles"], top)
    return dg.MaterializeResult(metadata={
        "path": warehouse.published_path, "bytes": size,
        **{f"rows/{k}": v for k, v in counts.items()},
        "regional_metrics_preview": dg.MetadataValue.md(table),
        **({"dev_gold_score": dg.MetadataValue.md("```\n" + score + "\n```")} if score else {}),
    })


def _eval_dir() -> Path:
    return Path(os.environ.get("LCW_EVAL_DIR", REPO_ROOT.parent / "shared" / "eval"))


def gold_files() -> list[str]:
    """Input files the dev gold answers are about."""
    gold = _eval_dir() / "dev_gold"
    return [json.loads(p.read_text(encoding="utf-8"))["source_file"] for p in sorted(gold.glob("*.json"))] \
        if gold.is_dir() else []


def dev_gold_score(warehouse_file: str) -> str | None:
    """The extraction scorer's summary on the dev gold answers, when ../shared/eval is present
    (the caller runs it only on a warehouse that holds some of the gold's files)."""
    scorer = _eval_dir()
    if not (scorer / "score.py").exists() or not (scorer / "dev_gold").is_dir():
        return None
    proc = subprocess.run([sys.executable, str(scorer / "score.py"), "--warehouse", warehouse_file,
                           "--gold", str(scorer / "dev_gold")], capture_output=True, text=True, timeout=120)
    return proc.stdout.strip() if proc.returncode == 0 else None
