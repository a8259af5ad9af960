select m.*, a.published_date
from {{ ref('stg_entity_mentions') }} m
join {{ ref('int_live_articles') }} a using (source_file, article_seq)
