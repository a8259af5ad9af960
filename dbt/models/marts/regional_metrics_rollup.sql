-- Each regional figure once under every ancestor of its region: "中山市 and its towns" is
-- where ancestor_region = '中山市'. A view: stored, it would copy regional_metrics once per
-- ancestor level on every refresh; read, it is one join on the hierarchy table.
{{ config(materialized='view') }}
select
    h.ancestor_region,
    h.ancestor_code,
    h.ancestor_level,
    h.depth,
    m.*
from {{ ref('regional_metrics') }} m
join {{ ref('int_region_hierarchy') }} h on h.region_code = m.region_code
