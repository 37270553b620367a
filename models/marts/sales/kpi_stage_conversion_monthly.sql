-- Stage conversion by cohort (kpi_definitions.md "Stage conversion"): for each open stage, the
-- opportunities created in the cohort month that reached the stage, and those of them that
-- went on to a later stage or were won. Definitions are in _sales__models.yml.
with opportunities as (
    select * from {{ ref('int_opportunities_classified') }}
    where is_bookings_type
        and not is_internal
),

stage_history as (
    select * from {{ ref('stg_sales__opportunity_stage_history') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

stages as (
    select stage_name, stage_order
    from {{ ref('opportunity_stages') }}
    where is_open
),

bounds as (
    select
        {{ month_of('min(opportunities.created_at)') }} as first_month,
        min(as_of.as_of_month) as last_month
    from opportunities
    cross join as_of
),

cohort_months as (
    {{ month_spine('bounds', 'first_month', 'last_month') }}
),

-- each (opportunity, open stage) found in the stage history, once however often entered
stages_reached as (
    select distinct
        stage_history.opportunity_id,
        stages.stage_order
    from stage_history
    inner join stages on stage_history.stage_name = stages.stage_name
),

furthest_stage as (
    select
        opportunity_id,
        max(stage_order) as furthest_stage_order
    from stages_reached
    group by opportunity_id
),

opportunity_stages as (
    select
        {{ month_of('opportunities.created_at') }} as cohort_month,
        stages_reached.stage_order,
        opportunities.opportunity_id,
        opportunities.is_won
            or furthest_stage.furthest_stage_order > stages_reached.stage_order as has_advanced,
        opportunities.is_won,
        opportunities.is_closed
    from opportunities
    inner join stages_reached on opportunities.opportunity_id = stages_reached.opportunity_id
    inner join furthest_stage on opportunities.opportunity_id = furthest_stage.opportunity_id
),

counted as (
    select
        cohort_month,
        stage_order,
        count(*) as opportunities_reached,
        sum(case when has_advanced then 1 else 0 end) as opportunities_advanced,
        sum(case when is_won then 1 else 0 end) as opportunities_won,
        sum(case when not has_advanced and not is_closed then 1 else 0 end)
            as opportunities_open_at_stage
    from opportunity_stages
    group by cohort_month, stage_order
),

final as (
    select
        cohort_months.month as cohort_month,
        stages.stage_name,
        stages.stage_order,
        coalesce(counted.opportunities_reached, 0) as opportunities_reached,
        coalesce(counted.opportunities_advanced, 0) as opportunities_advanced,
        coalesce(counted.opportunities_won, 0) as opportunities_won,
        coalesce(counted.opportunities_open_at_stage, 0) as opportunities_open_at_stage,
        cast(counted.opportunities_advanced as double)
            / nullif(counted.opportunities_reached, 0) as conversion_rate
    from cohort_months
    cross join stages
    left join counted
        on cohort_months.month = counted.cohort_month
        and stages.stage_order = counted.stage_order
)

select * from final
