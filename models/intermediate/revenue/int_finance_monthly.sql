-- Monthly money in and out that the revenue KPIs divide by (kpi_definitions.md), in USD, one row per
-- calendar month with any of them: invoiced revenue (total of invoices issued in the month
-- with status paid, open or uncollectible, credit notes negative, internal customers
-- excluded, not spread over the service period), cost of revenue, sales + marketing
-- expenses (gl_expenses) and ad spend.
with invoices as (
    select * from {{ ref('stg_finance__invoices') }}
),

crosswalk as (
    select * from {{ ref('identity_crosswalk') }}
    where source_table = 'invoices'
),

expenses as (
    select * from {{ ref('stg_finance__gl_expenses') }}
),

ad_spend as (
    select * from {{ ref('stg_marketing__ad_spend') }}
),

revenue as (
    select
        {{ month_of('invoices.issued_at') }} as month,
        sum(invoices.total_usd) as invoiced_revenue_usd
    from invoices
    inner join crosswalk on invoices.invoice_id = crosswalk.source_record_id
    where invoices.status in ('paid', 'open', 'uncollectible')
        and not crosswalk.is_internal
    group by all
),

costs as (
    select
        month,
        sum(amount_usd) filter (where department = 'cost_of_revenue') as cost_of_revenue_usd,
        sum(amount_usd) filter (where department in ('sales', 'marketing'))
            as sales_marketing_expenses_usd
    from expenses
    group by month
),

spend as (
    select {{ month_of('spend_date') }} as month, sum(spend_usd) as ad_spend_usd
    from ad_spend
    group by all
),

final as (
    select
        month,
        coalesce(revenue.invoiced_revenue_usd, 0) as invoiced_revenue_usd,
        coalesce(costs.cost_of_revenue_usd, 0) as cost_of_revenue_usd,
        coalesce(costs.sales_marketing_expenses_usd, 0) as sales_marketing_expenses_usd,
        coalesce(spend.ad_spend_usd, 0) as ad_spend_usd
    from revenue
    full join costs using (month)
    full join spend using (month)
)

select * from final
