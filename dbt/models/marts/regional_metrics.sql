-- One row per region x metric x period x status, de-duplicated across mentions and articles.
-- Figures about a company are not regional figures and stay out. Incremental by group
-- (macros/regional_groups.sql). value, unit and qualifier are each the most frequent one, ties
-- going to the smallest, so a group computed on a refresh equals the same group from scratch.
-- It reads the metric_observations mart (built just before, a table in this file) rather than the
-- observation views over the staging store.
{{ config(materialized='incremental', incremental_strategy='append',
          pre_hook=["{{ collect_touched_regional_groups(ref('metric_observations')) }}",
                    "{{ delete_touched_regional_groups() }}"]) }}
with obs as (
    select o.* from {{ ref('metric_observations') }} o
    {% if is_incremental() -%}
    semi join regional_groups_touched g on {{ same_regional_group('g', 'o') }}
    {%- endif %}
    where o.region is not null and o.company is null
),
value_mode as ({{ most_frequent_per_group('obs', 'value') }}),
unit_mode as ({{ most_frequent_per_group('obs', 'unit') }}),
qualifier_mode as ({{ most_frequent_per_group('obs', 'qualifier') }}),
grouped as (
    select
        {{ regional_group_columns() }},
        min(value) as min_value,
        max(value) as max_value,
        count(*) as n_observations,
        count(distinct source_file || '#' || article_seq) as n_articles,
        list(distinct source_file order by source_file) as source_files,
        arg_min(evidence, (char_start, source_file, article_seq)) as evidence
    from obs
    group by {{ regional_group_columns() }}
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
    v.value,
    u.unit,
    q.qualifier,
    g.min_value,
    g.max_value,
    g.n_articles,
    g.n_observations,
    -- Sources disagree when their values differ by more than rounding (1 %).
    (g.max_value - g.min_value) > 0.01 * greatest(abs(g.max_value), abs(g.min_value)) as conflicting,
    g.evidence,
    g.source_files
from grouped g
left join value_mode v on {{ same_regional_group('v', 'g') }}
left join unit_mode u on {{ same_regional_group('u', 'g') }}
left join qualifier_mode q on {{ same_regional_group('q', 'g') }}
left join {{ ref('stg_admin_divisions') }} d on d.region_code = g.region_code
