select
    cast(code as varchar) as region_code,
    name as region,
    short_name,
    level as region_level,
    nullif(cast(parent_code as varchar), '') as parent_code,
    province,
    code_is_official
from {{ source('staging', 'admin_divisions') }}
union all
select '100000', '中国', '中国', 'country', null, null, true
