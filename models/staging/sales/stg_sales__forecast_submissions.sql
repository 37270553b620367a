with submissions as (
    {{ newest_row_wins(source('sales', 'forecast_submissions'), ['owner_user_id', 'forecast_month', 'submitted_at']) }}
),

final as (
    select
        submissions.owner_user_id,
        submissions.forecast_month,
        submissions.submitted_at,
        submissions.forecast_amount,
        submissions.currency,
        submissions.forecast_amount * fx.rate_to_usd as forecast_amount_usd
    from submissions
    {{ join_usd_rate('fx', 'submissions.currency', 'submissions.submitted_at') }}
)

select * from final
