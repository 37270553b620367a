-- Paid CAC by channel (kpi_definitions.md "CAC"): the channel's ad spend in the month / the customers
-- with a `new` MRR movement in the month whose first touch was in that channel. One row per
-- (month, channel) with spend or new customers, from the first such month to the as-of month.
with spend as (
    select * from {{ ref('stg_marketing__ad_spend') }}
),

new_customers as (
    select customer_id, month from {{ ref('fct_mrr') }}
    where movement_type = 'new'
),

first_touches as (
    select customer_id, channel from {{ ref('fct_customer_journey') }}
    where event_type = 'first_touch'
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

monthly_spend as (
    select {{ month_of('spend_date') }} as month, channel, sum(spend_usd) as ad_spend_usd
    from spend
    group by all
),

monthly_new as (
    select new_customers.month, first_touches.channel, count(*) as new_customers
    from new_customers
    inner join first_touches using (customer_id)
    group by all
),

final as (
    select
        month,
        channel,
        coalesce(monthly_spend.ad_spend_usd, 0) as ad_spend_usd,
        coalesce(monthly_new.new_customers, 0) as new_customers,
        coalesce(monthly_spend.ad_spend_usd, 0) / nullif(monthly_new.new_customers, 0)
            as paid_cac_usd
    from monthly_spend
    full join monthly_new using (month, channel)
    where month <= (select as_of_month from as_of)
)

select * from final
