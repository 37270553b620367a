-- Upsell rate by calendar quarter (kpi_definitions.md "Success"): of the customers paying at the start
-- of the quarter (MRR > 0 at the end of the month before it), those with an expansion
-- movement in a month of the quarter. From the quarter of the first month with MRR to the
-- as-of quarter (which is counted to date).
with fct as (
    select * from {{ ref('fct_mrr') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

bounds as (
    select
        cast(date_trunc('quarter', min(fct.month) filter (where fct.mrr_usd > 0)) as date)
            as first_quarter,
        cast(date_trunc('quarter', any_value(as_of.as_of_month)) as date) as last_quarter
    from fct
    cross join as_of
),

spine as (
    select {{ date_series('first_quarter', 'last_quarter', 'interval 3 month') }} as quarter
    from bounds
),

-- paying at the end of the last month before the quarter
at_start as (
    select
        cast(month + interval 1 month as date) as quarter,
        customer_id
    from fct
    where mrr_usd > 0
        and extract(month from month) in (3, 6, 9, 12)
),

expanded as (
    select distinct
        cast(date_trunc('quarter', month) as date) as quarter,
        customer_id
    from fct
    where movement_type = 'expansion'
),

counts as (
    select
        at_start.quarter,
        count(*) as customers_at_start,
        count(expanded.customer_id) as upsold_customers
    from at_start
    left join expanded using (quarter, customer_id)
    group by at_start.quarter
),

final as (
    select
        spine.quarter,
        coalesce(counts.customers_at_start, 0) as customers_at_start,
        coalesce(counts.upsold_customers, 0) as upsold_customers,
        counts.upsold_customers / nullif(counts.customers_at_start, 0) as upsell_rate
    from spine
    left join counts using (quarter)
)

select * from final
