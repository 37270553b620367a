with usage as (
    {{ newest_row_wins(source('success', 'product_usage'), ['account_id', 'usage_date']) }}
),

final as (
    select
        account_id,
        usage_date,
        active_users,
        licensed_seats,
        key_events
    from usage
)

select * from final
