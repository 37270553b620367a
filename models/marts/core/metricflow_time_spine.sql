-- One row per calendar day, the time spine MetricFlow joins metrics to (cumulative and
-- offset metrics need it), from 2015 to the last day of the as-of month: a trailing window
-- (invoiced revenue of 12 months...) has no value for a month after the data.
with as_of as (
    select * from {{ ref('int_as_of_date') }}
),

days as (
    select
        {{ date_series(
            "date '2015-01-01'",
            add_months("as_of_month", 1) ~ " - interval 1 day",
            'interval 1 day'
        ) }} as date_day
    from as_of
),

final as (
    select date_day from days
)

select * from final
