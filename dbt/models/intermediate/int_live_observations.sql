select o.*, a.published_date, a.title
from {{ ref('stg_metric_observations') }} o
join {{ ref('int_live_articles') }} a using (source_file, article_seq)
