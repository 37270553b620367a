-- Quote acceptance by region, weekday and hour sent, on two clocks (time_basis 'utc' and
-- 'local', the customer's country time zone), with the best hour of each region and clock:
-- over all weekdays, the hour with the highest acceptance rate among the hours in which at
-- least 30 quotes were sent (ties: the earlier hour). A region with no such hour has none.
with quotes as (
    select * from {{ ref('int_quotes_timed') }}
),

clocked as (
    select 'utc' as time_basis, region, weekday_utc as weekday, hour_utc as hour, is_accepted
    from quotes
    union all
    select 'local', region, weekday_local, hour_local, is_accepted
    from quotes
    where hour_local is not null
),

cells as (
    select
        time_basis,
        region,
        weekday,
        hour,
        count(*) as quotes_sent,
        count(*) filter (where is_accepted) as quotes_accepted
    from clocked
    group by all
),

hours as (
    select
        time_basis,
        region,
        hour,
        sum(quotes_sent) as hour_quotes_sent,
        sum(quotes_accepted) as hour_quotes_accepted,
        sum(quotes_accepted) / sum(quotes_sent) as hour_acceptance_rate
    from cells
    group by all
),

best_hours as (
    select *
    from (
        select
            row_number() over (
                partition by time_basis, region order by hour_acceptance_rate desc, hour
            ) as row_in_group,
            time_basis, region, hour
        from hours
        where hour_quotes_sent >= 30
    ) as ranked
    where row_in_group = 1
),

final as (
    select
        cells.time_basis,
        cells.region,
        cells.weekday,
        cells.hour,
        cells.quotes_sent,
        cells.quotes_accepted,
        cells.quotes_accepted / nullif(cells.quotes_sent, 0) as acceptance_rate,
        hours.hour_quotes_sent,
        hours.hour_acceptance_rate,
        best_hours.hour is not null as is_best_hour
    from cells
    inner join hours using (time_basis, region, hour)
    left join best_hours using (time_basis, region, hour)
)

select * from final
