-- Revenue forecast made on the as-of date for the 6 months after the as-of month
-- (kpi_definitions.md "Revenue forecast"), two kinds per month:
--   mrr_projection     MRR at the end of the as-of month * (1 + g)^k for the k-th month
--                      ahead, g = mean of the monthly net MRR growth rates
--                      (MRR(M) - MRR(M-1)) / MRR(M-1) of the 6 months up to the as-of
--                      month (months with MRR(M-1) = 0 are skipped)
--   weighted_pipeline  open new_business and expansion opportunities of non-internal
--                      accounts, amount_usd * p(stage) (int_stage_win_probabilities),
--                      in the month of their close_date
-- Incremental: each run replaces the rows of its own forecast_made_on, so the forecasts of
-- earlier as-of dates stay and later runs can score them against what happened.
-- full_refresh=false: the history survives a full refresh (dbt --full-refresh)
{{ config(
    materialized='incremental',
    unique_key=['forecast_made_on', 'month', 'forecast_kind'],
    incremental_strategy=replace_snapshot_strategy(),
    partition_by=replace_snapshot_partition('forecast_made_on'),
    full_refresh=false,
) }}

with revenue as (
    select * from {{ ref('kpi_revenue_monthly') }}
),

opportunities as (
    select * from {{ ref('stg_sales__opportunities') }}
),

classified as (
    select * from {{ ref('int_opportunities_classified') }}
),

probabilities as (
    select * from {{ ref('int_stage_win_probabilities') }}
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

months_ahead as (
    select
        as_of.as_of_date as forecast_made_on,
        months_ahead.months_ahead,
        {{ add_months('as_of.as_of_month', 'months_ahead.months_ahead') }} as month
    from as_of
    cross join (values (1), (2), (3), (4), (5), (6)) as months_ahead (months_ahead)
),

growth as (
    select
        revenue.month,
        revenue.mrr_usd,
        (revenue.mrr_usd - lag(revenue.mrr_usd) over (order by revenue.month))
            / nullif(lag(revenue.mrr_usd) over (order by revenue.month), 0) as growth_rate
    from revenue
    cross join as_of
    where revenue.month <= as_of.as_of_month
),

base as (
    select
        max(growth.mrr_usd) filter (where growth.month = as_of.as_of_month) as base_mrr_usd,
        avg(growth.growth_rate) filter (
            where growth.month > cast(as_of.as_of_month - interval 6 month as date)
        ) as mean_growth_rate
    from growth
    cross join as_of
),

mrr_projection as (
    select
        months_ahead.forecast_made_on,
        months_ahead.month,
        'mrr_projection' as forecast_kind,
        coalesce(base.base_mrr_usd, 0)
            * power(1 + coalesce(base.mean_growth_rate, 0), months_ahead.months_ahead)
            as forecast_usd
    from months_ahead
    cross join base
),

open_pipeline as (
    select
        {{ month_of('opportunities.close_date') }} as month,
        sum(opportunities.amount_usd * coalesce(probabilities.win_probability, 0))
            as weighted_usd
    from opportunities
    inner join classified on opportunities.opportunity_id = classified.opportunity_id
    left join probabilities on opportunities.stage_name = probabilities.stage_name
    where not classified.is_closed
        and classified.is_bookings_type
        and not classified.is_internal
    group by all
),

weighted_pipeline as (
    select
        months_ahead.forecast_made_on,
        months_ahead.month,
        'weighted_pipeline' as forecast_kind,
        coalesce(open_pipeline.weighted_usd, 0) as forecast_usd
    from months_ahead
    left join open_pipeline on months_ahead.month = open_pipeline.month
),

final as (
    select forecast_made_on, month, forecast_kind, round(forecast_usd, 2) as forecast_usd
    from mrr_projection
    union all
    select forecast_made_on, month, forecast_kind, round(forecast_usd, 2) as forecast_usd
    from weighted_pipeline
)

select * from final
