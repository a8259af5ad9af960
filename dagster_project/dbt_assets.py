"""dbt models and seeds as Dagster assets; dbt tests become asset checks."""

import os
import shutil
from pathlib import Path
from typing import Any, Mapping

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from dagster_project.dbt_project import dbt_project
from dagster_project.markdown import markdown_table
from dagster_project.resources import WarehouseResource


class Translator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "dictionaries"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "dbt"


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=Translator())
def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    # dbt's profile reads the file to build from LCW_BUILD_WAREHOUSE (dbt/profiles.yml).
    os.environ["LCW_BUILD_WAREHOUSE"] = warehouse.build_path
    # No fetch_row_counts(): it keeps an in-process adapter connection open on the build file.
    # Events are held until dbt exits, then each mart gets its row count and a Markdown preview
    # read from the build file (dbt holds the write lock while it runs).
    invocation = dbt.cli(["build"], context=context)
    events = list(invocation.stream())
    keep_partial_parse(invocation.target_path)
    with warehouse.connect() as con:
        for event in events:
            if isinstance(event, dg.Output) and event.output_name.startswith("marts__"):
                table = event.output_name.split("__", 1)[1]
                event = event.with_metadata({**event.metadata, **mart_metadata(con, table)})
            yield event


def keep_partial_parse(invocation_target: Path) -> None:
    """Each invocation writes to its own target folder, and dagster-dbt seeds it with the project's
    partial_parse.msgpack. dbt parses from scratch when the profile (the build file's path) differs
    from the one that file was made with, so keep the latest one: the next refresh of the same
    warehouse then skips parsing."""
    made = invocation_target / "partial_parse.msgpack"
    if made.exists():
        kept = Path(dbt_project.project_dir) / "target" / "partial_parse.msgpack"
        tmp = kept.with_name(f".partial_parse.{os.getpid()}.msgpack")
        shutil.copyfile(made, tmp)
        os.replace(tmp, kept)


def mart_metadata(con, table: str) -> dict:
    rows = con.sql(f"select count(*) from marts.{table}").fetchone()[0]
    rel = con.sql(f"select * exclude (clean_text) from marts.{table} limit 5") if table == "articles" \
        else con.sql(f"select * from marts.{table} limit 5")
    return {"dagster/row_count": rows, "preview": dg.MetadataValue.md(markdown_table(rel.columns, rel.fetchall(), 40))}
