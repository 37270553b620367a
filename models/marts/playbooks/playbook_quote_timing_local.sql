-- Quote acceptance by the customer's region, weekday and hour sent on the customer's local
-- clock (the IANA time zone of its country, seed countries; kpi_definitions.md "Quote timing");
-- is_best_hour marks every weekday row of each region's best local hour. Quotes of
-- customers with no known country are only in playbook_quote_timing.
with cells as (
    select * from {{ ref('int_quote_timing_cells') }}
    where time_basis = 'local'
),

final as (
    select
        region,
        weekday as weekday_local,
        hour as hour_local,
        quotes_sent,
        quotes_accepted,
        acceptance_rate,
        hour_quotes_sent,
        hour_acceptance_rate,
        is_best_hour
    from cells
)

select * from final
