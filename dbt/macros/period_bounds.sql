{# First and last day of a period string: 2024, 2024-11, 2024-11-11, 2025-Q1, 2024-H1, A..B #}
{% macro period_end(col) -%}
case
    when {{ col }} is null then null
    when {{ col }} like '%..%' then {{ _period_point_end("split_part(" ~ col ~ ", '..', 2)") }}
    else {{ _period_point_end(col) }}
end
{%- endmacro %}

{% macro period_start(col) -%}
case
    when {{ col }} is null then null
    when {{ col }} like '%..%' then {{ _period_point_start("split_part(" ~ col ~ ", '..', 1)") }}
    else {{ _period_point_start(col) }}
end
{%- endmacro %}

{% macro _period_point_start(p) -%}
case
    when regexp_full_match({{ p }}, '\d{4}') then make_date(cast({{ p }} as int), 1, 1)
    when regexp_full_match({{ p }}, '\d{4}-\d{2}') then cast({{ p }} || '-01' as date)
    when regexp_full_match({{ p }}, '\d{4}-\d{2}-\d{2}') then cast({{ p }} as date)
    when regexp_full_match({{ p }}, '\d{4}-Q[1-4]') then make_date(cast(left({{ p }}, 4) as int), 3 * cast(right({{ p }}, 1) as int) - 2, 1)
    when regexp_full_match({{ p }}, '\d{4}-H[12]') then make_date(cast(left({{ p }}, 4) as int), 6 * cast(right({{ p }}, 1) as int) - 5, 1)
end
{%- endmacro %}

{% macro _period_point_end(p) -%}
case
    when regexp_full_match({{ p }}, '\d{4}') then make_date(cast({{ p }} as int), 12, 31)
    when regexp_full_match({{ p }}, '\d{4}-\d{2}') then cast(last_day(cast({{ p }} || '-01' as date)) as date)
    when regexp_full_match({{ p }}, '\d{4}-\d{2}-\d{2}') then cast({{ p }} as date)
    when regexp_full_match({{ p }}, '\d{4}-Q[1-4]') then cast(last_day(make_date(cast(left({{ p }}, 4) as int), 3 * cast(right({{ p }}, 1) as int), 1)) as date)
    when regexp_full_match({{ p }}, '\d{4}-H[12]') then cast(last_day(make_date(cast(left({{ p }}, 4) as int), 6 * cast(right({{ p }}, 1) as int), 1)) as date)
end
{%- endmacro %}
