-- The as-of date (kpi_definitions.md): the UTC date of the newest occurred_at / created_at among
-- the current, non-deleted rows of the landed tables, test records included.
-- "Today" in every rule is this date, never the run's clock.
with newest as (
    select max(created_at) as newest_at from {{ ref('stg_marketing__leads') }}
    union all
    select max(occurred_at) from {{ ref('stg_marketing__touchpoints') }}
    union all
    select max(created_at) from {{ ref('stg_sales__accounts') }}
    union all
    select max(created_at) from {{ ref('stg_sales__contacts') }}
    union all
    select max(created_at) from {{ ref('stg_sales__opportunities') }}
    union all
    select max(created_at) from {{ ref('stg_success__tickets') }}
    union all
    select max(created_at) from {{ ref('stg_finance__customers') }}
    union all
    select max(occurred_at) from {{ ref('stg_finance__subscription_events') }}
),

final as (
    select
        cast(max(newest_at) as date) as as_of_date,
        {{ month_of('max(newest_at)') }} as as_of_month
    from newest
)

select * from final
