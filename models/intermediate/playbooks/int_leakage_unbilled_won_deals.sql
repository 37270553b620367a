-- Revenue leakage `unbilled_won_deal` (kpi_definitions.md): one finding per closed-won new_business or
-- expansion opportunity of a non-internal account with no subscription event within 30
-- days of its close (an event whose UTC date is from close_date to close_date + 30 days)
-- that is linked to it (crm_opportunity_id) or to its account (an event of a billing
-- customer resolved to the same customer). Judged only once the 30 days are over:
-- detected on close_date + 31 days, when that is on or before the as-of date. At risk:
-- the opportunity amount in USD (close_date rate); deals without an amount are skipped.
with opportunities as (
    select * from {{ ref('int_opportunities_classified') }}
),

events as (
    select * from {{ ref('stg_finance__subscription_events') }}
),

crosswalk as {{ inlined() }} (
    select * from {{ ref('identity_crosswalk') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

won as (
    select
        opportunities.opportunity_id,
        crosswalk.customer_id,
        opportunities.close_date,
        opportunities.amount_usd
    from opportunities
    inner join crosswalk
        on crosswalk.source_system = 'sales'
        and crosswalk.source_table = 'opportunities'
        and opportunities.opportunity_id = crosswalk.source_record_id
    cross join as_of
    where opportunities.is_won
        and opportunities.is_bookings_type
        and not opportunities.is_internal
        and not crosswalk.is_internal
        and opportunities.close_date + interval 31 day <= as_of.as_of_date
        -- a won deal without an amount (an export without deal values) has no known
        -- amount at risk: not a finding
        and opportunities.amount_usd is not null
),

resolved_events as (
    select
        events.event_id,
        events.crm_opportunity_id,
        crosswalk.customer_id,
        cast(events.occurred_at as date) as occurred_on
    from events
    inner join crosswalk
        on crosswalk.source_system = 'finance'
        and crosswalk.source_table = 'subscription_events'
        and events.event_id = crosswalk.source_record_id
),

-- Two equi-joins rather than one join on "opportunity or customer": an OR condition
-- cannot be hashed and compared every deal with every event (12.6 s at scale m).
billed as (
    select won.opportunity_id
    from won
    inner join resolved_events
        on resolved_events.crm_opportunity_id = won.opportunity_id
        and resolved_events.occurred_on between won.close_date
            and won.close_date + interval 30 day
    union
    select won.opportunity_id
    from won
    inner join resolved_events
        on resolved_events.customer_id = won.customer_id
        and resolved_events.occurred_on between won.close_date
            and won.close_date + interval 30 day
),

final as (
    select
        'unbilled_won_deal' as finding_type,
        won.customer_id,
        'opportunities' as source_table,
        won.opportunity_id as source_record_id,
        cast(won.close_date + interval 31 day as date) as detected_on,
        round(won.amount_usd, 2) as amount_at_risk_usd
    from won
    left join billed using (opportunity_id)
    where billed.opportunity_id is null
)

select * from final
