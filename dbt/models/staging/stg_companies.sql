-- The company dictionary with one row per alias (the canonical name is an alias of itself).
-- A view in the published file names its tables without the catalog (include(database=False)):
-- the catalog is the file's name, and a copy under another name must still read.
with companies as (
    select company, company_type, nullif(home_region, '') as home_region, coalesce(aliases, '') as aliases
    from {{ ref('companies').include(database=False) }}
)
select company, company_type, home_region, company as alias from companies
union
select company, company_type, home_region, trim(alias) as alias
from companies, unnest(string_split(aliases, '|')) as t(alias)
where trim(alias) <> ''
