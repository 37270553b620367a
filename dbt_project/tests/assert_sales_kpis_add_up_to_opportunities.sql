-- kpi_sales_monthly totals equal the sums of their detail rows, every month: won and lost
-- counts and bookings of non-internal new_business + expansion opportunities by close
-- month, and the renewal rate from the renewals closed; no closed opportunity of a month
-- up to the as-of month is missing from the spine. Returns the months that differ.
with kpis as (
    select * from {{ ref('kpi_sales_monthly') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_classified') }}
    where not is_internal and is_closed
),

as_of as (
    select * from {{ ref('int_as_of_date') }}
),

detail as (
    select
        {{ month_of('close_date') }} as month,
        sum(case when is_bookings_type and is_won then 1 else 0 end) as won_count,
        sum(case when is_bookings_type and is_lost then 1 else 0 end) as lost_count,
        sum(case when is_bookings_type and is_won then amount_usd else 0 end) as bookings_usd,
        sum(case when opportunity_type = 'renewal' and is_won then 1 else 0 end)
            as renewals_won,
        sum(case when opportunity_type = 'renewal' then 1 else 0 end) as renewals_closed
    from opportunities
    where close_date < (select cast(as_of_month + interval 1 month as date) from as_of)
    group by {{ month_of('close_date') }}
),

compared as (
    select
        coalesce(kpis.month, detail.month) as month,
        kpis.month is null as is_missing_from_spine,
        coalesce(kpis.won_count, 0) - coalesce(detail.won_count, 0) as won_gap,
        coalesce(kpis.lost_count, 0) - coalesce(detail.lost_count, 0) as lost_gap,
        abs(coalesce(kpis.bookings_usd, 0) - coalesce(detail.bookings_usd, 0)) as bookings_gap,
        coalesce(
            abs(kpis.renewal_rate * detail.renewals_closed - detail.renewals_won),
            case
                when kpis.renewal_rate is null and coalesce(detail.renewals_closed, 0) = 0
                    then 0
                else 1
            end
        ) as renewal_gap
    from kpis
    full outer join detail on kpis.month = detail.month
)

select *
from compared
where is_missing_from_spine
    or won_gap <> 0
    or lost_gap <> 0
    or bookings_gap > 0.01
    or renewal_gap > 1e-6
