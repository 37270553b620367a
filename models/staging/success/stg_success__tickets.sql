with tickets as (
    {{ newest_row_wins(source('success', 'tickets'), ['ticket_id'], has_updated_at=true) }}
),

final as (
    select
        ticket_id,
        account_id,
        requester_email,
        created_at,
        first_response_at,
        solved_at,
        priority,
        status,
        csat_score,
        updated_at,
        {{ is_internal_email('requester_email') }} as is_internal
    from tickets
)

select * from final
