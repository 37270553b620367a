-- kpi_revenue_monthly totals equal the sums of their detail rows in fct_mrr, every month:
-- each movement amount, and the active, new and churned customer counts (a month of the
-- spine without fct_mrr rows must be all zeros). Returns the months that differ.
with kpis as (
    select * from {{ ref('kpi_revenue_monthly') }}
),

fct as (
    select * from {{ ref('fct_mrr') }}
),

detail as (
    select
        month,
        sum(case when movement_type = 'new' then movement_usd else 0 end) as new_mrr_usd,
        sum(case when movement_type = 'expansion' then movement_usd else 0 end)
            as expansion_mrr_usd,
        sum(case when movement_type = 'reactivation' then movement_usd else 0 end)
            as reactivation_mrr_usd,
        sum(case when movement_type = 'contraction' then movement_usd else 0 end)
            as contraction_mrr_usd,
        sum(case when movement_type = 'churn' then movement_usd else 0 end) as churned_mrr_usd,
        sum(case when mrr_usd > 0 then 1 else 0 end) as active_customers,
        sum(case when movement_type = 'new' then 1 else 0 end) as new_customers,
        sum(case when movement_type = 'churn' then 1 else 0 end) as churned_customers
    from fct
    group by month
),

compared as (
    select
        kpis.month,
        abs(kpis.new_mrr_usd - coalesce(detail.new_mrr_usd, 0))
        + abs(kpis.expansion_mrr_usd - coalesce(detail.expansion_mrr_usd, 0))
        + abs(kpis.reactivation_mrr_usd - coalesce(detail.reactivation_mrr_usd, 0))
        + abs(kpis.contraction_mrr_usd - coalesce(detail.contraction_mrr_usd, 0))
        + abs(kpis.churned_mrr_usd - coalesce(detail.churned_mrr_usd, 0)) as usd_gap,
        kpis.active_customers - coalesce(detail.active_customers, 0) as active_gap,
        kpis.new_customers - coalesce(detail.new_customers, 0) as new_gap,
        kpis.churned_customers - coalesce(detail.churned_customers, 0) as churned_gap
    from kpis
    left join detail on kpis.month = detail.month
)

select *
from compared
where usd_gap > 0.05 or active_gap <> 0 or new_gap <> 0 or churned_gap <> 0
