-- Each regional figure once under every ancestor of its region: "中山市 and its towns" is
-- where ancestor_region = '中山市'. A view: stored, it would copy regional_metrics once per
-- ancestor level on every refresh; read, it is one join on the hierarchy table. Its tables are
-- named without the catalog, which is the file's name (see stg_companies).
{{ config(materialized='view') }}
select
    h.ancestor_region,
    h.ancestor_code,
    h.ancestor_level,
    h.depth,
    m.*
from {{ ref('regional_metrics').include(database=False) }} m
join {{ ref('int_region_hierarchy').include(database=False) }} h on h.region_code = m.region_code
