with quotes as (
    {{ newest_row_wins(source('sales', 'quotes'), ['quote_id']) }}
),

final as (
    select
        quotes.quote_id,
        quotes.opportunity_id,
        quotes.sent_at,
        quotes.amount,
        quotes.currency,
        quotes.amount * fx.rate_to_usd as amount_usd,
        quotes.status,
        quotes.signed_at
    from quotes
    {{ join_usd_rate('fx', 'quotes.currency', 'quotes.sent_at') }}
)

select * from final
