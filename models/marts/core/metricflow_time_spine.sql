-- One row per calendar day, the time spine MetricFlow joins metrics to (cumulative and
-- offset metrics need it). 2015 to 2040 covers any export this project will see.
with days as (
    select {{ date_series("date '2015-01-01'", "date '2040-12-31'", 'interval 1 day') }} as date_day
),

final as (
    select date_day from days
)

select * from final
