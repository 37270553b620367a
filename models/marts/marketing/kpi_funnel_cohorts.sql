-- The marketing funnel as cohorts (issue 11). Grain: cohort_month, channel. Of the people
-- who entered in a month through a channel (int_funnel_people_entered: lead month and
-- funnel channel), how many reached each later stage by the as-of date. "Reached" is
-- cumulative: a person who reached a later stage has reached every earlier one, so the
-- counts never grow along lead -> MQL -> SQL -> opportunity -> won.
with funnel_people as (
    select * from {{ ref('int_funnel_people_entered') }}
),

opportunities as (
    select * from {{ ref('int_funnel_opportunities_channeled') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

-- per funnel person: has any new_business opportunity created, and any won, by the as-of date
person_opportunities as (
    select
        opportunities.funnel_person_id as person_id,
        bool_or(cast(opportunities.created_at as date) <= as_of.as_of_date) as has_opportunity,
        bool_or(
            opportunities.is_won and opportunities.close_date <= as_of.as_of_date
        ) as has_won
    from opportunities
    cross join as_of
    where opportunities.funnel_person_id is not null
    group by opportunities.funnel_person_id
),

-- the furthest stage each person reached by the as-of date
people_stages as (
    select
        funnel_people.person_id,
        funnel_people.lead_month as cohort_month,
        funnel_people.channel,
        coalesce(person_opportunities.has_won, false) as is_won,
        coalesce(person_opportunities.has_opportunity, false) as is_opportunity,
        coalesce(cast(funnel_people.became_sql_at as date) <= as_of.as_of_date, false) as is_sql,
        coalesce(cast(funnel_people.became_mql_at as date) <= as_of.as_of_date, false) as is_mql
    from funnel_people
    cross join as_of
    left join person_opportunities using (person_id)
    where funnel_people.lead_month <= as_of.as_of_month
),

-- a stage counts when it or any later stage was reached
people_reached as (
    select
        cohort_month,
        channel,
        is_won as reached_won,
        is_won or is_opportunity as reached_opportunity,
        is_won or is_opportunity or is_sql as reached_sql,
        is_won or is_opportunity or is_sql or is_mql as reached_mql
    from people_stages
),

counted as (
    select
        cohort_month,
        channel,
        count(*) as people,
        count(*) filter (where reached_mql) as reached_mql,
        count(*) filter (where reached_sql) as reached_sql,
        count(*) filter (where reached_opportunity) as reached_opportunity,
        count(*) filter (where reached_won) as reached_won
    from people_reached
    group by cohort_month, channel
),

{{ month_channel_grid('counted', 'cohort_month') }},

filled as (
    select
        grid.cohort_month,
        grid.channel,
        coalesce(counted.people, 0) as people,
        coalesce(counted.reached_mql, 0) as reached_mql,
        coalesce(counted.reached_sql, 0) as reached_sql,
        coalesce(counted.reached_opportunity, 0) as reached_opportunity,
        coalesce(counted.reached_won, 0) as reached_won
    from grid
    left join counted using (cohort_month, channel)
),

final as (
    select
        cohort_month,
        channel,
        people,
        reached_mql,
        reached_sql,
        reached_opportunity,
        reached_won,
        reached_mql / nullif(people, 0) as lead_to_mql_rate,
        reached_sql / nullif(people, 0) as lead_to_sql_rate,
        reached_opportunity / nullif(people, 0) as lead_to_opportunity_rate,
        reached_won / nullif(people, 0) as lead_to_won_rate,
        reached_sql / nullif(reached_mql, 0) as mql_to_sql_rate,
        reached_opportunity / nullif(reached_sql, 0) as sql_to_opportunity_rate,
        reached_won / nullif(reached_opportunity, 0) as opportunity_to_won_rate
    from filled
)

select * from final
