"""dbt models and seeds as Dagster assets; dbt tests become asset checks."""

import os
from typing import Any, Mapping

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from dagster_project.dbt_project import dbt_project
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
    yield from dbt.cli(["build"], context=context).stream()
