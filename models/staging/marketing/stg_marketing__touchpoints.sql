with touchpoints as (
    {{ newest_row_wins(source('marketing', 'touchpoints'), ['touchpoint_id']) }}
),

final as (
    select
        touchpoint_id,
        lead_id,
        email,
        occurred_at,
        campaign_id,
        channel,
        touch_type
    from touchpoints
)

select * from final
