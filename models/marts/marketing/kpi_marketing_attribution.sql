-- Won new_business bookings attributed to marketing channels, with ad spend and ROI, by
-- calendar quarter (kpi_definitions.md "Attribution", "Marketing ROI"). Grain: quarter, channel,
-- attribution_model (first_touch, last_touch, linear).
with attributed as (
    select * from {{ ref('int_won_deals_attributed') }}
),

ad_spend as (
    select * from {{ ref('stg_marketing__ad_spend') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

attribution_models as (
    select attribution_model
    from (values ('first_touch'), ('last_touch'), ('linear')) as models (attribution_model)
),

bookings as (
    select
        attributed.quarter,
        attributed.channel,
        attributed.attribution_model,
        sum(attributed.attributed_bookings_usd) as attributed_bookings_usd,
        sum(attributed.share) as attributed_deals
    from attributed
    cross join as_of
    where attributed.close_date <= as_of.as_of_date
    group by attributed.quarter, attributed.channel, attributed.attribution_model
),

spend as (
    select
        cast(date_trunc('quarter', ad_spend.spend_date) as date) as quarter,
        ad_spend.channel,
        sum(coalesce(ad_spend.spend_usd, 0)) as ad_spend_usd
    from ad_spend
    cross join as_of
    where ad_spend.spend_date <= as_of.as_of_date
    group by 1, 2
),

bounds as (
    select
        least(
            (select min(quarter) from bookings), (select min(quarter) from spend)
        ) as first_quarter,
        cast(date_trunc('quarter', any_value(as_of_date)) as date) as last_quarter
    from as_of
),

quarters as (
    select {{ date_series('first_quarter', 'last_quarter', 'interval 3 month') }} as quarter
    from bounds
),

channels as (
    select channel from bookings
    union
    select channel from spend
),

-- every quarter for every channel with any bookings or spend, under every model
grid as (
    select quarters.quarter, channels.channel, attribution_models.attribution_model
    from quarters
    cross join channels
    cross join attribution_models
),

final as (
    select
        grid.quarter,
        grid.channel,
        grid.attribution_model,
        coalesce(bookings.attributed_bookings_usd, 0) as attributed_bookings_usd,
        coalesce(bookings.attributed_deals, 0) as attributed_deals,
        coalesce(spend.ad_spend_usd, 0) as ad_spend_usd,
        (coalesce(bookings.attributed_bookings_usd, 0) - spend.ad_spend_usd)
            / nullif(spend.ad_spend_usd, 0) as roi
    from grid
    left join bookings using (quarter, channel, attribution_model)
    left join spend using (quarter, channel)
)

select * from final
