-- Revenue KPIs by calendar month (kpi_definitions.md "Revenue"), from the first month with MRR to the
-- as-of month. Definitions are in _revenue__models.yml.
with fct as (
    select * from {{ ref('fct_mrr') }}
),

month_ends as (
    select * from {{ ref('int_customer_mrr_month_ends') }}
),

finance as (
    select * from {{ ref('int_finance_monthly') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

bounds as (
    select min(fct.month) filter (where fct.mrr_usd > 0) as first_month, any_value(as_of.as_of_month) as last_month
    from fct
    cross join as_of
),

spine as (
    {{ month_spine('bounds', 'first_month', 'last_month') }}
),

movements as (
    select
        month,
        sum(mrr_usd) as mrr_usd,
        sum(movement_usd) filter (where movement_type = 'new') as new_mrr_usd,
        sum(movement_usd) filter (where movement_type = 'expansion') as expansion_mrr_usd,
        sum(movement_usd) filter (where movement_type = 'reactivation') as reactivation_mrr_usd,
        sum(movement_usd) filter (where movement_type = 'contraction') as contraction_mrr_usd,
        sum(movement_usd) filter (where movement_type = 'churn') as churned_mrr_usd,
        count(*) filter (where mrr_usd > 0) as active_customers,
        count(*) filter (where movement_type = 'new') as new_customers,
        count(*) filter (where movement_type = 'churn') as churned_customers
    from fct
    group by month
),

-- NRR / GRR: the customers paying at the end of M-12, now and then
cohort_retention as (
    select
        now.month,
        sum(now.mrr_usd) as cohort_mrr_now_usd,
        sum(least(now.mrr_usd, before.mrr_usd)) as cohort_mrr_capped_usd,
        sum(before.mrr_usd) as cohort_mrr_before_usd
    from month_ends as now
    inner join month_ends as before
        on now.customer_id = before.customer_id
        and before.month = cast(now.month - interval 12 month as date)
    where before.mrr_usd > 0
    group by now.month
),

monthly as (
    select
        spine.month,
        coalesce(movements.mrr_usd, 0) as mrr_usd,
        coalesce(movements.new_mrr_usd, 0) as new_mrr_usd,
        coalesce(movements.expansion_mrr_usd, 0) as expansion_mrr_usd,
        coalesce(movements.reactivation_mrr_usd, 0) as reactivation_mrr_usd,
        coalesce(movements.contraction_mrr_usd, 0) as contraction_mrr_usd,
        coalesce(movements.churned_mrr_usd, 0) as churned_mrr_usd,
        coalesce(movements.active_customers, 0) as active_customers,
        coalesce(movements.new_customers, 0) as new_customers,
        coalesce(movements.churned_customers, 0) as churned_customers,
        cohort_retention.cohort_mrr_now_usd,
        cohort_retention.cohort_mrr_capped_usd,
        cohort_retention.cohort_mrr_before_usd,
        coalesce(finance.invoiced_revenue_usd, 0) as invoiced_revenue_usd,
        coalesce(finance.cost_of_revenue_usd, 0) as cost_of_revenue_usd,
        coalesce(finance.sales_marketing_expenses_usd, 0)
            + coalesce(finance.ad_spend_usd, 0) as acquisition_cost_usd,
        spine.month >= (select cast(first_month + interval 12 month as date) from bounds)
            as has_month_minus_12,
        spine.month >= (select cast(first_month + interval 11 month as date) from bounds)
            as has_trailing_12
    from spine
    left join movements using (month)
    left join cohort_retention using (month)
    left join finance using (month)
),

rates as (
    select
        *,
        lag(mrr_usd) over by_month as previous_mrr_usd,
        lag(active_customers) over by_month as previous_active_customers,
        sum(invoiced_revenue_usd) over trailing_12 as t12_revenue_usd,
        sum(cost_of_revenue_usd) over trailing_12 as t12_cost_of_revenue_usd
    from monthly
    window
        by_month as (order by month),
        trailing_12 as (order by month rows between 11 preceding and current row)
),

with_churn as (
    select
        *,
        churned_customers / nullif(previous_active_customers, 0) as logo_churn_rate,
        (t12_revenue_usd - t12_cost_of_revenue_usd) / nullif(t12_revenue_usd, 0)
            as t12_gross_margin,
        mrr_usd / nullif(active_customers, 0) as arpa_usd,
        -- no sales/marketing expense and no ad spend landed at all (e.g. a bring-your-own
        -- landing without them): the inputs are missing, so CAC is null, never 0
        case
            when sum(acquisition_cost_usd) over () > 0
                then acquisition_cost_usd / nullif(new_customers, 0)
        end as cac_usd
    from rates
),

with_ltv as (
    select
        *,
        -- avg ignores months whose churn rate is undefined
        avg(logo_churn_rate) over (order by month rows between 11 preceding and current row)
            as mean_logo_churn_rate_t12
    from with_churn
),

final as (
    select
        month,
        round(mrr_usd, 2) as mrr_usd,
        round(12 * mrr_usd, 2) as arr_usd,
        round(new_mrr_usd, 2) as new_mrr_usd,
        round(expansion_mrr_usd, 2) as expansion_mrr_usd,
        round(reactivation_mrr_usd, 2) as reactivation_mrr_usd,
        round(contraction_mrr_usd, 2) as contraction_mrr_usd,
        round(churned_mrr_usd, 2) as churned_mrr_usd,
        active_customers,
        new_customers,
        churned_customers,
        logo_churn_rate,
        -- 0 - x, not -x: no negative zero in a quiet month
        (0 - contraction_mrr_usd - churned_mrr_usd) / nullif(previous_mrr_usd, 0)
            as gross_mrr_churn_rate,
        case when has_month_minus_12
            then cohort_mrr_now_usd / nullif(cohort_mrr_before_usd, 0) end as nrr,
        case when has_month_minus_12
            then cohort_mrr_capped_usd / nullif(cohort_mrr_before_usd, 0) end as grr,
        arpa_usd,
        round(invoiced_revenue_usd, 2) as invoiced_revenue_usd,
        round(cost_of_revenue_usd, 2) as cost_of_revenue_usd,
        (invoiced_revenue_usd - cost_of_revenue_usd) / nullif(invoiced_revenue_usd, 0)
            as gross_margin,
        t12_gross_margin,
        case when has_trailing_12
            then arpa_usd * t12_gross_margin / nullif(mean_logo_churn_rate_t12, 0) end as ltv_usd,
        round(acquisition_cost_usd, 2) as acquisition_cost_usd,
        cac_usd,
        cac_usd / nullif(new_mrr_usd / nullif(new_customers, 0) * t12_gross_margin, 0)
            as cac_payback_months,
        case when has_trailing_12
            then arpa_usd * t12_gross_margin / nullif(mean_logo_churn_rate_t12, 0) end
            / nullif(cac_usd, 0) as ltv_to_cac
    from with_ltv
)

select * from final
