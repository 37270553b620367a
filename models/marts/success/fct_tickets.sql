-- One row per current, non-internal support ticket (kpi_definitions.md "Success"), the row-level fact
-- of CSAT and response/resolution times: created and (validly) solved dates in UTC, the CSAT
-- score when it is 1-5 on a solved ticket, and durations in hours when not negative.
with tickets as (
    select * from {{ ref('int_success_tickets_classified') }}
),

final as (
    select
        ticket_id,
        customer_id,
        priority,
        status,
        created_at,
        cast(created_at as date) as created_on,
        solved_at,
        cast(solved_at as date) as solved_on,
        is_solved,
        csat_score,
        first_response_hours,
        resolution_hours
    from tickets
)

select * from final
