-- Companies and regions named in the same article, with when the pair was first and last seen.
-- Read from the per-file marts (already built, one row per article and name) rather than from the
-- mention views over the staging store, which a refresh would otherwise scan in full.
with c as (select distinct source_file, article_seq, company from {{ ref('company_mentions') }}),
r as (select distinct source_file, article_seq, region, region_code from {{ ref('region_mentions') }}),
a as (select source_file, article_seq, published_date from {{ ref('articles') }})
select
    c.company,
    r.region,
    r.region_code,
    count(*) as n_articles,
    min(a.published_date) as first_seen,
    max(a.published_date) as last_seen
from c join r using (source_file, article_seq) join a using (source_file, article_seq)
group by c.company, r.region, r.region_code
