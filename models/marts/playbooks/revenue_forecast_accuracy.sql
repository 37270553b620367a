-- How good the kept forecasts were (kpi_definitions.md "Revenue forecast": later runs report the
-- forecast's own accuracy): every row of revenue_forecast whose month is over by the
-- as-of date (month <= the month before the as-of month, or the as-of month when the
-- as-of date is its last day), beside what happened: month-end MRR (kpi_revenue_monthly)
-- for mrr_projection, bookings (kpi_sales_monthly.bookings_usd) for weighted_pipeline.
-- accuracy = 1 - |forecast - actual| / actual, floored at 0; bias = (forecast - actual) /
-- actual; both null when actual is 0.
with forecasts as (
    select * from {{ ref('revenue_forecast') }}
),

revenue as (
    select * from {{ ref('kpi_revenue_monthly') }}
),

sales as (
    select * from {{ ref('kpi_sales_monthly') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

actuals as (
    select month, 'mrr_projection' as forecast_kind, mrr_usd as actual_usd from revenue
    union all
    select month, 'weighted_pipeline', bookings_usd from sales
),

compared as (
    select
        forecasts.forecast_made_on,
        forecasts.month,
        forecasts.forecast_kind,
        forecasts.forecast_usd,
        actuals.actual_usd
    from forecasts
    inner join actuals using (month, forecast_kind)
    cross join as_of
    where forecasts.month + interval 1 month <= as_of.as_of_date + interval 1 day
),

final as (
    select
        forecast_made_on,
        month,
        forecast_kind,
        forecast_usd,
        actual_usd,
        -- greatest() skips nulls in DuckDB, so the null case is spelled out
        case
            when actual_usd <> 0
                then greatest(0, 1 - abs(forecast_usd - actual_usd) / actual_usd)
        end as forecast_accuracy,
        (forecast_usd - actual_usd) / nullif(actual_usd, 0) as forecast_bias
    from compared
)

select * from final
