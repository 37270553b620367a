-- kpi_definitions.md invariant: MRR(M-1) + new + reactivation + expansion + contraction + churn = MRR(M)
-- every month, where MRR(M-1) is read from the previous month's rows, not from
-- previous_mrr_usd, so a customer missing from a month is caught. Returns failing months.
with fct as (
    select * from {{ ref('fct_mrr') }}
),

monthly as (
    select
        month,
        sum(mrr_usd) as mrr_usd,
        coalesce(sum(movement_usd) filter (where movement_type <> 'unchanged'), 0)
            as movements_usd
    from fct
    group by month
),

bridged as (
    select
        month,
        mrr_usd,
        coalesce(lag(mrr_usd) over (order by month), 0) as previous_month_mrr_usd,
        movements_usd
    from monthly
)

select *
from bridged
where abs(previous_month_mrr_usd + movements_usd - mrr_usd) > 0.005
