-- One row per current opportunity with what the sales KPIs filter on: internal
-- (its account is internal, kpi_definitions.md) and whether it counts in the monthly totals
-- (new_business and expansion; renewals count only in the renewal rate).
with opportunities as (
    select * from {{ ref('stg_sales__opportunities') }}
),

accounts as (
    select * from {{ ref('stg_sales__accounts') }}
),

final as (
    select
        opportunities.opportunity_id,
        opportunities.account_id,
        opportunities.owner_user_id,
        opportunities.opportunity_type,
        opportunities.amount_usd,
        opportunities.created_at,
        opportunities.created_on,
        opportunities.close_date,
        opportunities.is_closed,
        opportunities.is_won,
        opportunities.is_closed and not opportunities.is_won as is_lost,
        opportunities.opportunity_type in ('new_business', 'expansion') as is_bookings_type,
        coalesce(accounts.is_internal, false) as is_internal
    from opportunities
    left join accounts
        on opportunities.account_id = accounts.account_id
)

select * from final
