with users as (
    {{ newest_row_wins(source('sales', 'users'), ['user_id']) }}
),

final as (
    select
        user_id,
        full_name,
        email,
        role,
        team,
        region,
        hired_at
    from users
)

select * from final
