-- One row per region x metric x period x status, de-duplicated across mentions and articles.
-- Figures about a company are not regional figures and stay out.
with obs as (
    select * from {{ ref('int_live_observations') }}
    where region is not null and company is null
),
grouped as (
    select
        region,
        region_code,
        metric,
        period,
        status,
        mode(unit) as unit,
        mode(value) as value,
        min(value) as min_value,
        max(value) as max_value,
        mode(qualifier) as qualifier,
        count(*) as n_observations,
        count(distinct source_file || '#' || article_seq) as n_articles,
        list(distinct source_file order by source_file) as source_files,
        arg_min(evidence, char_start) as evidence
    from obs
    group by region, region_code, metric, period, status
)
select
    g.region,
    g.region_code,
    d.region_level,
    g.metric,
    g.period,
    {{ period_start('g.period') }} as period_start,
    {{ period_end('g.period') }} as period_end,
    g.status,
    g.value,
    g.unit,
    g.qualifier,
    g.min_value,
    g.max_value,
    g.n_articles,
    g.n_observations,
    -- Sources disagree when their values differ by more than rounding (1 %).
    (g.max_value - g.min_value) > 0.01 * greatest(abs(g.max_value), abs(g.min_value)) as conflicting,
    g.evidence,
    g.source_files
from grouped g
left join {{ ref('stg_admin_divisions') }} d on d.region_code = g.region_code
