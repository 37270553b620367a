-- One row per current, non-internal opportunity (kpi_definitions.md "Sales"), the row-level fact the
-- semantic layer counts won, lost, amounts and cycles from: its resolved customer, type,
-- owner, lead source, dates (UTC) and won/lost flags. is_bookings_type marks the
-- new_business and expansion opportunities the monthly sales totals count.
with opportunities as (
    select * from {{ ref('int_opportunities_classified') }}
    where not is_internal
),

details as (
    select opportunity_id, lead_source from {{ ref('stg_sales__opportunities') }}
),

crosswalk as (
    select * from {{ ref('identity_crosswalk') }}
    where source_system = 'sales' and source_table = 'opportunities'
),

final as (
    select
        opportunities.opportunity_id,
        crosswalk.customer_id,
        opportunities.owner_user_id,
        opportunities.opportunity_type,
        coalesce(details.lead_source, 'unknown') as lead_source,
        opportunities.is_bookings_type,
        opportunities.created_at,
        opportunities.created_on,
        case when opportunities.is_closed then opportunities.close_date end as closed_on,
        opportunities.is_closed,
        opportunities.is_won,
        opportunities.is_lost,
        opportunities.amount_usd,
        case
            when
                opportunities.is_closed
                then {{ days_between('opportunities.created_on', 'opportunities.close_date') }}
        end as sales_cycle_days
    from opportunities
    left join details on opportunities.opportunity_id = details.opportunity_id
    left join crosswalk on opportunities.opportunity_id = crosswalk.source_record_id
)

select * from final
