-- The marketing funnel by calendar month and channel (kpi_definitions.md "Funnel"). Grain: month,
-- channel. Counts people (resolved persons), each stage in the month it was reached;
-- opportunities and wins are new_business opportunities by their funnel channel.
with funnel_people as (
    select * from {{ ref('int_funnel_people_entered') }}
),

opportunities as (
    select * from {{ ref('int_funnel_opportunities_channeled') }}
),

ad_spend as (
    select * from {{ ref('stg_marketing__ad_spend') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

-- one row per (month, channel, measure) event, each counted once
events as (
    select lead_month as month, channel, 'lead' as measure, 1 as people, 0.0 as amount_usd
    from funnel_people
    union all
    select mql_month, channel, 'mql', 1, 0.0
    from funnel_people
    where mql_month is not null
    union all
    select sql_month, channel, 'sql', 1, 0.0
    from funnel_people
    where sql_month is not null
    -- acceptance: counted in the MQL month, for people who also became SQL
    union all
    select funnel_people.mql_month, funnel_people.channel, 'accepted_mql', 1, 0.0
    from funnel_people
    cross join as_of
    where funnel_people.mql_month is not null
        and cast(funnel_people.became_sql_at as date) <= as_of.as_of_date
    union all
    select created_month, channel, 'opportunity', 1, 0.0
    from opportunities
    union all
    select close_month, channel, 'won', 1, coalesce(amount_usd, 0.0)
    from opportunities
    where is_won
    union all
    select {{ month_of('spend_date') }}, channel, 'spend', 0, coalesce(spend_usd, 0.0)
    from ad_spend
),

counted as (
    select
        month,
        channel,
        count(*) filter (where measure = 'lead') as leads,
        count(*) filter (where measure = 'mql') as mqls,
        count(*) filter (where measure = 'sql') as sqls,
        count(*) filter (where measure = 'accepted_mql') as accepted_mqls,
        count(*) filter (where measure = 'opportunity') as opportunities,
        count(*) filter (where measure = 'won') as won,
        coalesce(sum(amount_usd) filter (where measure = 'won'), 0) as won_amount_usd,
        coalesce(sum(amount_usd) filter (where measure = 'spend'), 0) as ad_spend_usd
    from events
    cross join as_of
    where events.month <= as_of.as_of_month
    group by month, channel
),

{{ month_channel_grid('counted', 'month') }},

filled as (
    select
        grid.month,
        grid.channel,
        coalesce(counted.leads, 0) as leads,
        coalesce(counted.mqls, 0) as mqls,
        coalesce(counted.sqls, 0) as sqls,
        coalesce(counted.accepted_mqls, 0) as accepted_mqls,
        coalesce(counted.opportunities, 0) as opportunities,
        coalesce(counted.won, 0) as won,
        coalesce(counted.won_amount_usd, 0) as won_amount_usd,
        coalesce(counted.ad_spend_usd, 0) as ad_spend_usd
    from grid
    left join counted using (month, channel)
),

final as (
    select
        month,
        channel,
        leads,
        mqls,
        sqls,
        opportunities,
        won,
        accepted_mqls,
        accepted_mqls / nullif(mqls, 0) as lead_acceptance_rate,
        won_amount_usd,
        ad_spend_usd,
        ad_spend_usd / nullif(leads, 0) as cost_per_lead_usd,
        ad_spend_usd / nullif(mqls, 0) as cost_per_mql_usd
    from filled
)

select * from final
