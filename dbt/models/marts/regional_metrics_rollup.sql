-- Each regional figure once under every ancestor of its region: "中山市 and its towns" is
-- where ancestor_region = '中山市'.
select
    h.ancestor_region,
    h.ancestor_code,
    h.ancestor_level,
    h.depth,
    m.*
from {{ ref('regional_metrics') }} m
join {{ ref('int_region_hierarchy') }} h on h.region_code = m.region_code
