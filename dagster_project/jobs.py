import dagster as dg

# One refresh at a time: runs carrying this tag are limited to one by the instance's run queue
# (dagster.yaml), so a schedule tick and a sensor request queue behind each other.
REFRESH_TAGS = {"lcw/warehouse": "refresh"}
# The process that runs the refresh ("<pid>:<start time>"), set by the first step before it
# waits for the refresh lock: run monitoring fails a started run whose process is gone
# (run_worker.WarmRunLauncher), so a killed `make run` or `lcw refresh`, which run outside any
# launcher, does not keep that one slot, whether it was running or still waiting.
REFRESH_PROCESS_TAG = "lcw/refresh_process"

refresh_warehouse = dg.define_asset_job(
    name="refresh_warehouse",
    selection=dg.AssetSelection.all(),
    tags=REFRESH_TAGS,
    description="Everything: ingest, parse, check, dbt build, publish.",
)
