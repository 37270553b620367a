with campaigns as (
    {{ newest_row_wins(source('marketing', 'campaigns'), ['campaign_id']) }}
),

final as (
    select
        campaign_id,
        campaign_name,
        channel,
        started_on,
        ended_on,
        budget_amount,
        currency
    from campaigns
)

select * from final
