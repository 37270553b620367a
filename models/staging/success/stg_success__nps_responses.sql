with responses as (
    {{ newest_row_wins(source('success', 'nps_responses'), ['response_id']) }}
),

final as (
    select
        response_id,
        email,
        account_id,
        responded_at,
        score,
        comment,
        {{ is_internal_email('email') }} as is_internal
    from responses
)

select * from final
