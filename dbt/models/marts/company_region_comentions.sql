-- Companies and regions named in the same article, with when the pair was first and last seen.
with c as (select distinct source_file, article_seq, name as company from {{ ref('int_live_mentions') }} where kind = 'company'),
r as (select distinct source_file, article_seq, name as region, code as region_code from {{ ref('int_live_mentions') }} where kind = 'region'),
a as (select source_file, article_seq, published_date from {{ ref('int_live_articles') }})
select
    c.company,
    r.region,
    r.region_code,
    count(*) as n_articles,
    min(a.published_date) as first_seen,
    max(a.published_date) as last_seen
from c join r using (source_file, article_seq) join a using (source_file, article_seq)
group by c.company, r.region, r.region_code
