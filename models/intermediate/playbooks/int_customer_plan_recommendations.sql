-- The plan to recommend to each paying customer (kpi_definitions.md "Upsell candidates"): among the
-- plans priced in a currency the customer already pays in, and that it does not hold, the
-- plan held by the most other paying customers of the same industry and size band (a
-- missing industry or size band is a group of its own); ties: the smaller plan_id. A
-- customer whose peers hold no such plan gets no row.
with customers as (
    select * from {{ ref('dim_customers') }}
    where current_mrr_usd > 0
),

live_plans as (
    select * from {{ ref('int_customer_live_plans') }}
),

-- the plans paying customers hold, with the holder's industry and size band
paying_holdings as (
    select
        customers.industry,
        customers.size_band,
        live_plans.customer_id,
        live_plans.plan_id,
        live_plans.currency
    from customers
    inner join live_plans on customers.customer_id = live_plans.customer_id
),

-- paying customers of each industry and size band holding each plan, per currency held in
-- (a customer holds a plan once, so the counts of different currencies never overlap)
group_plan_holders as (
    select
        industry,
        size_band,
        plan_id,
        currency,
        count(distinct customer_id) as holders
    from paying_holdings
    group by industry, size_band, plan_id, currency
),

customer_currencies as (
    select distinct customer_id, currency
    from live_plans
),

-- a plan the customer does not hold counts its group's holders in the customer's
-- currencies (the customer itself is not one of them): no customer-by-peer pairs
candidates as (
    select
        customers.customer_id,
        group_plan_holders.plan_id,
        cast(sum(group_plan_holders.holders) as bigint) as peer_customers_holding
    from customers
    inner join customer_currencies
        on customers.customer_id = customer_currencies.customer_id
    inner join group_plan_holders
        on customers.industry is not distinct from group_plan_holders.industry
        and customers.size_band is not distinct from group_plan_holders.size_band
        and customer_currencies.currency = group_plan_holders.currency
    where not exists (
        select 1 from live_plans as own
        where own.customer_id = customers.customer_id
            and own.plan_id = group_plan_holders.plan_id
    )
    group by customers.customer_id, group_plan_holders.plan_id
),

final as (
    select customer_id, recommended_plan_id, peer_customers_holding
    from (
        select
            row_number() over (
                partition by customer_id order by peer_customers_holding desc, plan_id
            ) as row_in_group,
            customer_id,
            plan_id as recommended_plan_id,
            peer_customers_holding
        from candidates
    ) as ranked
    where row_in_group = 1
)

select * from final
