-- Won new_business bookings credited to channels (kpi_definitions.md "Attribution"). Grain:
-- opportunity_id, attribution_model, channel. A deal's touches are the touchpoints of all
-- people of the won customer (people whose company in dim_people is the deal's customer)
-- that occurred strictly before the opportunity's created_at. first_touch credits the
-- earliest (ties: smaller touchpoint_id), last_touch the latest (ties: greater
-- touchpoint_id), linear splits the amount equally over the touches. A deal with no such
-- touch goes to channel 'unknown' under every model, so each model credits every deal's
-- full amount once.
with won_deals as (
    select * from {{ ref('int_funnel_opportunities_channeled') }}
    where is_won
),

people as (
    select * from {{ ref('dim_people') }}
),

crosswalk as (
    select * from {{ ref('identity_crosswalk') }}
    where source_system = 'marketing' and source_table = 'touchpoints'
),

touchpoints as (
    select * from {{ ref('stg_marketing__touchpoints') }}
),

customer_touches as (
    select
        people.customer_id,
        touchpoints.touchpoint_id,
        touchpoints.occurred_at,
        coalesce(touchpoints.channel, 'unknown') as channel
    from touchpoints
    inner join crosswalk on touchpoints.touchpoint_id = crosswalk.source_record_id
    inner join people on crosswalk.person_id = people.person_id
    where not crosswalk.is_internal
        and people.customer_id is not null
        and touchpoints.occurred_at is not null
),

deal_touches as (
    select
        won_deals.opportunity_id,
        customer_touches.touchpoint_id,
        customer_touches.channel,
        row_number() over (
            partition by won_deals.opportunity_id
            order by customer_touches.occurred_at, customer_touches.touchpoint_id
        ) as touch_from_first,
        row_number() over (
            partition by won_deals.opportunity_id
            order by customer_touches.occurred_at desc, customer_touches.touchpoint_id desc
        ) as touch_from_last,
        count(*) over (partition by won_deals.opportunity_id) as touches
    from won_deals
    inner join customer_touches
        on won_deals.customer_id = customer_touches.customer_id
        and customer_touches.occurred_at < won_deals.created_at
),

credits as (
    select opportunity_id, 'first_touch' as attribution_model, channel, 1.0 as share
    from deal_touches
    where touch_from_first = 1
    union all
    select opportunity_id, 'last_touch', channel, 1.0
    from deal_touches
    where touch_from_last = 1
    union all
    select opportunity_id, 'linear', channel, 1.0 / touches
    from deal_touches
),

untouched as (
    select won_deals.opportunity_id, models.attribution_model, 'unknown' as channel, 1.0 as share
    from won_deals
    cross join (
        values ('first_touch'), ('last_touch'), ('linear')
    ) as models (attribution_model)
    where won_deals.opportunity_id not in (select opportunity_id from deal_touches)
),

shares as (
    select
        opportunity_id,
        attribution_model,
        channel,
        sum(share) as share,
        count(*) as credited_touches
    from (
        select * from credits
        union all
        select * from untouched
    ) as credited_and_untouched
    group by opportunity_id, attribution_model, channel
),

final as (
    select
        shares.opportunity_id,
        shares.attribution_model,
        shares.channel,
        won_deals.customer_id,
        won_deals.close_date,
        cast(date_trunc('quarter', won_deals.close_date) as date) as quarter,
        coalesce(won_deals.amount_usd, 0) as deal_amount_usd,
        shares.share,
        coalesce(won_deals.amount_usd, 0) * shares.share as attributed_bookings_usd,
        shares.channel = 'unknown'
            and shares.opportunity_id not in (select opportunity_id from deal_touches)
            as is_unattributed
    from shares
    inner join won_deals using (opportunity_id)
)

select * from final
