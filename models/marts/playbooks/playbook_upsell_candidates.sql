-- Upsell candidates as of the as-of date (kpi_definitions.md "Upsell candidates"): paying customers
-- (MRR > 0 at the end of the as-of month) whose seat utilisation over the trailing 30 days
-- (all days, as kpi_definitions.md says) is at least 0.9, with no open expansion opportunity and no
-- detractor NPS answer in the 90 days up to the as-of date, ranked by MRR (rank 1 =
-- highest; equal MRR, equal rank),
-- with the plan to recommend (int_customer_plan_recommendations).
with customers as (
    select * from {{ ref('dim_customers') }}
),

usage as (
    select * from {{ ref('int_customer_usage_windows') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_classified') }}
),

crosswalk as (
    select * from {{ ref('identity_crosswalk') }}
    where source_system = 'sales' and source_table = 'opportunities'
),

nps as (
    select * from {{ ref('int_customer_nps_90d') }}
),

recommendations as (
    select * from {{ ref('int_customer_plan_recommendations') }}
),

open_expansions as (
    select distinct crosswalk.customer_id
    from opportunities
    inner join crosswalk on opportunities.opportunity_id = crosswalk.source_record_id
    where opportunities.opportunity_type = 'expansion'
        and not opportunities.is_closed
        and crosswalk.customer_id is not null
),

candidates as (
    select
        customers.customer_id,
        customers.customer_name,
        customers.industry,
        customers.size_band,
        customers.region,
        customers.current_mrr_usd as mrr_usd,
        usage.seat_utilisation,
        usage.seat_utilisation_working_days,
        recommendations.recommended_plan_id,
        recommendations.peer_customers_holding
    from customers
    inner join usage on customers.customer_id = usage.customer_id
    left join open_expansions on customers.customer_id = open_expansions.customer_id
    left join nps on customers.customer_id = nps.customer_id
    left join recommendations on customers.customer_id = recommendations.customer_id
    where customers.current_mrr_usd > 0
        and usage.seat_utilisation >= 0.9
        and open_expansions.customer_id is null
        and not coalesce(nps.has_detractor_90d, false)
),

final as (
    select
        customer_id,
        customer_name,
        industry,
        size_band,
        region,
        mrr_usd,
        seat_utilisation,
        seat_utilisation_working_days,
        recommended_plan_id,
        peer_customers_holding,
        cast(rank() over (order by mrr_usd desc) as integer) as rank
    from candidates
)

select * from final
