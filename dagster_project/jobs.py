import dagster as dg

# One refresh at a time: runs carrying this tag are limited to one by the instance's run queue
# (dagster.yaml), so a schedule tick and a sensor request queue behind each other.
REFRESH_TAGS = {"lcw/warehouse": "refresh"}

refresh_warehouse = dg.define_asset_job(
    name="refresh_warehouse",
    selection=dg.AssetSelection.all(),
    tags=REFRESH_TAGS,
    description="Everything: ingest, parse, check, dbt build, publish.",
)
