-- Quote acceptance by the customer's region, weekday and hour sent in UTC (kpi_definitions.md
-- "Quote timing"); is_best_hour marks every weekday row of each region's best UTC hour.
-- The same on the customer's local clock is playbook_quote_timing_local.
with cells as (
    select * from {{ ref('int_quote_timing_cells') }}
    where time_basis = 'utc'
),

final as (
    select
        region,
        weekday,
        hour as hour_utc,
        quotes_sent,
        quotes_accepted,
        acceptance_rate,
        hour_quotes_sent,
        hour_acceptance_rate,
        is_best_hour
    from cells
)

select * from final
