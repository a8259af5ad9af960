{{ config(materialized='incremental', incremental_strategy='append', pre_hook="{{ delete_changed_files() }}") }}
select
    source_file,
    article_seq,
    name as person,
    role,
    organisation,
    count(*) as mention_count,
    arg_min(evidence, char_start) as evidence
from {{ ref('int_live_mentions') }}
where kind = 'person' and {{ in_changed_files('source_file') }}
group by source_file, article_seq, name, role, organisation
