-- Only articles about live commerce feed the live-commerce marts.
select * from {{ ref('stg_articles') }} where is_live_commerce
