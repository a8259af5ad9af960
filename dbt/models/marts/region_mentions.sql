{{ config(materialized='incremental', incremental_strategy='append', pre_hook="{{ delete_changed_files() }}") }}
select
    m.source_file,
    m.article_seq,
    m.name as region,
    m.code as region_code,
    m.level as region_level,
    p.region as parent_region,
    m.parent_code as parent_region_code,
    bool_or(m.ambiguous) as is_ambiguous,
    count(*) as mention_count,
    min(m.char_start) as first_char_start
from {{ ref('int_live_mentions') }} m
left join {{ ref('stg_admin_divisions') }} p on p.region_code = m.parent_code
where m.kind = 'region' and {{ in_changed_files('m.source_file') }}
group by all
