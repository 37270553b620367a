with opportunities as (
    select * from {{ ref('int_opportunities_classified') }}
    where not is_internal
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

submissions as (
    select * from {{ ref('stg_sales__forecast_submissions') }}
),

bounds as (
    select
        {{ month_of('min(opportunities.created_at)') }} as first_month,
        min(as_of.as_of_month) as last_month
    from opportunities
    cross join as_of
),

months as (
    {{ month_spine('bounds', 'first_month', 'last_month') }}
),

closed as (
    select
        {{ month_of('close_date') }} as month,
        count(*) filter (where is_bookings_type and is_won) as won_count,
        count(*) filter (where is_bookings_type and is_lost) as lost_count,
        sum(amount_usd) filter (where is_bookings_type and is_won) as won_amount_usd,
        median({{ days_between('created_on', 'close_date') }}) filter (where is_bookings_type and is_won)
            as sales_cycle_days_median,
        avg({{ days_between('created_on', 'close_date') }}) filter (where is_bookings_type and is_won)
            as sales_cycle_days_mean,
        count(*) filter (where opportunity_type = 'renewal' and is_won) as renewals_won,
        count(*) filter (where opportunity_type = 'renewal') as renewals_closed
    from opportunities
    where is_closed
    group by 1
),

-- Open at the end of M: created on or before M's end and not closed with a
-- close_date on or before it; stale ones included.
open_at_month_end as (
    select
        months.month,
        count(opportunities.opportunity_id) as open_opportunities
    from months
    left join opportunities
        on opportunities.is_bookings_type
        and opportunities.created_at < months.month + interval 1 month
        and not (
            opportunities.is_closed
            and opportunities.close_date < months.month + interval 1 month
        )
    group by months.month
),

-- Each owner's latest submission for M made before M's first instant.
latest_submissions as (
    select
        owner_user_id,
        {{ month_of('forecast_month') }} as month,
        max_by(forecast_amount_usd, submitted_at) as forecast_usd
    from submissions
    where submitted_at < {{ month_of('forecast_month') }}
    group by owner_user_id, {{ month_of('forecast_month') }}
),

forecasts as (
    select month, sum(forecast_usd) as forecast_usd
    from latest_submissions
    group by month
),

measured as (
    select
        months.month,
        coalesce(closed.won_count, 0) as won_count,
        coalesce(closed.lost_count, 0) as lost_count,
        coalesce(closed.won_amount_usd, 0) as won_amount_usd,
        closed.sales_cycle_days_median,
        closed.sales_cycle_days_mean,
        open_at_month_end.open_opportunities,
        forecasts.forecast_usd,
        coalesce(closed.renewals_won, 0) as renewals_won,
        coalesce(closed.renewals_closed, 0) as renewals_closed
    from months
    left join closed on months.month = closed.month
    left join open_at_month_end on months.month = open_at_month_end.month
    left join forecasts on months.month = forecasts.month
),

rates as (
    select
        *,
        won_count / nullif(won_count + lost_count, 0) as win_rate,
        won_amount_usd / nullif(won_count, 0) as avg_deal_size_usd,
        won_amount_usd as bookings_usd
    from measured
),

final as (
    select
        month,
        won_count,
        lost_count,
        win_rate,
        won_amount_usd,
        avg_deal_size_usd,
        sales_cycle_days_median,
        sales_cycle_days_mean,
        open_opportunities,
        open_opportunities * win_rate * avg_deal_size_usd
            / nullif(sales_cycle_days_mean, 0) as pipeline_velocity_usd_per_day,
        forecast_usd,
        bookings_usd,
        -- greatest() skips nulls in DuckDB, so the null case is spelled out.
        case
            when forecast_usd is not null and bookings_usd <> 0
                then greatest(0, 1 - abs(forecast_usd - bookings_usd) / bookings_usd)
        end as forecast_accuracy,
        (forecast_usd - bookings_usd) / nullif(bookings_usd, 0) as forecast_bias,
        renewals_won / nullif(renewals_closed, 0) as renewal_rate
    from rates
)

select * from final
