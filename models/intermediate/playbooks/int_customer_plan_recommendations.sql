-- The plan to recommend to each paying customer (kpis.md "Upsell candidates"): among the
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

peer_plans as (
    select
        customers.customer_id,
        peers.customer_id as peer_customer_id,
        peer_holdings.plan_id,
        peer_holdings.currency
    from customers
    inner join customers as peers
        on customers.industry is not distinct from peers.industry
        and customers.size_band is not distinct from peers.size_band
        and customers.customer_id <> peers.customer_id
    inner join live_plans as peer_holdings on peers.customer_id = peer_holdings.customer_id
),

candidates as (
    select
        peer_plans.customer_id,
        peer_plans.plan_id,
        count(distinct peer_plans.peer_customer_id) as peer_customers_holding
    from peer_plans
    where exists (
        select 1 from live_plans as own
        where own.customer_id = peer_plans.customer_id
            and own.currency = peer_plans.currency
    )
        and not exists (
            select 1 from live_plans as own
            where own.customer_id = peer_plans.customer_id
                and own.plan_id = peer_plans.plan_id
        )
    group by all
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
