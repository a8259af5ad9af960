{{ config(materialized='incremental', incremental_strategy='append', pre_hook="{{ delete_changed_files() }}") }}
select
    m.source_file,
    m.article_seq,
    m.name as company,
    coalesce(d.company_type, arg_min(m.entity_type, m.char_start)) as company_type,
    d.home_region,
    d.company is not null as in_dictionary,
    count(*) as mention_count,
    min(m.char_start) as first_char_start
from {{ ref('int_live_mentions') }} m
left join (select distinct company, company_type, home_region from {{ ref('stg_companies') }}) d on d.company = m.name
where m.kind = 'company' and {{ in_changed_files('m.source_file') }}
group by m.source_file, m.article_seq, m.name, d.company_type, d.home_region, d.company
