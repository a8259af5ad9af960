"""The published warehouse: the build copy replaces the analysts' file in one atomic rename,
only after every staging check and every dbt model and test succeeded."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from dagster_project.dbt_assets import dbt_models
from dagster_project.markdown import markdown_table
from dagster_project.resources import WarehouseResource
from dagster_project.settings import REPO_ROOT

MARTS = ["articles", "metric_observations", "region_mentions", "company_mentions", "regional_metrics", "quarantine"]


@dg.asset(group_name="publish", kinds={"duckdb"}, deps=[dbt_models],
          description="The DuckDB file analysts query (LCW_WAREHOUSE), replaced atomically by a fully built and "
                      "checked snapshot. Readers keep the snapshot they opened; a failed run leaves it untouched.")
def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        counts = {m: con.sql(f"select count(*) from marts.{m}").fetchone()[0] for m in MARTS}
        top = con.sql("""select region, metric, period, value, unit, n_articles from marts.regional_metrics
                         order by n_articles desc, n_observations desc limit 10""").fetchall()
    size = warehouse.publish()
    score = dev_gold_score(warehouse.published_path)
    context.log.info(f"published {warehouse.published_path} ({size} bytes)")
    table = markdown_table(["region", "metric", "period", "value", "unit", "articles"], top)
    return dg.MaterializeResult(metadata={
        "path": warehouse.published_path, "bytes": size,
        **{f"rows/{k}": v for k, v in counts.items()},
        "regional_metrics_preview": dg.MetadataValue.md(table),
        **({"dev_gold_score": dg.MetadataValue.md("```\n" + score + "\n```")} if score else {}),
    })


def dev_gold_score(warehouse_file: str) -> str | None:
    """The extraction scorer's summary on the dev gold answers, when ../shared/eval is present."""
    scorer = Path(os.environ.get("LCW_EVAL_DIR", REPO_ROOT.parent / "shared" / "eval"))
    if not (scorer / "score.py").exists() or not (scorer / "dev_gold").is_dir():
        return None
    proc = subprocess.run([sys.executable, str(scorer / "score.py"), "--warehouse", warehouse_file,
                           "--gold", str(scorer / "dev_gold")], capture_output=True, text=True, timeout=120)
    return proc.stdout.strip() if proc.returncode == 0 else None
