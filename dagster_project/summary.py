"""Print what the published warehouse holds (the last step of `make run`)."""
from __future__ import annotations

import duckdb

from dagster_project.settings import warehouse_path


def main() -> None:
    path = warehouse_path()
    with duckdb.connect(str(path), read_only=True) as con:
        def count(sql: str) -> int:
            return con.sql(sql).fetchone()[0]
        print(f"warehouse: {path}")
        print(f"  articles:            {count('select count(*) from marts.articles')} "
              f"({count('select count(*) from marts.articles where is_live_commerce')} about live commerce)")
        print(f"  metric observations: {count('select count(*) from marts.metric_observations')}")
        print(f"  region mentions:     {count('select count(*) from marts.region_mentions')}")
        print(f"  company mentions:    {count('select count(*) from marts.company_mentions')}")
        print(f"  regional metrics:    {count('select count(*) from marts.regional_metrics')}")
        print(f"  quarantined files:   {count('select count(*) from marts.quarantine')}")


if __name__ == "__main__":
    main()
