-- kpi_churn_by_reason_monthly splits each month's churn, nothing more or less: summed over
-- reasons, churned customers and churned MRR equal kpi_revenue_monthly's. Returns the
-- months that differ.
with reasons as (
    select * from {{ ref('kpi_churn_by_reason_monthly') }}
),

kpis as (
    select * from {{ ref('kpi_revenue_monthly') }}
),

summed as (
    select
        month,
        sum(churned_customers) as churned_customers,
        sum(churned_mrr_usd) as churned_mrr_usd
    from reasons
    group by month
),

compared as (
    select
        coalesce(kpis.month, summed.month) as month,
        coalesce(kpis.churned_customers, 0) as kpi_churned_customers,
        coalesce(summed.churned_customers, 0) as reason_churned_customers,
        coalesce(kpis.churned_mrr_usd, 0) as kpi_churned_mrr_usd,
        coalesce(summed.churned_mrr_usd, 0) as reason_churned_mrr_usd
    from kpis
    full outer join summed on kpis.month = summed.month
)

select *
from compared
where kpi_churned_customers <> reason_churned_customers
    or abs(kpi_churned_mrr_usd - reason_churned_mrr_usd) > 0.01
