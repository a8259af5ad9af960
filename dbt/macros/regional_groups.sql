{#
  regional_metrics is incremental by group (region x region_code x metric x period x status). A
  refresh recomputes the groups the changed files fed before (their names are in source_files)
  or feed now, from every observation of those groups, and leaves the other groups as they are.
  The pre-hook keeps that list in a temporary table that the model's own query reads.
#}
{% macro regional_group_columns() %}region, region_code, metric, period, status{% endmacro %}

{% macro same_regional_group(a, b) -%}
    {{ a }}.region is not distinct from {{ b }}.region
    and {{ a }}.region_code is not distinct from {{ b }}.region_code
    and {{ a }}.metric is not distinct from {{ b }}.metric
    and {{ a }}.period is not distinct from {{ b }}.period
    and {{ a }}.status is not distinct from {{ b }}.status
{%- endmacro %}

{% macro collect_touched_regional_groups(observations) %}
  {%- if is_incremental() -%}
    create or replace temp table regional_groups_touched as
    select {{ regional_group_columns() }}
    from (select {{ regional_group_columns() }}, unnest(source_files) as source_file from {{ this }})
    where source_file in (select source_file from meta.pending_files)
    union
    select {{ regional_group_columns() }} from {{ observations }}
    where region is not null and company is null
      and source_file in (select source_file from meta.pending_files)
  {%- else -%}
    select 1
  {%- endif -%}
{% endmacro %}

{% macro delete_touched_regional_groups() %}
  {%- if is_incremental() -%}
    delete from {{ this }} t
    where exists (select 1 from regional_groups_touched g where {{ same_regional_group('g', 't') }})
  {%- else -%}
    select 1
  {%- endif -%}
{% endmacro %}

{# The most frequent non-null value of column in each group, ties going to the smallest
   (DuckDB's mode() breaks ties by the order rows arrive in, which differs between builds). #}
{% macro most_frequent_per_group(relation, column) %}
    select {{ regional_group_columns() }}, arg_min({{ column }}, (-n, {{ column }})) as {{ column }}
    from (
        select {{ regional_group_columns() }}, {{ column }}, count(*) as n
        from {{ relation }}
        where {{ column }} is not null
        group by {{ regional_group_columns() }}, {{ column }}
    )
    group by {{ regional_group_columns() }}
{% endmacro %}
