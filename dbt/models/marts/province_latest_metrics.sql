-- Every province's latest actual figure per metric (live GMV: where metric = 'gmv').
select *
from {{ ref('regional_metrics') }}
where region_level = 'province' and status = 'actual' and period_end is not null
qualify row_number() over (partition by region_code, metric order by period_end desc, n_articles desc) = 1
