-- Product usage per resolved customer over the trailing 30 days (the as-of date and the 29
-- days before it) and the 30 days before those, summed over the customer's CRM accounts:
--   seat_utilisation  kpi_definitions.md "Upsell candidates": the trailing-30-day mean of
--                     active_users over the mean of licensed_seats, all days (weekends
--                     included), over the days with usage rows; null without licensed
--                     seats; capped at 1 (more users than seats = full)
--   seat_utilisation_working_days  the same over Monday to Friday only: not a kpi_definitions.md
--                     number, shown beside it because a B2B product is idle on weekends
--   usage_trend       mean daily active users of the trailing 30 days over the 30 days
--                     before, minus 1 (-0.2 = a fifth fewer users); null without earlier use
with usage as (
    select * from {{ ref('stg_success__product_usage') }}
),

crosswalk as (
    select * from {{ ref('identity_crosswalk') }}
    where source_system = 'sales' and source_table = 'accounts'
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

windowed as (
    select
        crosswalk.customer_id,
        usage.usage_date,
        usage.active_users,
        usage.licensed_seats,
        usage.usage_date > as_of.as_of_date - 30 as is_trailing_30d,
        {{ iso_weekday('usage.usage_date') }} <= 5 as is_working_day
    from usage
    inner join crosswalk on usage.account_id = crosswalk.source_record_id
    cross join as_of
    where crosswalk.customer_id is not null
        and usage.usage_date > as_of.as_of_date - 60
        and usage.usage_date <= as_of.as_of_date
),

summed as (
    select
        customer_id,
        sum(active_users) filter (where is_trailing_30d) as active_user_days_30d,
        sum(licensed_seats) filter (where is_trailing_30d) as seat_days_30d,
        sum(active_users) filter (where is_trailing_30d and is_working_day)
            as active_user_working_days_30d,
        sum(licensed_seats) filter (where is_trailing_30d and is_working_day)
            as seat_working_days_30d,
        count(distinct usage_date) filter (where is_trailing_30d and is_working_day)
            as working_days_with_usage_30d,
        sum(active_users) filter (where not is_trailing_30d) as active_user_days_prior_30d
    from windowed
    group by customer_id
),

final as (
    select
        customer_id,
        coalesce(active_user_days_30d, 0) / 30.0 as active_users_mean_30d,
        coalesce(seat_days_30d, 0) / 30.0 as licensed_seats_mean_30d,
        coalesce(active_user_days_prior_30d, 0) / 30.0 as active_users_mean_prior_30d,
        active_user_working_days_30d / nullif(working_days_with_usage_30d, 0)
            as active_users_mean_working_days_30d,
        seat_working_days_30d / nullif(working_days_with_usage_30d, 0)
            as licensed_seats_mean_working_days_30d,
        -- least() skips nulls in DuckDB, so the null case is spelled out
        case
            when seat_days_30d > 0 then least(1.0, active_user_days_30d / seat_days_30d)
        end as seat_utilisation,
        case
            when seat_working_days_30d > 0
                then least(1.0, active_user_working_days_30d / seat_working_days_30d)
        end as seat_utilisation_working_days,
        coalesce(active_user_days_30d, 0) / nullif(active_user_days_prior_30d, 0) - 1
            as usage_trend
    from summed
)

select * from final
