{{ config(materialized='incremental', incremental_strategy='append', pre_hook="{{ delete_changed_files() }}") }}
select
    source_file,
    article_seq,
    span,
    value,
    value_high,
    unit,
    measure,
    metric,
    region,
    region_code,
    company,
    period,
    qualifier,
    status,
    source_org,
    evidence,
    char_start,
    char_end,
    raw_char_start,
    raw_char_end,
    published_date
from {{ ref('int_live_observations') }}
where {{ in_changed_files('source_file') }}
