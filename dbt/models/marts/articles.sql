{{ config(materialized='incremental', incremental_strategy='append', pre_hook="{{ delete_changed_files() }}") }}
select
    a.source_file,
    a.article_seq,
    a.title,
    a.publisher,
    a.published_date,
    a.is_live_commerce,
    a.live_commerce_score,
    a.authors,
    a.content_hash,
    length(a.clean_text) as n_chars,
    a.mojibake_repairs,
    a.mojibake_lost_chars,
    a.clean_text
from {{ ref('stg_articles') }} a
where {{ in_changed_files('a.source_file') }}
