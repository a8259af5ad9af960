-- Every division with each of its ancestors (itself at depth 0): the key to roll-ups. A table,
-- so the roll-up view does not walk the division tree again on every query.
{{ config(materialized='table', tags=['reference']) }}
with recursive walk as (
    select region_code, region_code as ancestor_code, 0 as depth
    from {{ ref('stg_admin_divisions') }}
    union all
    select w.region_code, d.parent_code, w.depth + 1
    from walk w
    join {{ ref('stg_admin_divisions') }} d on d.region_code = w.ancestor_code
    where d.parent_code is not null
)
select
    w.region_code,
    r.region,
    r.region_level,
    w.ancestor_code,
    a.region as ancestor_region,
    a.region_level as ancestor_level,
    w.depth
from walk w
join {{ ref('stg_admin_divisions') }} r on r.region_code = w.region_code
join {{ ref('stg_admin_divisions') }} a on a.region_code = w.ancestor_code
