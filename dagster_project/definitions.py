import atexit
import gc

import dagster as dg

from dagster_project.assets import STAGING_ASSETS
from dagster_project.charts import regional_gmv_chart
from dagster_project.checks import STAGING_CHECKS
from dagster_project.dbt_assets import dbt_models
from dagster_project.jobs import refresh_warehouse
from dagster_project.publish import published_warehouse
from dagster_project.resources import build_resources
from dagster_project.schedules import daily_refresh
from dagster_project.sensors import input_folder_sensor


def build_definitions(resources: dict | None = None) -> dg.Definitions:
    # One process runs a refresh's steps in order: DuckDB allows one writer per file, so assets
    # must not race each other (and dbt) for the lock as the multiprocess executor would make them.
    return dg.Definitions(
        assets=[*STAGING_ASSETS, dbt_models, published_warehouse, regional_gmv_chart],
        asset_checks=STAGING_CHECKS,
        jobs=[refresh_warehouse],
        schedules=[daily_refresh],
        sensors=[input_folder_sensor],
        resources=resources or build_resources(),
        executor=dg.in_process_executor,
    )


# A process that ran a refresh holds hundreds of thousands of objects (dbt's manifest, Dagster's
# definitions). The interpreter's last garbage collections walk them all at exit, which took
# seconds of every refresh started as a new process (the CLI, the schedule, the sensor). Freezing
# them when atexit handlers run skips those walks; every file and database is closed before then.
atexit.register(gc.freeze)

defs = build_definitions()
