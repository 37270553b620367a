-- p(stage) for the stage-weighted pipeline (kpi_definitions.md "Stage-weighted pipeline"): for each
-- open stage, the share of the new_business and expansion opportunities of non-internal
-- accounts closed in the trailing 12 months (close_date after the as-of date minus 12
-- months, up to the as-of date) that had reached the stage and were won. An opportunity
-- reached a stage when its furthest stage (stage history or its current stage, in the
-- order prospecting < discovery < solution < proposal < negotiation < closed) is at or
-- beyond it; a won opportunity reached every stage. Null where no such closed opportunity.
with opportunities as (
    select * from {{ ref('stg_sales__opportunities') }}
),

classified as (
    select * from {{ ref('int_opportunities_classified') }}
),

stage_history as (
    select * from {{ ref('stg_sales__opportunity_stage_history') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

stages as (
    select * from {{ ref('opportunity_stages') }}
),

closed as (
    select classified.opportunity_id, classified.is_won
    from classified
    cross join as_of
    where classified.is_closed
        and classified.is_bookings_type
        and not classified.is_internal
        and classified.close_date > cast(as_of.as_of_date - interval 12 month as date)
        and classified.close_date <= as_of.as_of_date
),

-- a won opportunity reached every stage: closed_won is the last
stages_seen as (
    select opportunity_id, stage_name from stage_history
    union all
    select opportunity_id, stage_name from opportunities
    union all
    select opportunity_id, 'closed_won' from closed
    where is_won
),

furthest as (
    select
        closed.opportunity_id,
        closed.is_won,
        max(stages.stage_order) as furthest_order
    from closed
    left join stages_seen on closed.opportunity_id = stages_seen.opportunity_id
    left join stages on stages_seen.stage_name = stages.stage_name
    group by closed.opportunity_id, closed.is_won
),

final as (
    select
        stages.stage_name,
        stages.stage_order,
        count(furthest.opportunity_id) as closed_opportunities_reached,
        count(furthest.opportunity_id) filter (where furthest.is_won) as won_opportunities,
        count(furthest.opportunity_id) filter (where furthest.is_won)
            / nullif(count(furthest.opportunity_id), 0) as win_probability
    from stages
    left join furthest on furthest.furthest_order >= stages.stage_order
    where stages.is_open
    group by stages.stage_name, stages.stage_order
)

select * from final
