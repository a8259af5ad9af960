-- Companies found by their form in the text but not yet in the dictionary (seed companies):
-- the review list. Approving one = adding a row to dbt/seeds/companies.csv.
select
    m.name as candidate,
    any_value(m.entity_type) as suggested_type,
    string_agg(distinct m.source, ', ') as found_by,
    count(*) as n_mentions,
    count(distinct m.source_file || '#' || m.article_seq) as n_articles,
    list(distinct m.surface) as surfaces,
    arg_min(m.evidence, m.char_start) as example_sentence
from {{ ref('int_live_mentions') }} m
left join {{ ref('stg_companies') }} c on c.alias = m.name
where m.kind = 'company' and c.alias is null
group by m.name
