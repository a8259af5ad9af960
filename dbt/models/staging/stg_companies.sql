-- The company dictionary with one row per alias (the canonical name is an alias of itself).
with companies as (
    select company, company_type, nullif(home_region, '') as home_region, coalesce(aliases, '') as aliases
    from {{ ref('companies') }}
)
select company, company_type, home_region, company as alias from companies
union
select company, company_type, home_region, trim(alias) as alias
from companies, unnest(string_split(aliases, '|')) as t(alias)
where trim(alias) <> ''
