with invoices as (
    {{ newest_row_wins(source('finance', 'invoices'), ['invoice_id'], has_updated_at=true) }}
),

final as (
    select
        invoices.invoice_id,
        invoices.customer_id,
        invoices.subscription_id,
        invoices.currency,
        invoices.issued_at,
        invoices.due_at,
        invoices.period_start,
        invoices.period_end,
        invoices.subtotal,
        invoices.discount_amount,
        invoices.total,
        invoices.amount_paid,
        invoices.total * fx.rate_to_usd as total_usd,
        invoices.amount_paid * fx.rate_to_usd as amount_paid_usd,
        fx.rate_to_usd,
        invoices.status,
        invoices.paid_at,
        invoices.updated_at
    from invoices
    {{ join_usd_rate('fx', 'invoices.currency', 'invoices.issued_at') }}
)

select * from final
