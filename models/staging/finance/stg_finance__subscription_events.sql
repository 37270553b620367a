with events as (
    {{ newest_row_wins(source('finance', 'subscription_events'), ['event_id']) }}
),

final as (
    select
        event_id,
        subscription_id,
        customer_id,
        occurred_at,
        event_type,
        plan_id,
        quantity,
        coalesce(discount_pct, 0) as discount_pct,
        status,
        crm_opportunity_id,
        -- only a cancellation has a reason; churn_feedback (free text) stays in raw
        case when event_type = 'canceled' then churn_reason end as churn_reason
    from events
)

select * from final
