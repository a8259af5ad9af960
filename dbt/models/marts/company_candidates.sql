-- Companies found by their form in the text but not yet in the dictionary (seed companies):
-- the review list. Approving one = adding a row to dbt/seeds/companies.csv. Every aggregate is
-- ordered or taken at the first mention (file, article, position), so the same mentions give the
-- same row whatever order the staging rows were written in.
select
    m.name as candidate,
    arg_min(m.entity_type, (m.source_file, m.article_seq, m.char_start)) as suggested_type,
    string_agg(distinct m.source, ', ' order by m.source) as found_by,
    count(*) as n_mentions,
    count(distinct m.source_file || '#' || m.article_seq) as n_articles,
    list(distinct m.surface order by m.surface) as surfaces,
    arg_min(m.evidence, (m.source_file, m.article_seq, m.char_start)) as example_sentence
from {{ ref('int_live_mentions') }} m
left join {{ ref('stg_companies') }} c on c.alias = m.name
where m.kind = 'company' and c.alias is null
group by m.name
